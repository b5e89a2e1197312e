import { type Cancellation, UpstreamFailure } from '@app/providers';

interface Waiter {
  keyId: string;
  seq: number;
  grant: () => void;
  unsubscribe: () => void;
}

/** One upstream's connections: who holds them and who waits, per virtual key. */
class Pool {
  active = 0;
  readonly activeByKey = new Map<string, number>();
  /** FIFO per key; a key appears here only while it has waiters. */
  readonly waiting = new Map<string, Waiter[]>();
}

/** Frees one connection; calling it again does nothing. */
export type Release = () => void;

/**
 * The upstream connections of a provider are shared fairly among virtual keys. While a slot is
 * free a request takes it at once (a counter and a map update); when all are busy it waits, and a
 * freed slot goes to the waiting key that holds the fewest, oldest waiter first among equals. So
 * one key's burst queues behind itself: another key's request waits for the next free slot, not
 * for the burst. The executor's pool has the same size, so its own FIFO queue stays empty.
 */
export class FairShare {
  private readonly pools = new Map<string, Pool>();
  private seq = 0;

  constructor(private readonly capacity: number) {}

  /** A slot of `upstream` for `keyId`; rejects (as the client leaving) if `cancel` fires while waiting. */
  acquire(upstream: string, keyId: string, cancel: Cancellation): Release | Promise<Release> {
    let pool = this.pools.get(upstream);
    if (pool === undefined) {
      pool = new Pool();
      this.pools.set(upstream, pool);
    }
    if (pool.active < this.capacity && pool.waiting.size === 0) return this.take(pool, keyId);
    // A client gone already queues nothing: a waiter no one awaits would be granted a slot no one frees.
    if (cancel.aborted) return Promise.reject(clientLeft());
    const p = pool;
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        keyId,
        seq: this.seq++,
        grant: () => {
          waiter.unsubscribe();
          resolve(this.take(p, keyId));
        },
        unsubscribe: () => undefined,
      };
      const queue = p.waiting.get(keyId);
      if (queue === undefined) p.waiting.set(keyId, [waiter]);
      else queue.push(waiter);
      // Queued first, so the hook (run at once by a cancellation already fired) finds what it removes.
      waiter.unsubscribe = cancel.onCancel(() => {
        remove(p, waiter);
        reject(clientLeft());
      });
    });
  }

  /** Slots in use and requests waiting for `upstream` (metrics, tests). */
  load(upstream: string): { active: number; waiting: number } {
    const pool = this.pools.get(upstream);
    let waiting = 0;
    for (const q of pool?.waiting.values() ?? []) waiting += q.length;
    return { active: pool?.active ?? 0, waiting };
  }

  private take(pool: Pool, keyId: string): Release {
    pool.active++;
    pool.activeByKey.set(keyId, (pool.activeByKey.get(keyId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      pool.active--;
      const left = (pool.activeByKey.get(keyId) ?? 1) - 1;
      if (left === 0) pool.activeByKey.delete(keyId);
      else pool.activeByKey.set(keyId, left);
      if (pool.waiting.size !== 0) this.next(pool);
    };
  }

  private next(pool: Pool): void {
    if (pool.active >= this.capacity || pool.waiting.size === 0) return;
    let best: Waiter | undefined;
    let bestHeld = Infinity;
    for (const [keyId, queue] of pool.waiting) {
      const held = pool.activeByKey.get(keyId) ?? 0;
      const head = queue[0];
      if (held < bestHeld || (held === bestHeld && head.seq < best!.seq)) {
        best = head;
        bestHeld = held;
      }
    }
    if (best === undefined) return;
    remove(pool, best);
    best.grant();
  }
}

function clientLeft(): UpstreamFailure {
  return new UpstreamFailure('aborted', 0, 'client closed the connection');
}

function remove(pool: Pool, waiter: Waiter): void {
  const queue = pool.waiting.get(waiter.keyId);
  if (queue === undefined) return;
  const i = queue.indexOf(waiter);
  if (i >= 0) queue.splice(i, 1);
  if (queue.length === 0) pool.waiting.delete(waiter.keyId);
}
