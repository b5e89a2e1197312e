import { requestLogRow } from '../../../../test/support/request-log-rows';
import { copyLine } from '../storage/batch-writer';
import { UUID_BYTES } from '@app/common/ids/uuidv7';
import { CHUNK_BYTES } from '../storage/row-text';
import { COLUMNS, columnValues, RequestLogEncoder, type RequestLogText } from './request-log-text';
import { repairRow, type RequestLogRow } from './request-log.writer';

/** Text that COPY's text format escapes, that looks like its markers, or that UTF-8 takes several bytes for. */
const ODD = [
  'tab\there', 'new\nline', 'crlf\r\n and a lone \r', 'back\\slash', 'ends in a backslash\\', '\\N', '\\.', '\\t written out', '', ' ',
  'Grüße, 日本語, emoji 🚀 👩‍💻', '\t\n\\\r\\N\t',
];

/** Every field set, nullable ones included, and none at its default. */
function fullRow(fields: Partial<RequestLogRow> = {}): RequestLogRow {
  return requestLogRow({
    clientRequestId: 'client-1', createdAt: new Date('2026-03-04T05:06:07.089Z'), virtualKeyId: '00000000-0000-4000-8000-000000000001',
    requestType: 'chat_completions', provider: 'anthropic', model: 'claude', modelRequested: 'anthropic/claude', fallbackIndex: 2, status: 'error',
    httpStatus: 502, errorCode: 'http_502', errorMessage: 'upstream failed', stream: true, inputTokens: 1, cachedTokens: 2, outputTokens: 3,
    reasoningTokens: 4, totalTokens: 10, costUsd: '1234567890.0123456789', latencyMs: 2_147_483_647, ttftMs: 0, ...fields,
  });
}

const lineOf = (t: RequestLogText): Buffer => t.buffer.subarray(t.start, t.end);

/** A row and its text's row must be the same row, and the text its COPY line. */
function expectRoundTrip(texts: readonly RequestLogText[], rows: readonly RequestLogRow[]): void {
  expect(texts.map((t) => t.row())).toEqual(rows);
  expect(texts.map((t) => lineOf(t).toString())).toEqual(rows.map((r) => copyLine(columnValues(r))));
}

describe('columnValues', () => {
  it("lists a row's fields in the order of the columns", () => {
    const camel = (column: string) => column.replace(/_(.)/g, (_, c: string) => c.toUpperCase());
    const row = Object.fromEntries(COLUMNS.map(([name]) => [camel(name), name])) as unknown as RequestLogRow;
    expect(columnValues(row)).toEqual(COLUMNS.map(([name]) => name));
  });
});

