import { BINARY_HEADER, BINARY_TRAILER } from '../storage/copy-binary';
import { CHUNK_BYTES, MAX_SPARE_CHUNKS } from '../storage/row-text';
import { capacityFor } from '../storage/spare-buffers';
import { type StoredResponseRow, toJsonb } from './stored-response';
import { fakeCopyClient } from '../storage/testing/copy-client';
import { itemTuplesEnd, itemTuplesStart, responseTupleStart, StoredRowEncoder, type StoredRowText } from './stored-row-text';

let n = 0;

function row(items: number, fields: Partial<StoredResponseRow> = {}): StoredResponseRow {
  const id = `resp_${n++}`;
  return {
    id, keyId: '00000000-0000-4000-8000-000000000001', createdAt: 1_700_000_000_123 + n, expiresAt: 1_800_000_000_000 + n,
    status: 'completed', background: false, model: 'gpt', previousResponseId: n % 2 === 0 ? null : `resp_${n - 1}`,
    requestJson: `{"input":"turn ${n}"}`, inputItemsJson: '[]', responseJson: JSON.stringify({ id, output: [] }), errorJson: null,
    items: Array.from({ length: items }, (_, i) => ({ source: i === 0 ? ('input' as const) : ('output' as const), position: i, itemId: `msg_${id}_${i}` })),
    ...fields,
  };
}

/** What the text of a row must be: the database's view of it (jsonb-safe JSON). */
function asStored(r: StoredResponseRow): StoredResponseRow {
  return { ...r, requestJson: toJsonb(r.requestJson), inputItemsJson: toJsonb(r.inputItemsJson), responseJson: toJsonb(r.responseJson), errorJson: toJsonb(r.errorJson) };
}

function expectRows(texts: readonly StoredRowText[], rows: readonly StoredResponseRow[]): void {
  expect(texts.map((t) => t.row())).toEqual(rows.map(asStored));
  expect(texts.map((t) => t.id)).toEqual(rows.map((r) => r.id));
}

/** Binary COPY rows back to back, one Buffer each, read by their field lengths alone. */
function tuples(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const start = at;
    const count = data.readInt16BE(at);
    at += 2;
    for (let f = 0; f < count; f++) at += 4 + Math.max(0, data.readInt32BE(at));
    out.push(data.subarray(start, at));
  }
  return out;
}

