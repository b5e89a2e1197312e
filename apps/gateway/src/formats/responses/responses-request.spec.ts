import { DEFAULT_REQUEST_LIMITS } from '@app/common';
import { fewOpeners, parseJsonBody } from './responses-request';

describe('parseJsonBody', () => {
  const limits = { ...DEFAULT_REQUEST_LIMITS, maxJsonDepth: 8 };
  const nested = (depth: number) => Buffer.from(`{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`);

  it('counts the bytes that open objects and arrays, inside strings too', () => {
    expect(fewOpeners(Buffer.from('{"a":[{}],"b":"{["}'), 5)).toBe(true);
    expect(fewOpeners(Buffer.from('{"a":[{}],"b":"{["}'), 4)).toBe(false);
    expect(fewOpeners(Buffer.from('"x"'), 0)).toBe(true);
  });

  it('bounds the nesting, whether or not the count of openers settles it', () => {
    expect(parseJsonBody(nested(8), limits)).toEqual(JSON.parse(nested(8).toString()));
    expect(() => parseJsonBody(nested(9), limits)).toThrow(/deeper than the limit of 8 levels/);
    // many openers, all inside strings or side by side: the byte walk decides
    const wide = Buffer.from(JSON.stringify({ input: [{ a: {} }, { b: {} }, { c: {} }, { d: {} }, { e: '{{{{[[[[' }] }));
    expect(fewOpeners(wide, limits.maxJsonDepth)).toBe(false);
    expect(parseJsonBody(wide, limits)).toEqual(JSON.parse(wide.toString()));
  });
});
