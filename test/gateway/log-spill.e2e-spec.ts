import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Client } from 'pg';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { RequestLogWriter, type RequestLogRow } from '../../apps/gateway/src/request-log/request-log.writer';
import { REPLAY_BATCHES_PER_FLUSH } from '../../apps/gateway/src/storage/batch-writer';
import { requestLogColumns, requestLogRow } from '../support/request-log-rows';
import { eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

// The spill path of the request log writer: rows that do not fit in memory while the database is
// away go to a file, and come back from it once the database answers, each exactly once.

const BATCH = 20;
const MAX_BUFFERED = 100;

describe('request log spill and replay', () => {
  let h: GatewayHarness;
  let writer: RequestLogWriter;
  let spillDir: string;
  let pg: Client;

  beforeAll(async () => {
    // Flushes only when the test asks (the interval is a minute), in small batches, with a small buffer.
    h = await startGatewayHarness({ dbProxy: true, server: { log_flush_interval_ms: 60_000, log_batch_size: BATCH, log_max_buffered_rows: MAX_BUFFERED } });
    writer = h.gateway.app.get(RequestLogWriter);
    spillDir = path.join(h.gateway.app.get<AppConfig>(APP_CONFIG).dataDir, 'spill');
    pg = new Client({ connectionString: h.db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    await h?.close();
  });
  afterEach(() => h.dbProxy!.up());

  let n = 0;
  const rowsFor = (tag: string, count: number): RequestLogRow[] =>
    Array.from({ length: count }, () => requestLogRow({ requestId: `${tag}-${process.pid}-${++n}` }));

  /** Stored rows per request id, for the given ones. */
  async function countsOf(rows: RequestLogRow[]): Promise<Map<string, number>> {
    const result = await pg.query(`SELECT request_id, count(*)::int AS n FROM request_logs WHERE request_id = ANY($1) GROUP BY request_id`, [rows.map((r) => r.requestId)]);
    return new Map(result.rows.map((r: { request_id: string; n: number }) => [r.request_id, r.n]));
  }

  async function spillFiles(): Promise<string[]> {
    return (await readdir(spillDir).catch(() => [] as string[])).filter((f) => f.includes('.jsonl'));
  }

  const until = (what: string, done: () => Promise<boolean> | boolean) => eventually(done, 20_000, what);

  /** Cuts the database and enqueues `rows`: past MAX_BUFFERED the oldest go to the spill file. */
  async function spillDuringOutage(rows: RequestLogRow[]): Promise<void> {
    const before = { spilled: writer.stats.spilled, failed: writer.stats.failedFlushes };
    h.dbProxy!.down();
    for (const r of rows) writer.enqueue(r);
    await writer.flush();
    expect(writer.stats.failedFlushes).toBeGreaterThan(before.failed);
    // Spills are written in the background: wait until every row is either spilled or buffered.
    await until('the spill writes', () => writer.stats.spilled - before.spilled + writer.buffered >= rows.length);
    expect(writer.stats.spilled - before.spilled).toBeGreaterThan(0);
    expect(writer.buffered).toBeLessThanOrEqual(MAX_BUFFERED);
  }

  it('spills past the buffer while the database is away, replays once it is back, every row stored exactly once', async () => {
    const rows = rowsFor('outage', 350);
    const dropped = writer.stats.dropped;
    const replayedBefore = writer.stats.replayed;
    const spilledBefore = writer.stats.spilled;
    await spillDuringOutage(rows);
    // The spilled rows are on disk, as JSON lines with their ids.
    const files = await spillFiles();
    expect(files.length).toBeGreaterThan(0);
    const onDisk = (await Promise.all(files.map((f) => readFile(path.join(spillDir, f), 'utf8')))).join('').split('\n').filter(Boolean);
    expect(onDisk.length).toBe(writer.stats.spilled - spilledBefore);
    // Each line is the row itself, as JSON: what a replay, this build's or an older one's, reads.
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const line of onDisk) expect(line).toBe(JSON.stringify(byId.get((JSON.parse(line) as { id: string }).id)));
    expect(await countsOf(rows)).toEqual(new Map());

    h.dbProxy!.up();
    await until('every row stored', async () => {
      await writer.flush();
      return (await countsOf(rows)).size === rows.length;
    });
    const counts = await countsOf(rows);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    expect(writer.stats.replayed - replayedBefore).toBe(writer.stats.spilled - spilledBefore);
    expect(writer.stats.dropped).toBe(dropped);
    expect(await spillFiles()).toEqual([]);
  });

  it('replays the lines of spill files from earlier versions, rows from before request_type and client_request_id included', async () => {
    const rows = rowsFor('old-spill', 3);
    rows[1] = { ...rows[1], clientRequestId: 'client \t 漢', errorMessage: 'tab\tline\n\\N', status: 'error', httpStatus: 502, costUsd: null, ttftMs: 12 };
    // As spilled before the request_type and client_request_id columns existed.
    const { requestType, clientRequestId, ...older } = rows[2];
    expect([requestType, clientRequestId]).toEqual(['responses', null]);
    mkdirSync(spillDir, { recursive: true });
    writeFileSync(path.join(spillDir, 'request-logs-earlier-1-1.jsonl'), [...rows.slice(0, 2), older].map((r) => JSON.stringify(r)).join('\n') + '\n');
    // A spill of this process gets the writer to replay (it looks for files at start and after spilling).
    const spilled = rowsFor('old-spill-trigger', MAX_BUFFERED + BATCH);
    await spillDuringOutage(spilled);
    h.dbProxy!.up();
    await until('every row stored', async () => {
      await writer.flush();
      return (await countsOf([...rows, ...spilled])).size === rows.length + spilled.length;
    });
    const stored = await pg.query(`SELECT * FROM request_logs WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
    expect(new Map(stored.rows.map((r: { id: string }) => [r.id, r]))).toEqual(new Map(rows.map((r) => [r.id, requestLogColumns(r)])));
    expect(await spillFiles()).toEqual([]);
  });

  it('replays a bounded number of rows per flush, and a replay cut short and retried stores nothing twice', async () => {
    const bound = BATCH * REPLAY_BATCHES_PER_FLUSH;
    // More spilled rows than one flush replays.
    const rows = rowsFor('bounded', MAX_BUFFERED + bound * 2);
    const spilledBefore = writer.stats.spilled;
    await spillDuringOutage(rows);
    const spilled = writer.stats.spilled - spilledBefore;
    expect(spilled).toBeGreaterThan(bound);

    h.dbProxy!.up();
    let replayed = writer.stats.replayed;
    await writer.flush();
    const first = writer.stats.replayed - replayed;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(bound);
    const afterFirst = await countsOf(rows);
    expect(afterFirst.size).toBeLessThan(rows.length);

    // The database goes away in the middle of the replay: the claimed file keeps its place.
    h.dbProxy!.down();
    await writer.flush();
    h.dbProxy!.up();
    replayed = writer.stats.replayed;
    await until('every row stored', async () => {
      await writer.flush();
      return (await countsOf(rows)).size === rows.length;
    });
    const counts = await countsOf(rows);
    expect([...counts.values()].filter((c) => c !== 1)).toEqual([]);
    expect(await spillFiles()).toEqual([]);

    // Replaying rows that are already stored (a commit whose answer was lost) adds nothing.
    const again = rows.slice(0, 50).map((r) => ({ ...r }));
    for (const r of again) writer.enqueue(r);
    await writer.flush();
    expect([...(await countsOf(rows)).values()].filter((c) => c !== 1)).toEqual([]);
  });
});
