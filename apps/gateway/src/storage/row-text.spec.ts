import { CHUNK_BYTES, MAX_KEPT_OWN_BYTES, MAX_SPARE_OWN_BYTES, type RowText } from './row-text';
import { capacityFor } from './spare-buffers';
import { fakeCopyClient } from './testing/copy-client';
import { PlainLines } from './testing/plain-lines';

/** The lines of a COPY text, in an order of their own: the COPY sends rows in any order. */
function sorted(text: string | readonly string[]): string[] {
  return (typeof text === 'string' ? text.split(/(?<=\n)/) : [...text]).sort();
}

const SQL = 'COPY t FROM STDIN';

describe('RowTextEncoder.copy', () => {
  const lines = Array.from({ length: 2_000 }, (_, i) => `${i}\té 😀 ${'x'.repeat(i % 197)}\n`);
  const bigLine = `big\t${'漢'.repeat(CHUNK_BYTES / 3)}\n`;

  it('sends every row, rows back to back in one chunk as one piece where they lie', async () => {
    const encoder = new PlainLines();
    const rows = lines.map((l) => encoder.encode(l));
    const chunks = new Set(rows.map((r) => r.buffer));
    expect(chunks.size).toBeGreaterThan(2);
    const { client, received } = fakeCopyClient();
    await encoder.copy(client, SQL, rows);
    const { text, pieces, buffers } = received();
    expect(sorted(text)).toEqual(sorted(lines));
    expect(pieces).toHaveLength(chunks.size);
    for (const piece of pieces) expect(piece).toBeLessThanOrEqual(CHUNK_BYTES);
    // Not copied: only the last chunk's few rows (a quarter of a chunk or less) may go in a piece of their own.
    expect(buffers.filter((b) => ![...chunks].some((c) => c.buffer === b.buffer)).length).toBeLessThanOrEqual(1);
  });

  it('copies runs out of their place together into one piece, and sends a row in a buffer of its own as it lies', async () => {
    const encoder = new PlainLines();
    const rows = lines.slice(0, 30).map((l) => encoder.encode(l));
    const big = encoder.encode(bigLine);
    const order = [rows[20], ...rows.slice(0, 10), rows[25], big, ...rows.slice(10, 20), rows[21], rows[29]];
    const { client, received } = fakeCopyClient();
    await encoder.copy(client, SQL, order);
    const { text, pieces, buffers } = received();
    expect(sorted(text)).toEqual(sorted([...lines.slice(0, 22), lines[25], lines[29], bigLine]));
    expect(pieces).toEqual([big.bytes, Buffer.byteLength(text) - big.bytes]);
    expect(buffers[0].buffer).toBe(big.buffer.buffer);
  });

  it('sends only the part of each row asked for, rows without any skipped', async () => {
    const encoder = new PlainLines();
    const rows = lines.slice(0, 50).map((l) => encoder.encode(`${l}${l}`));
    const { client, received } = fakeCopyClient();
    // The second line of every row, none of the odd rows.
    await encoder.copy(client, SQL, rows, (r) => r.start + (r.bytes / 2) * (rows.indexOf(r) % 2 === 0 ? 1 : 2), (r) => r.end);
    expect(sorted(received().text)).toEqual(sorted(lines.slice(0, 50).filter((_, i) => i % 2 === 0)));
  });

  it('fills its pieces again only after the COPY that sent them is over, and never after one that failed', async () => {
    const encoder = new PlainLines();
    // Every other row: runs of one row each, copied into pieces. All encoded first: new chunks are spares too.
    const [firstRows, failedRows, thirdRows] = [0, 1, 2].map(() => lines.map((l) => encoder.encode(l)).filter((_, i) => i % 2 === 0));
    const first = fakeCopyClient();
    await encoder.copy(first.client, SQL, firstRows);
    const { text, buffers } = first.received();
    expect(buffers.length).toBeGreaterThan(1);
    // The pieces as they are now are what was sent: none was filled again during the COPY.
    expect(Buffer.concat(buffers).toString()).toBe(text);
    const firstPieces = new Set(buffers.map((b) => b.buffer));

    const failing = fakeCopyClient(1);
    await expect(encoder.copy(failing.client, SQL, failedRows)).rejects.toThrow('refused by the fake server');
    // The first COPY's pieces, filled again.
    const failedPieces = failing.received().buffers.map((b) => b.buffer);
    expect(failedPieces.length).toBeGreaterThan(0);
    expect(failedPieces.every((b) => firstPieces.has(b))).toBe(true);

    const third = fakeCopyClient();
    await encoder.copy(third.client, SQL, thirdRows);
    expect(third.received().buffers.some((b) => failedPieces.includes(b.buffer))).toBe(false);
  });

  it('gives the COPY up when sending its rows throws, before the server took it or under way, and rethrows', async () => {
    const encoder = new PlainLines();
    // Every other row: runs of one row each, copied into pieces, the first sent after about 600 rows.
    const rows = lines.map((l) => encoder.encode(l)).filter((_, i) => i % 2 === 0);
    for (const at of [0, 900]) {
      const broken = new Error(`row ${at} has no end`);
      const { client, received } = fakeCopyClient();
      const endOf = (row: RowText): number => {
        if (row === rows[at]) throw broken;
        return row.end;
      };
      await expect(encoder.copy(client, SQL, rows, undefined, endOf)).rejects.toBe(broken);
      const { pieces, writes, failure } = received();
      expect(pieces.length).toBe(at === 0 ? 0 : 1);
      expect(writes.at(-1)).toBe('f');
      expect(failure).toBe(broken.message);
    }
  });

  it('ends the COPY with no data for no rows', async () => {
    const { client, received } = fakeCopyClient();
    await new PlainLines().copy(client, SQL, []);
    expect(received()).toEqual({ text: '', data: Buffer.alloc(0), pieces: [], buffers: [], writes: ['c'] });
  });
});

