import { DEFAULT_REQUEST_LIMITS, fewOpeners } from '@app/common';
import { GatewayError } from '@app/common';
import { checkFields, parseJsonBody, SHARED_FIELDS } from './responses-request';

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

describe('checkFields', () => {
  const param = (body: Record<string, unknown>): string | null => {
    try {
      checkFields(body, SHARED_FIELDS);
      return null;
    } catch (err) {
      return (err as GatewayError).param ?? '';
    }
  };

  it('passes what fits, absent and null fields included', () => {
    for (const body of [{}, { stream: true, temperature: 2, top_p: 0, user: 'u', store: null, other: 'x' }, { __proto__: 1, constructor: 2 }]) {
      expect(param(JSON.parse(JSON.stringify(body)))).toBeNull();
    }
  });

  it("names the first wrong field in the fields' order, whatever the body's", () => {
    expect(param({ temperature: 3 })).toBe('temperature');
    expect(param({ user: 1, temperature: 3, stream: 'yes' })).toBe('stream');
    expect(param({ top_p: 1.5, temperature: '1' })).toBe('temperature');
    expect(param(JSON.parse('{"__proto__":{"stream":1},"store":"no"}'))).toBe('store');
  });
});
