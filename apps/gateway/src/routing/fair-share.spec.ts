import { Cancellation, UpstreamFailure } from '@app/providers';
import { FairShare, type Release } from './fair-share';

function take(share: FairShare, key: string): Promise<Release> {
  return Promise.resolve(share.acquire('openai', key, Cancellation.never));
}

describe('FairShare', () => {
  it('takes a free slot at once, and queues past the capacity', async () => {
    const share = new FairShare(2);
    expect(typeof share.acquire('openai', 'a', Cancellation.never)).toBe('function');
    expect(typeof share.acquire('openai', 'a', Cancellation.never)).toBe('function');
    expect(share.acquire('openai', 'a', Cancellation.never)).toBeInstanceOf(Promise);
    expect(share.load('openai')).toEqual({ active: 2, waiting: 1 });
    // Another upstream has its own slots.
    expect(typeof share.acquire('anthropic', 'a', Cancellation.never)).toBe('function');
  });

  it("gives a freed slot to the waiting key that holds the fewest, not to the front of one key's burst", async () => {
    const share = new FairShare(2);
    const held = [await take(share, 'greedy'), await take(share, 'greedy')];
    const order: string[] = [];
    for (let i = 0; i < 5; i++) void take(share, 'greedy').then(() => order.push('greedy'));
    void take(share, 'polite').then(() => order.push('polite'));
    held[0]();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['polite']);
    held[1]();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['polite', 'greedy']);
    // Releasing twice frees one slot only.
    held[1]();
    expect(share.load('openai')).toEqual({ active: 2, waiting: 4 });
  });

  it('a waiter whose client leaves is dropped from the queue with an aborted failure', async () => {
    const share = new FairShare(1);
    const first = await take(share, 'a');
    const cancel = new Cancellation();
    const waiting = share.acquire('openai', 'b', cancel) as Promise<Release>;
    cancel.cancel();
    await expect(waiting).rejects.toMatchObject({ kind: 'aborted' } satisfies Partial<UpstreamFailure>);
    expect(share.load('openai')).toEqual({ active: 1, waiting: 0 });
    first();
    expect(share.load('openai')).toEqual({ active: 0, waiting: 0 });
  });
  it('an acquire whose client has already left rejects at once and queues nothing: the slot goes to the next caller', async () => {
    const share = new FairShare(1);
    const first = await take(share, 'a');
    const left = new Cancellation();
    left.cancel();
    await expect(share.acquire('openai', 'b', left)).rejects.toMatchObject({ kind: 'aborted' } satisfies Partial<UpstreamFailure>);
    expect(share.load('openai')).toEqual({ active: 1, waiting: 0 });
    first();
    expect(share.load('openai')).toEqual({ active: 0, waiting: 0 });
    // A third caller is not left waiting behind a slot held by no one.
    const third = share.acquire('openai', 'c', Cancellation.never);
    expect(typeof third).toBe('function');
    (third as Release)();
    expect(share.load('openai')).toEqual({ active: 0, waiting: 0 });
  });

  it('a waiter granted a slot stops listening to its cancellation; one cancelled after the grant keeps the slot it must release', async () => {
    const share = new FairShare(1);
    const first = await take(share, 'a');
    const cancel = new Cancellation();
    const listen = jest.spyOn(cancel, 'listen');
    const unlisten = jest.spyOn(cancel, 'unlisten');
    const waiting = share.acquire('openai', 'b', cancel) as Promise<Release>;
    first();
    const release = await waiting;
    expect(listen).toHaveBeenCalledTimes(1);
    expect(unlisten).toHaveBeenCalledWith(listen.mock.calls[0][0]);
    cancel.cancel();
    expect(share.load('openai')).toEqual({ active: 1, waiting: 0 });
    release();
    expect(share.load('openai')).toEqual({ active: 0, waiting: 0 });
  });

  it('clients leaving in any order while queued leave no slot held and wake every remaining waiter', async () => {
    const share = new FairShare(2);
    const held = [await take(share, 'a'), await take(share, 'a')];
    const cancels = [new Cancellation(), new Cancellation(), new Cancellation(), new Cancellation()];
    const waiting = cancels.map((c, i) => Promise.resolve(share.acquire('openai', i % 2 === 0 ? 'b' : 'c', c)));
    const outcomes = waiting.map((p) => p.then((release) => release, () => null));
    expect(share.load('openai')).toEqual({ active: 2, waiting: 4 });
    cancels[1].cancel();
    held[0]();
    cancels[0].cancel();
    cancels[2].cancel();
    held[1]();
    const got = await Promise.all(outcomes);
    expect(got.map((r) => r !== null)).toEqual([true, false, false, true]);
    expect(share.load('openai')).toEqual({ active: 2, waiting: 0 });
    got[0]!();
    got[3]!();
    expect(share.load('openai')).toEqual({ active: 0, waiting: 0 });
  });
});