describe('RowTextEncoder', () => {
  const big = (n: number) => `${n}\t${'x'.repeat(CHUNK_BYTES / 2)}\n`;

  it('gives a large row a buffer of its own, filled again once the row is released, once however often it is released', () => {
    const encoder = new PlainLines();
    const a = encoder.encode(big(1));
    expect(a.buffer.length).toBe(capacityFor(a.bytes));
    encoder.release([a]);
    encoder.release([a, a]);
    const [b, c] = [encoder.encode(big(2)), encoder.encode(big(3))];
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(a.buffer);
    expect([b, c].map((r) => r.buffer.toString('utf8', r.start, r.end))).toEqual([big(2), big(3)]);
  });

  it("keeps at most MAX_SPARE_OWN_BYTES of large rows' buffers for reuse", () => {
    const encoder = new PlainLines();
    const capacity = capacityFor(Buffer.byteLength(big(0)));
    const encode = (count: number) => Array.from({ length: count }, (_, i) => encoder.encode(big(i)));
    const rows = encode(Math.ceil(MAX_SPARE_OWN_BYTES / capacity) + 10);
    encoder.release(rows);
    const before = new Set(rows.map((r) => r.buffer));
    expect(encode(rows.length).filter((r) => before.has(r.buffer)).length).toBe(Math.floor(MAX_SPARE_OWN_BYTES / capacity));
  });

  it('leaves a very large row\'s buffer to the collector, and keeps the spares it would have pushed out', () => {
    const encoder = new PlainLines();
    const common = encoder.encode(big(1));
    encoder.release([common]);
    const huge = encoder.encode(`h\t${'x'.repeat(MAX_KEPT_OWN_BYTES + 1)}\n`);
    encoder.release([huge]);
    expect(encoder.encode(`h\t${'y'.repeat(MAX_KEPT_OWN_BYTES + 1)}\n`).buffer).not.toBe(huge.buffer);
    expect(encoder.encode(big(2)).buffer).toBe(common.buffer);
  });
});
