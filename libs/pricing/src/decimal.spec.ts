import { usdUnits } from './decimal';

describe('usdUnits', () => {
  it('converts on the decimal digits, where a binary product rounds the wrong way', () => {
    // 0.000000015 * 1e8 is 1.4999999999999998 in binary: Math.round gives 1.
    expect(Math.round(Number('0.000000015') * 1e8)).toBe(1);
    expect(usdUnits('0.000000015', 8)).toBe(2n);
    expect(usdUnits(0.000000015, 8)).toBe(2n);
    expect(usdUnits('0.0000000149', 8)).toBe(1n);
    expect(usdUnits('12.3456789000', 8)).toBe(1_234_567_890n);
    expect(usdUnits('5', 8)).toBe(500_000_000n);
  });

  it('rounds up when asked, only when something is cut', () => {
    expect(usdUnits('0.000000011', 8, 'up')).toBe(2n);
    expect(usdUnits('0.00000001', 8, 'up')).toBe(1n);
    expect(usdUnits(0.1, 8, 'up')).toBe(10_000_000n);
    expect(usdUnits(1.5e-9, 8, 'up')).toBe(1n);
  });

  it('refuses what is not an amount', () => {
    expect(() => usdUnits('abc', 8)).toThrow(RangeError);
    expect(() => usdUnits(Number.NaN, 8)).toThrow(RangeError);
  });
});
