/**
 * The capacity a buffer for `bytes` gets: the next size of the form m·2^k with m from 4 to 7, so
 * at most a quarter more than asked for, and few enough sizes for a freed buffer to fit the next
 * text of about its size.
 */
export function capacityFor(bytes: number): number {
  if (bytes <= 64) return 64;
  // Texts are far below 2^31 bytes (the cache's and the row writers' bounds): 32-bit integer arithmetic.
  const shift = 29 - Math.clz32(bytes);
  return ((bytes + (1 << shift) - 1) >>> shift) << shift;
}

/**
 * Buffers given back, kept to be used again: memory taken outside the V8 heap for each new text
 * grows V8's count of external memory, which starts full collections as old-space growth does.
 * Each buffer is one allocation of its own (never a slice of a shared one), so what is kept here is
 * exactly `bytes`.
 */
export class SpareBuffers {
  private readonly bySize = new Map<number, Buffer[]>();
  private held = 0;
  private count = 0;

  constructor(private readonly maxCount: number) {}

  get bytes(): number {
    return this.held;
  }

  /** A buffer of exactly `capacity` bytes (capacityFor): a spare one if there is, else a new one. */
  take(capacity: number): Buffer {
    const spare = this.bySize.get(capacity)?.pop();
    if (spare === undefined) return Buffer.allocUnsafeSlow(capacity);
    this.held -= capacity;
    this.count--;
    return spare;
  }

  /** A buffer nothing reads any more. */
  put(buffer: Buffer): void {
    let list = this.bySize.get(buffer.length);
    if (list === undefined) this.bySize.set(buffer.length, (list = []));
    list.push(buffer);
    this.held += buffer.length;
    this.count++;
    if (this.count > this.maxCount) this.trim(Infinity);
  }

  /** Drops spares (the collector frees them) until they hold at most `maxBytes`, and at most `maxCount` of them. */
  trim(maxBytes: number): void {
    if (this.held <= maxBytes && this.count <= this.maxCount) return;
    for (const [size, list] of this.bySize) {
      while (list.length > 0 && (this.held > maxBytes || this.count > this.maxCount)) {
        list.pop();
        this.held -= size;
        this.count--;
      }
      if (list.length === 0) this.bySize.delete(size);
      if (this.held <= maxBytes && this.count <= this.maxCount) return;
    }
  }
}
