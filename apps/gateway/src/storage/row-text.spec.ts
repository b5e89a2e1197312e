import { type Chunk, CHUNK_BYTES, copyRowTexts, LineEncoder, RowText } from './row-text';
import { fakeCopyClient } from './testing/copy-client';

/** Rows that are a COPY line given as it is. */
class PlainLines extends LineEncoder<RowText> {
  encode(line: string): RowText {
    return this.place(line);
  }

  protected text(chunk: Chunk | null, buffer: Buffer, start: number, end: number): RowText {
    return new RowText(chunk, buffer, start, end);
  }
}

describe('copyRowTexts', () => {
  const lines = Array.from({ length: 2_000 }, (_, i) => `${i}\té 😀 ${'x'.repeat(i % 197)}\n`);

  it('sends the rows in their order, rows back to back in one chunk as one piece', async () => {
    const encoder = new PlainLines();
    const rows = lines.map((l) => encoder.encode(l));
    const chunks = new Set(rows.map((r) => r.buffer));
    expect(chunks.size).toBeGreaterThan(2);
    const { client, received } = fakeCopyClient();
    await copyRowTexts(client, 'COPY t FROM STDIN', rows);
    const { text, pieces } = received();
    expect(text).toBe(lines.join(''));
    expect(pieces).toHaveLength(chunks.size);
    for (const piece of pieces) expect(piece).toBeLessThanOrEqual(CHUNK_BYTES);
  });

  it('sends a row out of its place, or in a buffer of its own, as a piece of its own', async () => {
    const encoder = new PlainLines();
    const rows = lines.slice(0, 30).map((l) => encoder.encode(l));
    const big = encoder.encode(`big\t${'漢'.repeat(CHUNK_BYTES / 3)}\n`);
    const order = [...rows.slice(0, 10), rows[20], ...rows.slice(10, 20), big, ...rows.slice(21)];
    const { client, received } = fakeCopyClient();
    await copyRowTexts(client, 'COPY t FROM STDIN', order);
    const { text, pieces } = received();
    expect(text).toBe([...lines.slice(0, 10), lines[20], ...lines.slice(10, 20), `big\t${'漢'.repeat(CHUNK_BYTES / 3)}\n`, ...lines.slice(21, 30)].join(''));
    expect(pieces).toHaveLength(5);
  });

  it('ends the COPY with no data for no rows', async () => {
    const { client, received } = fakeCopyClient();
    await copyRowTexts(client, 'COPY t FROM STDIN', []);
    expect(received()).toEqual({ text: '', pieces: [] });
  });
});