describe('RequestLogEncoder', () => {
  it('gives back every field of a row, as given and as null, from its COPY line', () => {
    const encoder = new RequestLogEncoder();
    const rows = [
      requestLogRow(),
      fullRow(),
      fullRow({ clientRequestId: null, virtualKeyId: null, errorCode: null, errorMessage: null, costUsd: null, ttftMs: null, stream: false }),
      // Empty text is not null.
      fullRow({ clientRequestId: '', errorCode: '', errorMessage: '', costUsd: '0' }),
      // Dates far from now, to the millisecond.
      fullRow({ createdAt: new Date(0) }), fullRow({ createdAt: new Date('1999-12-31T23:59:59.999Z') }), fullRow({ createdAt: new Date(253_402_300_799_999) }),
    ];
    expectRoundTrip(rows.map((r) => encoder.encode(r)), rows);
  });

  it('sizes a row no smaller than its line, whatever its text, nulls, integers and date', () => {
    const encoder = new RequestLogEncoder() as unknown as { mostBytes(r: RequestLogRow): number; byteLength(r: RequestLogRow): number };
    const wide = '日本語\u0000\\'.repeat(40); // 3 bytes a code unit at most, escapes 2
    const latest = new Date(8.64e15); // +275760-09-13T00:00:00.000Z, the longest timestamp
    const max = 2_147_483_647;
    const ints = { fallbackIndex: max, httpStatus: max, inputTokens: max, cachedTokens: max, outputTokens: max, reasoningTokens: max, totalTokens: max, latencyMs: max };
    const nulls = { clientRequestId: null, virtualKeyId: null, errorCode: null, errorMessage: null, costUsd: null };
    const rows = [
      fullRow({ ...ints, ...nulls, ttftMs: max, createdAt: latest }),
      fullRow({ ...ints, ...nulls, ttftMs: null, createdAt: latest, requestId: wide, provider: wide, model: wide, modelRequested: wide }),
      fullRow({ ...ints, ttftMs: max, createdAt: latest, clientRequestId: wide, errorMessage: wide, errorCode: wide }),
    ];
    for (const r of rows) {
      expect(encoder.mostBytes(r)).toBeGreaterThanOrEqual(Buffer.byteLength(copyLine(columnValues(r))));
      const minted = { ...r, id: null } as unknown as RequestLogRow;
      expect(encoder.mostBytes(minted)).toBeGreaterThanOrEqual(encoder.byteLength(minted));
    }
  });

  it("bounds a row's bytes with nothing to spare beyond the id's own: text 3 bytes a code unit, nullable text null, every number and the date at their longest", () => {
    const encoder = new RequestLogEncoder() as unknown as { mostBytes(r: RequestLogRow): number; byteLength(r: RequestLogRow): number };
    const max = 2_147_483_647;
    const cjk = (n: number) => '日本語'.repeat(n);
    const row = fullRow({
      requestId: cjk(3), requestType: cjk(1) as RequestLogRow['requestType'], provider: cjk(2), model: cjk(5), modelRequested: cjk(7), status: cjk(1) as RequestLogRow['status'],
      clientRequestId: null, virtualKeyId: null, errorCode: null, errorMessage: null, costUsd: null, createdAt: new Date(8.64e15),
      fallbackIndex: max, httpStatus: max, inputTokens: max, cachedTokens: max, outputTokens: max, reasoningTokens: max, totalTokens: max, latencyMs: max, ttftMs: max,
    });
    // The id's 36 ASCII characters are counted at 3 bytes each: 72 bytes over; all the rest of the bound is used.
    const line = Buffer.byteLength(copyLine(columnValues(row)));
    expect(encoder.mostBytes(row) - 2 * UUID_BYTES).toBe(line);
    const minted = { ...row, id: null } as unknown as RequestLogRow;
    expect(encoder.mostBytes(minted) - 2 * UUID_BYTES).toBe(encoder.byteLength(minted));
    expect(encoder.byteLength(minted)).toBe(line);
  });

  it('places a row whose id it mints in a new chunk when the id leaves it just too long for the one being filled', () => {
    const encoder = new RequestLogEncoder();
    const minted = fullRow({ id: null as unknown as string });
    const mintedBytes = Buffer.byteLength(copyLine(columnValues({ ...minted, id: '00000000-0000-7000-8000-000000000000' })));
    const filler = (bytes: number) => {
      const row = fullRow({ errorMessage: '' });
      return fullRow({ errorMessage: 'x'.repeat(bytes - Buffer.byteLength(copyLine(columnValues(row)))) });
    };
    // Rows filling the chunk up to 1 byte short of room for the minted row.
    const room = CHUNK_BYTES - (mintedBytes - 1);
    const fillers = [...Array.from({ length: Math.floor(room / 4000) - 1 }, () => filler(4000)), filler(4000 + (room % 4000))];
    const texts = fillers.map((r) => encoder.encode(r));
    expect(new Set(texts.map((t) => lineOf(t).buffer)).size).toBe(1);
    expect(texts.at(-1)!.end).toBe(room);
    const text = encoder.encode(minted);
    expect(lineOf(text).buffer).not.toBe(lineOf(texts[0]).buffer);
    expect(text.end).toBeLessThanOrEqual(CHUNK_BYTES);
    expect(text.end - text.start).toBe(mintedBytes);
    expect(lineOf(text).toString()).toBe(copyLine(columnValues({ ...minted, id: text.row().id })));
  });

  it('refuses an integer repairRow would have changed rather than write it wrong or never finish', () => {
    const encoder = new RequestLogEncoder();
    for (const v of [Infinity, NaN, -1, 1.5, 2_147_483_648]) expect(() => encoder.encode(fullRow({ inputTokens: v }))).toThrow(RangeError);
    for (const v of [Infinity, -1]) expect(() => encoder.encode(fullRow({ ttftMs: v }))).toThrow(RangeError);
    // The chunk is none the worse for it.
    const rows = [fullRow(), fullRow({ ttftMs: null })];
    expectRoundTrip(rows.map((r) => encoder.encode(r)), rows);
  });

  it('writes integers at every digit count and timestamps of seconds met out of order as copyLine does', () => {
    const encoder = new RequestLogEncoder();
    const ints = [0, 1, 9, 10, 99, 100, 999, 1000, 65_535, 999_999_999, 1_000_000_000, 2_147_483_647];
    const rows = ints.map((n, i) =>
      fullRow({
        fallbackIndex: n, httpStatus: n, inputTokens: n, cachedTokens: n, outputTokens: n, reasoningTokens: n, totalTokens: n, latencyMs: n, ttftMs: n,
        // Milliseconds of one, two and three digits, the second going back and forth.
        createdAt: new Date(Date.UTC(2026, 11, 7, 23, 59, 58 + (i % 3), [5, 40, 120, 7][i % 4])),
      }),
    );
    expectRoundTrip(rows.map((r) => encoder.encode(r)), rows);
  });

  it('mints a UUIDv7 for a row without an id as it encodes it, in order, its line otherwise that of the row given', () => {
    const encoder = new RequestLogEncoder();
    // Enough rows to fill several chunks: the exact length is counted near each chunk's end.
    const rows = Array.from({ length: 600 }, (_, i) => fullRow({ errorMessage: 'é'.repeat(i % 900) }));
    const texts = rows.map((r) => encoder.encode({ ...r, id: null }));
    const ids = texts.map((t) => t.row().id);
    expect(ids.filter((id) => !/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(rows.length);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
    expectRoundTrip(texts, rows.map((r, i) => ({ ...r, id: ids[i] })));
  });

  it('gives back text needing escapes and multi-byte text unchanged, U+0000 and lone surrogates as the database keeps them', () => {
    const encoder = new RequestLogEncoder();
    const rows = ODD.map((text, i) =>
      fullRow({ requestId: `r${text}`, clientRequestId: text, provider: text, model: `m ${text}`, modelRequested: text, errorCode: text, errorMessage: `${i} ${text}` }),
    );
    expectRoundTrip(rows.map((r) => encoder.encode(r)), rows);

    const odd = fullRow({ errorMessage: 'a\u0000b \ud800 lone', model: 'gpt\u0000', clientRequestId: '\udc00' });
    expect(encoder.encode(odd).row()).toEqual({ ...odd, errorMessage: 'a\ufffdb \ufffd lone', model: 'gpt\ufffd', clientRequestId: '\ufffd' });
  });

  it('gives back the text repairRow cut short, its mark included', () => {
    const row = fullRow({ model: '漢'.repeat(4096), errorMessage: 'e\t'.repeat(3000), requestId: 'é'.repeat(200) });
    expect(repairRow(row)).toBe(true);
    expect([row.model.length, row.errorMessage!.length, row.requestId.length]).toEqual([512, 1000, 128]);
    const text = new RequestLogEncoder().encode(row);
    expectRoundTrip([text], [row]);
    expect(text.row().model.endsWith('…')).toBe(true);
  });

  it('is written to a spill file or a dead letter as the row itself', () => {
    const row = fullRow({ errorMessage: 'quoted "x", tab\t, 漢' });
    expect(JSON.stringify(new RequestLogEncoder().encode(row))).toBe(JSON.stringify(row));
  });

  it('fills shared chunks one row after another, and fills them again once every row in them is released, never while one is held', () => {
    const encoder = new RequestLogEncoder();
    const rows = Array.from({ length: 600 }, (_, i) => fullRow({ errorMessage: 'é'.repeat(i % 900) }));
    const first = rows.map((r) => encoder.encode(r));
    const chunks = [...new Set(first.map((t) => lineOf(t).buffer))];
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk.byteLength).toBe(CHUNK_BYTES);
    // Within a chunk, each row right behind the one before.
    for (let i = 1; i < first.length; i++) {
      const [before, line] = [lineOf(first[i - 1]), lineOf(first[i])];
      if (line.buffer === before.buffer) expect(line.byteOffset).toBe(before.byteOffset + before.length);
    }
    // A row of the second chunk stays held (spilled, say): that chunk is never filled again.
    const held = first.findIndex((t) => lineOf(t).buffer === chunks[1]);
    encoder.release(first.filter((_, i) => i !== held));
    // Released twice, a row counts once.
    encoder.release(first.slice(0, 10));
    const second = rows.map((r) => encoder.encode(r));
    const reused = new Set(second.map((t) => lineOf(t).buffer));
    expect(reused.has(chunks[0])).toBe(true);
    expect(reused.has(chunks[1])).toBe(false);
    expectRoundTrip([first[held], ...second], [rows[held], ...rows]);
  });
});
