import { DEFAULT_REQUEST_LIMITS, fewOpeners } from '@app/common';
import { GatewayError } from '@app/common';
import { checkFields, parseJsonBody, SHARED_FIELDS } from './responses-request';

describe('parseJsonBody', () => {
  const limits = { ...DEFAULT_REQUEST_LIMITS, maxJsonDepth: 8 };
  const nested = (depth: number) => Buffer.from(`{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`);

  it('counts the bytes that open objects and arrays, inside strings too', () => {
    expect(fewOpeners('{"a":[{}],"b":"{["}', 5)).toBe(true);
    expect(fewOpeners('{"a":[{}],"b":"{["}', 4)).toBe(false);
    expect(fewOpeners('"x"', 0)).toBe(true);
  });

  it("counts in the decoded text what is in the bytes, whatever the bytes' UTF-8", () => {
    // Multi-byte characters, truncated and stray continuation bytes next to the openers; a BOM, an
    // encoded surrogate (ED A0 80) and a sequence past U+10FFFF (F4 90 80 80), which UTF-8 forbids.
    const pieces = [
      [0x7b], [0x5b], [0xe2, 0x82, 0xac], [0xe2], [0xe2, 0x82], [0x80], [0xf0, 0x9f], [0xc3], [0x22], [0x61], [0xff],
      [0xef, 0xbb, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf4, 0x90],
    ];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let run = 0; run < 500; run++) {
      const bytes = Buffer.from(Array.from({ length: next() % 40 }, () => pieces[next() % pieces.length]).flat());
      const openers = bytes.filter((b) => b === 0x7b || b === 0x5b).length;
      for (const max of openers === 0 ? [0] : [openers - 1, openers]) expect(fewOpeners(bytes.toString(), max)).toBe(openers <= max);
    }
  });

  it('bounds the nesting, whether or not the count of openers settles it', () => {
    expect(parseJsonBody(nested(8), limits)).toEqual(JSON.parse(nested(8).toString()));
    expect(() => parseJsonBody(nested(9), limits)).toThrow(/deeper than the limit of 8 levels/);
    // many openers, all inside strings or side by side: the byte walk decides
    const wide = Buffer.from(JSON.stringify({ input: [{ a: {} }, { b: {} }, { c: {} }, { d: {} }, { e: '{{{{[[[[' }] }));
    expect(fewOpeners(wide.toString(), limits.maxJsonDepth)).toBe(false);
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
