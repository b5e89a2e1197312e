import { type CancelListener, Cancellation } from './cancellation';

function recorder(name: string, log: string[]): CancelListener {
  return { cancelled: () => log.push(name) };
}

describe('Cancellation', () => {
  it('tells its listeners once, in the order they came, hooks and listeners alike', () => {
    const c = new Cancellation();
    const log: string[] = [];
    c.listen(recorder('a', log));
    c.onCancel(() => log.push('hook'));
    c.listen(recorder('b', log));
    c.cancel();
    c.cancel();
    expect(log).toEqual(['a', 'hook', 'b']);
    expect(c.aborted).toBe(true);
  });

  it('tells no listener that left; one that comes back after an earlier one is told after it', () => {
    const c = new Cancellation();
    const log: string[] = [];
    const a = recorder('a', log);
    const b = recorder('b', log);
    const gone = recorder('gone', log);
    c.listen(a);
    c.listen(b);
    c.listen(gone);
    c.unlisten(gone);
    c.unlisten(a);
    c.listen(a);
    c.onCancel(() => log.push('unsubscribed'))();
    c.cancel();
    expect(log).toEqual(['b', 'a']);
  });

  it('tells a listener at once when it is cancelled already; never fires for Cancellation.never', () => {
    const c = new Cancellation();
    c.cancel();
    const log: string[] = [];
    c.listen(recorder('late', log));
    Cancellation.never.listen(recorder('never', log));
    Cancellation.never.cancel();
    expect(log).toEqual(['late']);
    expect(Cancellation.never.aborted).toBe(false);
  });
});
