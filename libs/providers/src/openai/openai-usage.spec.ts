import { seededRandom } from '../../../../test/support/seeded-random';
import { objectEnd } from '../responses/json-text';
import { usageFromResponses, usageFromText } from './openai-usage';

/** What usageFromText stands in for: the usage object parsed, or null when it is not JSON. */
function parsedUsage(text: string): ReturnType<typeof usageFromResponses> | null {
  try {
    return usageFromResponses(JSON.parse(text));
  } catch {
    return null;
  }
}

describe('usageFromText', () => {
  const next = seededRandom(7);
  const random = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[random(xs.length)];
  // Counts as OpenAI writes them, and numbers JSON writes otherwise (or not at all).
  const plainCounts = ['0', '7', '16', '1024', '987654321', '123456789012345', '999999999999999'];
  const otherCounts = ['00', '01', '-1', '-0', '1.5', '1e3', '1E3', '2.0', '1234567890123456', '99999999999999999999', '1.', '+1', ' 1', '1 ', 'null', '"1"', '', '0x1'];
  const usageText = (n: string[]) =>
    `{"input_tokens":${n[0]},"input_tokens_details":{"cached_tokens":${n[1]}},"output_tokens":${n[2]},"output_tokens_details":{"reasoning_tokens":${n[3]}},"total_tokens":${n[4]}}`;
  // The texts read: OpenAI's shape, each count `0` or up to 15 digits without a leading zero,
  // JSON's whitespace allowed between any two tokens.
  const shape = new RegExp(
    `^${usageText(['N', 'N', 'N', 'N', 'N'])
      .replace(/"[a-z_]+"|N|[{}:,]/g, '$&\u0001')
      .replace(/[{}]/g, '\\$&')
      .replaceAll('N', '(0|[1-9][0-9]{0,14})')
      .replace(/\u0001(?!$)/g, '[ \\t\\n\\r]*')
      .replace(/\u0001$/, '')}`,
  );

  it("reads OpenAI's usage objects as JSON.parse does, and ends them where the object ends", () => {
    for (let round = 0; round < 500; round++) {
      const text = usageText(Array.from({ length: 5 }, () => pick(plainCounts)));
      const read = usageFromText(text, 0);
      expect(read).toEqual({ usage: parsedUsage(text), end: text.length });
    }
  });

  it('reads a usage object inside a larger text from where it opens, to its end only', () => {
    const usage = usageText(['36', '4', '87', '64', '123']);
    const text = `{"response":{"usage":${usage},"user":null}}`;
    const start = text.indexOf(usage);
    expect(usageFromText(text, start)).toEqual({ usage: { inputTokens: 36, cachedTokens: 4, outputTokens: 87, reasoningTokens: 64, totalTokens: 123 }, end: start + usage.length });
    expect(usageFromText(text, start - 1)).toBeUndefined();
    expect(usageFromText(text, start + 1)).toBeUndefined();
  });

  it('refuses every other number, order, member and cut, reads any spacing, and never differs from JSON.parse', () => {
    const variants: string[] = [];
    for (let round = 0; round < 2000; round++) {
      const n = Array.from({ length: 5 }, () => pick(plainCounts));
      n[random(5)] = pick(otherCounts);
      variants.push(usageText(n));
    }
    const plain = usageText(['16', '0', '11', '0', '27']);
    variants.push(
      JSON.stringify(JSON.parse(plain), null, 2),
      JSON.stringify(JSON.parse(plain), null, '\t').replaceAll('\n', '\r\n'),
      plain.replace(':16', ': 16'),
      plain.replace(':16', ': 16 ').replace('{', '{ ').replace('27}', '27\n}'),
      plain.replace(':16', ':\u00a016'),
      plain.replace(':16', ':\f16'),
      plain.replace('{"input_tokens":16,', '{"input_tokens":16,"cost":1,'),
      plain.replace('}', ',"extra":1}'),
      plain.slice(0, -1) + ',"total_tokens":3}',
      '{"output_tokens":11,"input_tokens":16,"input_tokens_details":{"cached_tokens":0},"output_tokens_details":{"reasoning_tokens":0},"total_tokens":27}',
      '{"input_tokens":16,"output_tokens":11,"total_tokens":27}',
      plain.replace('"input_tokens_details":{"cached_tokens":0}', '"input_tokens_details":null'),
      plain.replace('input_tokens"', 'input_\\u0074okens"'),
    );
    for (let cut = 0; cut < plain.length; cut++) variants.push(plain.slice(0, cut), plain.slice(0, cut) + plain.slice(cut + 1), plain.slice(0, cut) + '9' + plain.slice(cut));
    let read = 0;
    for (const text of variants) {
      const found = usageFromText(text, 0);
      const match = shape.exec(text);
      expect(found !== undefined).toBe(match !== null);
      if (found === undefined) continue;
      read++;
      // What the reader read is the object JSON.parse reads there, and objectEnd ends it there too.
      expect(found.end).toBe(match![0].length);
      expect(objectEnd(text, 0)).toBe(found.end);
      expect(found.usage).toEqual(parsedUsage(text.slice(0, found.end)));
    }
    // Cuts that drop or add one digit of a count leave a count: some variants are read, the indented ones too.
    expect(read).toBeGreaterThan(0);
    expect(usageFromText(JSON.stringify(JSON.parse(plain), null, 2), 0)?.usage).toEqual(parsedUsage(plain));
    expect(read).toBeLessThan(variants.length / 4);
  });
});
