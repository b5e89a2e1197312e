import { deflateSync } from 'node:zlib';
import { countWords } from './answer';
import { fakeProse } from './prose';

describe('fakeProse', () => {
  it('writes exactly N words (the fake’s token count), the same for the same seed text', () => {
    for (const n of [0, 1, 2, 17, 1200]) expect(countWords(fakeProse(n, 'seed'))).toBe(n);
    expect(fakeProse(300, 'seed')).toBe(fakeProse(300, 'seed'));
    expect(fakeProse(300, 'seed')).not.toBe(fakeProse(300, 'seed.'));
    // A longer answer begins as the shorter one does.
    expect(fakeProse(300, 'seed').slice(0, 200)).toBe(fakeProse(1200, 'seed').slice(0, 200));
  });

  it('reads as sentences and paragraphs', () => {
    const text = fakeProse(1200, 'shape');
    expect(text).toMatch(/^[A-Z`]/);
    expect(text.endsWith('.')).toBe(true);
    expect(text).toContain('\n\n');
    expect(text).not.toMatch(/ {2}|\n{3}|,,|[.?:!,][.?:!,]/);
    const words = text.split(/\s+/);
    expect(new Set(words).size).toBeGreaterThan(200);
  });

  it('compresses like English text, not like a repeated word', () => {
    // zlib on real prose: about 2.4x for 6 KB, 2.8x-3.1x for 20 KB (licence texts, READMEs).
    const ratio = (words: number, seed: string) => {
      const bytes = Buffer.from(fakeProse(words, seed));
      return bytes.length / deflateSync(bytes).length;
    };
    for (const seed of ['a', 'b', 'c']) {
      expect(ratio(1200, seed)).toBeGreaterThan(2.3);
      expect(ratio(1200, seed)).toBeLessThan(3);
      expect(ratio(4000, seed)).toBeGreaterThan(2.6);
      expect(ratio(4000, seed)).toBeLessThan(3.5);
    }
  });
});
