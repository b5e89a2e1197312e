import { capacityFor, SpareBuffers } from './spare-buffers';

describe('capacityFor', () => {
  it('rounds up by at most a quarter, and a capacity is its own', () => {
    for (let bytes = 0; bytes < 70_000; bytes += 1 + (bytes >> 6)) {
      const capacity = capacityFor(bytes);
      expect(capacity).toBeGreaterThanOrEqual(bytes);
      expect(capacity).toBeLessThanOrEqual(Math.max(64, 1.25 * bytes));
      expect(capacityFor(capacity)).toBe(capacity);
    }
  });
});

describe('SpareBuffers', () => {
  it('hands back a buffer given back of the same capacity, each one once, and new ones of their own otherwise', () => {
    const spares = new SpareBuffers(4);
    const a = spares.take(1_024);
    expect(a.length).toBe(1_024);
    expect(a.buffer.byteLength).toBe(1_024);
    spares.put(a);
    expect(spares.bytes).toBe(1_024);
    expect(spares.take(1_280)).not.toBe(a);
    expect(spares.take(1_024)).toBe(a);
    expect(spares.take(1_024)).not.toBe(a);
    expect(spares.bytes).toBe(0);
  });

  it('keeps at most its count of buffers, and drops spares down to the bytes asked', () => {
    const spares = new SpareBuffers(3);
    for (const size of [64, 128, 256, 512, 1_024]) spares.put(Buffer.allocUnsafeSlow(size));
    expect(spares.bytes).toBeLessThanOrEqual(1_024 + 512 + 256);
    const kept = spares.bytes;
    spares.trim(600);
    expect(spares.bytes).toBeLessThanOrEqual(600);
    expect(spares.bytes).toBeLessThan(kept);
    spares.trim(0);
    expect(spares.bytes).toBe(0);
  });
});