describe('StoredRowEncoder', () => {
  it('keeps each row its own response row and item rows, rows without items between rows with items included', () => {
    const encoder = new StoredRowEncoder();
    const rows = [row(2), row(0), row(0), row(3), row(0), row(1)];
    const texts = rows.map((r) => encoder.encode(r));
    expectRows(texts, rows);
    expect(texts.map((t) => t.hasItems)).toEqual([true, false, false, true, false, true]);
    for (const [i, t] of texts.entries()) {
      // One stored_responses row of 13 fields, then one stored_items row of 6 per item.
      expect(tuples(t.responseTuple()).map((b) => b.readInt16BE(0))).toEqual([13]);
      expect(tuples(t.itemTuples()).map((b) => b.readInt16BE(0))).toEqual(rows[i].items.map(() => 6));
      expect(t.bytes).toBe(t.responseTuple().length + t.itemTuples().length);
    }
  });

  it('gives back text that COPY text escaped, multi-byte characters, nulls and a queued row unchanged (U+0000 and lone surrogates as the database keeps them)', () => {
    const encoder = new StoredRowEncoder();
    const rows = [
      row(1, { requestJson: JSON.stringify({ input: 'tab\there\nnew\\line\r, é 漢 😀, \ud800 lone, \u0000 nul' }), errorJson: '{"code":"x\\\\y"}' }),
      row(0, { model: 'model\twith\\odd\ncharacters', status: 'queued', background: true }),
      row(2, { items: [{ source: 'input', position: 7, itemId: 'id\twith\ntabs\\ and 漢' }, { source: 'output', position: 0, itemId: 'plain' }] }),
    ];
    expectRows(rows.map((r) => encoder.encode(r)), rows);
    expect(encoder.encode(rows[0]).row().requestJson).toContain('\\ufffd lone, \\ufffd nul');
  });

  it('counts exactly the bytes it writes, for finished rows (heartbeat_at NULL) and unfinished ones', () => {
    class Counting extends StoredRowEncoder {
      counted = 0;
      protected override byteLength(parts: never): number {
        return (this.counted = super.byteLength(parts));
      }
    }
    for (const status of ['completed', 'failed', 'queued', 'in_progress'] as const) {
      for (const r of [row(0, { status }), row(2, { status, keyId: 'not a uuid', errorJson: '{"e":"漢"}' })]) {
        // A new encoder has no chunk yet, so it counts the row's exact length.
        const encoder = new Counting();
        expect(encoder.encode(r).bytes).toBe(encoder.counted);
      }
    }
  });

  it('fills shared chunks and gives a row of more than a quarter of a chunk a buffer of its own, of its size rounded up', () => {
    const encoder = new StoredRowEncoder();
    const rows = Array.from({ length: 400 }, (_, i) =>
      row(i % 3, { responseJson: JSON.stringify({ text: (i % 5 === 0 ? '漢' : 'a').repeat(1 + ((i * 997) % 3000)) }) }),
    );
    const big = row(1, { responseJson: JSON.stringify({ text: '漢'.repeat(CHUNK_BYTES / 6) }) });
    const texts = [...rows.slice(0, 200), big, ...rows.slice(200)].map((r) => encoder.encode(r));
    expectRows(texts, [...rows.slice(0, 200), big, ...rows.slice(200)]);
    const own = texts[200].responseTuple().buffer;
    expect(own.byteLength).toBe(capacityFor(texts[200].bytes));
    expect(own.byteLength).toBeGreaterThan(CHUNK_BYTES / 4);
    const chunks = new Set(texts.filter((_, i) => i !== 200).map((t) => t.responseTuple().buffer));
    for (const chunk of chunks) expect(chunk.byteLength).toBe(CHUNK_BYTES);
    // Filled, not one per row: the chunks hold the rows' bytes with at most a quarter of each left over.
    const bytes = texts.reduce((sum, t, i) => sum + (i === 200 ? 0 : t.bytes), 0);
    expect(chunks.size).toBeLessThanOrEqual(Math.ceil(bytes / (0.75 * CHUNK_BYTES)));
  });

  it('is written to a spill file as the row itself', () => {
    const encoder = new StoredRowEncoder();
    const r = row(2, { errorJson: '{"message":"x"}' });
    const json = JSON.stringify(encoder.encode(r));
    // Its times as ISO strings, as JSON.stringify wrote the Dates rows held before.
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify({ ...r, createdAt: new Date(r.createdAt), expiresAt: new Date(r.expiresAt) })));
    // Text every COPY text escape and UTF-8 length touches; U+0000 and a lone surrogate as the database keeps them.
    const odd = 'back\\slash \\n not a newline, tab\there\nnew line\r\n, é 漢 😀, \u0000 nul, \ud800 lone';
    const hard = row(2, {
      model: 'model\twith\\odd\r\n漢\u0000',
      requestJson: JSON.stringify({ input: odd, escaped: '\\t \\u0000' }),
      inputItemsJson: JSON.stringify([{ content: odd }]),
      responseJson: JSON.stringify({ output: [{ text: `😀${odd}` }] }),
      errorJson: JSON.stringify({ message: '"quoted"\\' }),
      items: [{ source: 'input', position: 0, itemId: 'id\twith\\ 漢\u0000' }, { source: 'output', position: 1, itemId: 'plain' }],
    });
    const stored = asStored(hard);
    const expected = { ...stored, createdAt: new Date(stored.createdAt), expiresAt: new Date(stored.expiresAt), model: stored.model.replace('\u0000', '\ufffd'), items: stored.items.map((it) => ({ ...it, itemId: it.itemId.replace('\u0000', '\ufffd') })) };
    expect(JSON.parse(JSON.stringify(encoder.encode(hard)))).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(JSON.parse(JSON.parse(JSON.stringify(encoder.encode(hard))).requestJson)).toEqual({ input: odd.replace('\u0000', '\ufffd').replace('\ud800', '\ufffd'), escaped: '\\t \\u0000' });
  });

  it("copies a plain Response's UTF-8 given with its row into the same text as encoding it, and keeps none of the given buffer", () => {
    const rows = [
      row(2, { responseJson: JSON.stringify({ text: 'é 漢 😀 plain' }) }),
      row(0),
      // Larger than a quarter of a chunk: a buffer of its own.
      row(1, { responseJson: JSON.stringify({ text: '漢'.repeat(CHUNK_BYTES / 4) }), model: 'model\twith\\odd' }),
    ];
    const [encoded, copied] = [new StoredRowEncoder(), new StoredRowEncoder()];
    for (const r of rows) {
      const given = Buffer.from(`${r.responseJson}trailing room`);
      const bytes = given.subarray(0, Buffer.byteLength(r.responseJson));
      const [a, b] = [encoded.encode(r), copied.encode(r, bytes)];
      // The cache gives the buffer to its next entry.
      given.fill(0x78);
      expect([b.responseTuple().equals(a.responseTuple()), b.itemTuples().equals(a.itemTuples()), b.bytes]).toEqual([true, true, a.bytes]);
      expectRows([b], [r]);
    }
  });

  it("sends its stored_responses rows with one binary COPY and its stored_items rows with the other, a large row's as it lies", async () => {
    const encoder = new StoredRowEncoder();
    const rows = [row(2), row(0), row(1, { responseJson: JSON.stringify({ text: 'x'.repeat(CHUNK_BYTES / 2) }) }), row(3), row(0)];
    const texts = rows.map((r) => encoder.encode(r));
    const [responses, items] = [fakeCopyClient(), fakeCopyClient()];
    await encoder.copy(responses.client, 'COPY stored_responses FROM STDIN WITH (FORMAT binary)', texts, responseTupleStart, itemTuplesStart);
    await encoder.copy(items.client, 'COPY stored_items FROM STDIN WITH (FORMAT binary)', texts, itemTuplesStart, itemTuplesEnd);
    // The header first, the trailer last, and the rows between in any order.
    const sent = (data: Buffer): Buffer[] => {
      expect(data.subarray(0, BINARY_HEADER.length).equals(BINARY_HEADER)).toBe(true);
      expect(data.subarray(data.length - 2).equals(BINARY_TRAILER)).toBe(true);
      return tuples(data.subarray(BINARY_HEADER.length, data.length - 2));
    };
    const sorted = (bufs: Buffer[]) => bufs.map((b) => b.toString('hex')).sort();
    expect(sorted(sent(responses.received().data))).toEqual(sorted(texts.map((t) => t.responseTuple())));
    expect(sorted(sent(items.received().data))).toEqual(sorted(texts.flatMap((t) => tuples(t.itemTuples()))));
    expect(sent(items.received().data)).toHaveLength(6);
    expect(responses.received().buffers.some((b) => b.buffer === texts[2].buffer.buffer)).toBe(true);
  });

  it('fills chunks again once all their rows are released, never one with a row still held', () => {
    const encoder = new StoredRowEncoder();
    const padded = (i: number) => row(i % 3, { responseJson: JSON.stringify({ text: 'é'.repeat(100 + ((i * 131) % 2000)) }) });
    const firstRows = Array.from({ length: 300 }, (_, i) => padded(i));
    const first = firstRows.map((r) => encoder.encode(r));
    const chunks = [...new Set(first.map((t) => t.responseTuple().buffer))];
    expect(chunks.length).toBeGreaterThan(3);
    // One row of the second chunk stays held (spilled, say): that chunk is never filled again.
    const heldIndex = first.findIndex((t) => t.responseTuple().buffer === chunks[1]);
    encoder.release(first.filter((_, i) => i !== heldIndex));
    const secondRows = Array.from({ length: 300 }, (_, i) => padded(i + 7));
    const second = secondRows.map((r) => encoder.encode(r));
    const reused = new Set(second.map((t) => t.responseTuple().buffer));
    expect(reused.has(chunks[0])).toBe(true);
    expect(reused.has(chunks[1])).toBe(false);
    expectRows([first[heldIndex]], [firstRows[heldIndex]]);
    expectRows(second, secondRows);
    // Released once more, and a third round: no chunk is handed out while another row still uses it.
    encoder.release(second);
    const thirdRows = Array.from({ length: 50 }, (_, i) => padded(i + 11));
    const third = thirdRows.map((r) => encoder.encode(r));
    expectRows(third, thirdRows);
    expectRows([first[heldIndex]], [firstRows[heldIndex]]);
  });

  it('counts a row released twice once: the rows still held in its chunk are not written over', () => {
    const encoder = new StoredRowEncoder();
    const [aRow, bRow] = [row(0), row(2)];
    const [a, b] = [encoder.encode(aRow), encoder.encode(bRow)];
    encoder.release([a]);
    encoder.release([a, a]);
    // Longer than a: written where a was, it would run into b.
    const cRow = row(1, { responseJson: JSON.stringify({ text: 'c'.repeat(500) }) });
    const c = encoder.encode(cRow);
    expectRows([b, c], [bRow, cRow]);
    // Its last rows released, the chunk is filled again from its start.
    encoder.release([b, c]);
    expect(encoder.encode(row(0)).responseTuple().byteOffset).toBe(a.responseTuple().byteOffset);
  });

  it('keeps at most MAX_SPARE_CHUNKS spare chunks', () => {
    const encoder = new StoredRowEncoder();
    const big = JSON.stringify({ text: 'x'.repeat(CHUNK_BYTES / 5) });
    // One row of a fifth of a chunk each: four to a chunk.
    const texts = Array.from({ length: 4 * (MAX_SPARE_CHUNKS + 10) }, () => encoder.encode(row(0, { responseJson: big })));
    const chunks = new Set(texts.map((t) => t.responseTuple().buffer));
    encoder.release(texts);
    const again = new Set(Array.from({ length: 4 * (MAX_SPARE_CHUNKS + 10) }, () => encoder.encode(row(0, { responseJson: big })).responseTuple().buffer));
    expect([...again].filter((c) => chunks.has(c)).length).toBeLessThanOrEqual(MAX_SPARE_CHUNKS + 1);
  });
});
