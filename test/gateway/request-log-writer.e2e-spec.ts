import { Client } from 'pg';
import { uuidv7 } from '@app/common';
import { RequestLogWriter, type RequestLogRow } from '../../apps/gateway/src/request-log/request-log.writer';
import { CopyIn } from '../../apps/gateway/src/storage/copy-in';
import { requestLogColumns, requestLogRow } from '../support/request-log-rows';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { testEnv } from '../support/test-env.config';

/** Text that COPY's text format must escape, or that looks like its markers, and text from far outside ASCII. */
const TRICKY = [
  'tab\there',
  'new\nline',
  'crlf\r\nand a lone \r',
  'back\\slash',
  'ends in a backslash\\',
  '\\N',
  'NULL',
  '\\.',
  'line\n\\.\nafter the end marker',
  '\\\\N \\t \\n',
  '',
  ' ',
  'quotes "double" \'single\', commas, {braces}, |pipes|',
  'Grüße, ñ, 日本語, עברית, Ελληνικά',
  'emoji 🚀 👩‍💻 🇩🇪',
  '\t\n\\\r\\N\t',
];

describe('request log writer (COPY, with INSERT ... ON CONFLICT for retried batches)', () => {
  let h: GatewayHarness;
  let writer: RequestLogWriter;
  let pg: Client;

  beforeAll(async () => {
    h = await startGatewayHarness();
    writer = h.gateway.app.get(RequestLogWriter);
    pg = new Client({ connectionString: h.db.url });
    await pg.connect();
  });
  // A spy left by a failed test must not watch the next one.
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await pg?.end();
    await h?.close();
  });

  let n = 0;
  function row(fields: Partial<RequestLogRow> = {}): RequestLogRow {
    return requestLogRow({ requestId: `rlw-${process.pid}-${++n}`, ...fields });
  }

  async function write(rows: RequestLogRow[]): Promise<void> {
    const failed = writer.stats.failedFlushes;
    for (const r of rows) writer.enqueue(r);
    await writer.flush();
    expect(writer.buffered).toBe(0);
    expect(writer.stats.failedFlushes).toBe(failed);
  }

  async function stored(ids: string[]): Promise<Record<string, unknown>[]> {
    return (await pg.query(`SELECT * FROM request_logs WHERE id = ANY($1::uuid[]) ORDER BY id`, [ids])).rows;
  }

  it('stores every column as given, text with tabs, newlines, backslashes, \\N and emoji included', async () => {
    const copies = jest.spyOn(CopyIn.prototype, 'submit');
    const createdAt = new Date('2026-03-04T05:06:07.089Z');
    const rows = TRICKY.map((text, i) =>
      row({
        status: 'error',
        httpStatus: 502,
        errorCode: `code ${text}`,
        errorMessage: text,
        modelRequested: `openai/${text}`,
        createdAt,
        virtualKeyId: i % 2 ? null : '00000000-0000-4000-8000-000000000001',
        stream: i % 2 === 1,
        requestType: i % 2 ? 'chat_completions' : 'embeddings',
        fallbackIndex: i,
        costUsd: i % 3 ? null : '1234567890.0123456789',
        ttftMs: i % 2 ? 7 : null,
      }),
    );
    rows.push(row({ errorMessage: null, errorCode: null }));
    await write(rows);

    const got = new Map((await stored(rows.map((r) => r.id))).map((r) => [r.id as string, r]));
    expect(got.size).toBe(rows.length);
    for (const r of rows) {
      expect(got.get(r.id)).toEqual(requestLogColumns(r));
    }
    // A Postgres server takes COPY; the embedded database cannot, and gets the INSERT.
    expect(copies.mock.calls.length > 0).toBe(testEnv.databaseUrl !== undefined);
  });

  it('writes a retried batch whose rows are already stored once each, together with the new rows behind them', async () => {
    const first = [row(), row(), row()];
    await write(first);
    // As after a flush whose COPY committed but whose answer was lost: the same rows again, then new ones.
    const again = first.map((r) => ({ ...r }));
    const fresh = [row(), row()];
    await write([...again, ...fresh]);

    const got = await stored([...first, ...fresh].map((r) => r.id));
    expect(got.map((r) => r.id).sort()).toEqual([...first, ...fresh].map((r) => r.id).sort());
    const byRequest = await pg.query(`SELECT request_id, count(*)::int AS n FROM request_logs WHERE request_id = ANY($1) GROUP BY request_id`, [
      [...first, ...fresh].map((r) => r.requestId),
    ]);
    expect(byRequest.rows.every((r) => r.n === 1)).toBe(true);
    expect(byRequest.rows).toHaveLength(5);
  });

  it('stores U+0000, which Postgres text cannot hold, as U+FFFD instead of failing the batch forever', async () => {
    const withNul = row({ status: 'error', httpStatus: 502, errorMessage: 'upstream said a\u0000b', modelRequested: 'gpt\u0000' });
    await write([withNul]);
    const [got] = await stored([withNul.id]);
    expect(got).toMatchObject({ error_message: 'upstream said a\uFFFDb', model_requested: 'gpt\uFFFD' });

    // The same on the INSERT path, taken by a retried batch.
    const retried = row({ errorMessage: 'again \u0000' });
    await write([{ ...withNul }, retried]);
    const [again] = await stored([retried.id]);
    expect(again.error_message).toBe('again \uFFFD');
  });
});
