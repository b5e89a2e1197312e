import { randomHex } from './random-hex';

describe('randomHex', () => {
  it('gives the asked number of bytes as lowercase hex', () => {
    expect(randomHex(18)).toMatch(/^[0-9a-f]{36}$/);
    expect(randomHex(1)).toMatch(/^[0-9a-f]{2}$/);
  });

  it('never hands out the same pool bytes twice (across refills)', () => {
    const ids = Array.from({ length: 5_000 }, () => randomHex(18));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses sizes outside 1..256', () => {
    expect(() => randomHex(0)).toThrow(RangeError);
    expect(() => randomHex(257)).toThrow(RangeError);
  });
});
