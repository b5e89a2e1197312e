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
});
