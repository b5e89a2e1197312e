import { appendFile, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, SerialTask } from '@app/common';
import type { RequestLogStatus, RequestType } from '@app/database';
import { LogSpill } from './log-spill';

/** A request_logs row as the hot path produces it. */
export interface RequestLogRow {
  id: string;
  requestId: string;
  /** The client's own `x-request-id`, if any. */
  clientRequestId: string | null;
  createdAt: Date;
  virtualKeyId: string | null;
  requestType: RequestType;
  provider: string;
  model: string;
  modelRequested: string;
  fallbackIndex: number;
  status: RequestLogStatus;
  httpStatus: number;
  errorCode: string | null;
  errorMessage: string | null;
  stream: boolean;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  costUsd: string | null;
  latencyMs: number;
  ttftMs: number | null;
}

type ColumnValue = string | number | boolean | Date | null;

/** Each column with its Postgres type and how to read it off a row. */
const COLUMNS: readonly [name: string, type: string, get: (r: RequestLogRow) => ColumnValue][] = [
  ['id', 'uuid', (r) => r.id],
  ['request_id', 'text', (r) => r.requestId],
  ['client_request_id', 'text', (r) => r.clientRequestId],
  ['created_at', 'timestamptz', (r) => r.createdAt],
  ['virtual_key_id', 'uuid', (r) => r.virtualKeyId],
  ['request_type', 'text', (r) => r.requestType],
  ['provider', 'text', (r) => r.provider],
  ['model', 'text', (r) => r.model],
  ['model_requested', 'text', (r) => r.modelRequested],
  ['fallback_index', 'int', (r) => r.fallbackIndex],
  ['status', 'text', (r) => r.status],
  ['http_status', 'int', (r) => r.httpStatus],
  ['error_code', 'text', (r) => r.errorCode],
  ['error_message', 'text', (r) => r.errorMessage],
  ['stream', 'bool', (r) => r.stream],
  ['input_tokens', 'int', (r) => r.inputTokens],
  ['cached_tokens', 'int', (r) => r.cachedTokens],
  ['output_tokens', 'int', (r) => r.outputTokens],
  ['reasoning_tokens', 'int', (r) => r.reasoningTokens],
  ['total_tokens', 'int', (r) => r.totalTokens],
  ['cost_usd', 'numeric', (r) => r.costUsd],
  ['latency_ms', 'int', (r) => r.latencyMs],
  ['ttft_ms', 'int', (r) => r.ttftMs],
];

const COLUMN_LIST = COLUMNS.map(([name]) => name).join(',');

// Spilled rows replayed per flush, in batches.
export const REPLAY_BATCHES_PER_FLUSH = 10;
// A row refused even within TEXT_LIMITS is tried once more with every text this short.
const HARD_TEXT_LIMIT = 64;

/**
 * Batches go in with COPY. Measured on PostgreSQL 15, batches of 400 into 200k rows with this
 * table's 8 indexes, CPU per row: backend 40 µs against 49 µs for the unnest INSERT below
 * (32 against 44 µs with UUIDv7 ids), gateway 13 µs against 18 µs.
 */
const COPY_SQL = `COPY request_logs (${COLUMN_LIST}) FROM STDIN`;

/**
 * One array parameter per column, unnested into rows: 21 parameters and one constant statement
 * for any batch size, where a VALUES list needed 21 per row (10,500 for 500 rows) and a new
 * statement text each time. ON CONFLICT: a retried batch whose first attempt did commit must
 * not duplicate rows. COPY has no ON CONFLICT, so the batches it refuses for an existing id
 * come here, as do all batches on a database without COPY FROM STDIN.
 */
const INSERT_SQL =
  `INSERT INTO request_logs (${COLUMN_LIST}) ` +
  `SELECT * FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(',')}) ` +
  'ON CONFLICT (id) DO NOTHING';

const UNIQUE_VIOLATION = '23505';

/**
 * Errors about the rows themselves, not the connection or the schema: a data exception (22: a
 * value out of range, an encoding), an integrity violation (23) or a program limit (54: an
 * index entry too large). Retrying the same batch could never succeed; the writer isolates the
 * rows at fault instead.
 */
function isRowError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

/**
 * What a row may hold, checked as it is enqueued (a few comparisons): within these, every index
 * entry stays far below the B-tree limit (2704 bytes) and every number fits its column. Longer
 * text is cut and marked; the row is kept.
 */
const TEXT_LIMITS: readonly [keyof RequestLogRow, number][] = [
  ['requestId', 128],
  ['clientRequestId', 128],
  ['provider', 128],
  ['model', 512],
  ['modelRequested', 512],
  ['errorCode', 200],
  ['errorMessage', 1000],
];
const INT_FIELDS: readonly (keyof RequestLogRow)[] = ['fallbackIndex', 'httpStatus', 'inputTokens', 'cachedTokens', 'outputTokens', 'reasoningTokens', 'totalTokens', 'latencyMs', 'ttftMs'];
const MAX_INT4 = 2_147_483_647;
// numeric(20,10): at most 10 digits before the point.
const MAX_COST = 9_999_999_999;
const TRUNCATED = '…';

/** The row within TEXT_LIMITS and its columns' ranges; true when something had to change. */
export function repairRow(row: RequestLogRow, textLimit = Infinity): boolean {
  let changed = false;
  const r = row as unknown as Record<string, unknown>;
  for (const [field, max] of TEXT_LIMITS) {
    const v = r[field];
    const limit = Math.min(max, textLimit);
    if (typeof v === 'string' && v.length > limit) {
      r[field] = v.slice(0, limit - 1) + TRUNCATED;
      changed = true;
    }
  }
  for (const field of INT_FIELDS) {
    const v = r[field];
    if (v === null && field === 'ttftMs') continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_INT4) {
      r[field] = typeof v === 'number' && Number.isFinite(v) ? Math.min(MAX_INT4, Math.max(0, Math.round(v))) : 0;
      changed = true;
    }
  }
  if (!(row.createdAt instanceof Date) || Number.isNaN(row.createdAt.getTime())) {
    row.createdAt = new Date();
    changed = true;
  }
  if (row.costUsd !== null && !(Number(row.costUsd) >= 0 && Number(row.costUsd) <= MAX_COST)) {
    row.costUsd = Number(row.costUsd) > MAX_COST ? String(MAX_COST) : null;
    changed = true;
  }
  return changed;
}

/**
 * Postgres text cannot hold U+0000 (error 22021), and one such character in a caller's model
 * name or an upstream's error message would fail its batch on every retry, holding up every
 * row behind it. It becomes U+FFFD; everything else is stored as given.
 */
const NUL = /\0/g;

/** COPY text format: backslash, newline, carriage return and tab (the delimiter) are escaped. */
const COPY_SPECIAL = /[\\\n\r\t\0]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\uFFFD' };

function copyField(v: ColumnValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'string') return v.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/** The rows as COPY text: one line each, columns separated by tabs, NULL as \N. */
function copyText(rows: RequestLogRow[]): string {
  let text = '';
  for (const r of rows) {
    let line = copyField(COLUMNS[0][2](r));
    for (let i = 1; i < COLUMNS.length; i++) line += '\t' + copyField(COLUMNS[i][2](r));
    text += line + '\n';
  }
  return text;
}

function insertParams(rows: RequestLogRow[]): ColumnValue[][] {
  return COLUMNS.map(([, , get]) =>
    rows.map((r) => {
      const v = get(r);
      return typeof v === 'string' ? v.replace(NUL, '\uFFFD') : v;
    }),
  );
}

/** Resolves once the server has committed the rows (pg-copy-streams finishes on ReadyForQuery). */
function copyRows(client: PoolClient, text: string): Promise<void> {
  const copy = client.query(copyFrom(COPY_SQL));
  return new Promise((resolve, reject) => {
    copy.on('error', reject);
    copy.on('finish', resolve);
    copy.end(text);
  });
}

/**
 * The embedded database (PGlite behind pglite-socket) cannot take COPY FROM STDIN: the server
 * answers with FATAL 08P01 "protocol synchronization was lost", and after that the embedded
 * database stops answering every connection, not just this one. So it is recognised before
 * the first COPY, once per process, rather than by a first failure.
 */
async function acceptsCopyFromStdin(client: PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ version: string }>('SELECT version()');
  return !rows[0].version.includes('PGlite');
}

/**
 * Request logs leave the hot path through an in-memory buffer written in batches (COPY) on a
 * short interval. Nothing is lost when the database is away: rows wait in memory up to
 * `maxBufferedRows`, the overflow (and whatever is left at shutdown) goes to a spill file,
 * and spilled rows are replayed once the database answers. Only a spill file that cannot be
 * written drops rows, and they are counted.
 */
@Injectable()
export class RequestLogWriter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RequestLogWriter.name);
  private buffer: RequestLogRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly flusher = new SerialTask(() => this.drain());
  private closed = false;
  private replayNeeded = false;
  /** Whether the database takes COPY FROM STDIN; learnt with the first batch. */
  private copySupported: boolean | undefined;
  private readonly spill: LogSpill;
  private readonly deadLetterFile: string;
  /** Observable by tests and metrics. */
  readonly stats = { written: 0, spilled: 0, replayed: 0, dropped: 0, failedFlushes: 0, repaired: 0, deadLettered: 0 };

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.deadLetterFile = path.join(config.dataDir, 'dead-letter', `request-logs-${process.pid}.jsonl`);
    this.spill = new LogSpill(path.join(config.dataDir, 'spill'), (line) => this.deadLetterToFile(line, 'not a request log row'));
  }

  async onModuleInit(): Promise<void> {
    // Rows a previous process could not write are replayed with the first flush.
    this.replayNeeded = await this.spill.hasFiles();
    this.timer = setInterval(() => void this.flush(), this.config.logWriter.flushIntervalMs);
    this.timer.unref();
  }

  get buffered(): number {
    return this.buffer.length;
  }

  enqueue(row: RequestLogRow): void {
    if (repairRow(row)) this.stats.repaired++;
    this.buffer.push(row);
    const max = this.config.logWriter.maxBufferedRows;
    if (this.buffer.length > max) this.spillOldest(this.buffer.length - max + Math.floor(max / 10));
    if (this.buffer.length >= this.config.logWriter.batchSize && !this.flusher.running && !this.closed) void this.flush();
  }

  /**
   * Writes everything buffered now (and replays spilled rows); one flush at a time. Called
   * during a flush, it waits for that one and then writes what is left, so that whatever was
   * enqueued before the call is written (or kept after a failure) when it resolves.
   */
  flush(): Promise<void> {
    return this.flusher.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    // A few tries: the database may be briefly away at shutdown too.
    for (let i = 0; i < 4 && this.buffer.length > 0; i++) {
      await this.flush();
      if (this.buffer.length > 0) await new Promise((r) => setTimeout(r, 250 * (i + 1)));
    }
    await this.flusher.idle();
    if (this.buffer.length > 0) {
      this.logger.warn(`database unreachable at shutdown: ${this.buffer.length} request log rows go to the spill file`);
      await this.spillOldest(this.buffer.length);
    }
  }

  private spillOldest(count: number): Promise<void> {
    const rows = this.buffer.splice(0, count);
    return this.spill.write(rows).then(
      () => {
        this.stats.spilled += rows.length;
        this.replayNeeded = true;
      },
      (err: unknown) => {
        this.stats.dropped += rows.length;
        this.logger.error(`could not spill ${rows.length} request log rows, they are lost: ${(err as Error).message}`);
      },
    );
  }

  /**
   * Writes the rows buffered when it starts, then keeps going only while full batches wait:
   * rows that arrive during a write wait for the next tick. Looping until the buffer was empty
   * kept the writer busy with batches of a few dozen rows under load, each a round trip and a
   * commit (about 30 rows a batch at 1,000 req/s, where the interval allows 200).
   */
  private async drain(): Promise<void> {
    const size = this.config.logWriter.batchSize;
    let owed = this.buffer.length;
    while (this.buffer.length > 0 && (owed > 0 || this.buffer.length >= size)) {
      const batch = this.buffer.slice(0, size);
      owed -= batch.length;
      try {
        await this.write(batch);
      } catch (err) {
        this.stats.failedFlushes++;
        this.logger.warn(`request log flush failed, ${this.buffer.length} rows kept for retry: ${(err as Error).message}`);
        return;
      }
      // Rows enqueued meanwhile were appended behind the batch; only a spill can have moved it.
      if (this.buffer[0] === batch[0]) this.buffer.splice(0, batch.length);
      else {
        const written = new Set(batch);
        this.buffer = this.buffer.filter((r) => !written.has(r));
      }
      this.stats.written += batch.length;
    }
    if (this.replayNeeded) {
      this.replayNeeded = false;
      try {
        // A few batches per flush: the rows of live requests are never held up for long.
        const { replayed, more } = await this.spill.replay((rows) => this.write(rows), size, size * REPLAY_BATCHES_PER_FLUSH);
        this.stats.replayed += replayed;
        this.stats.written += replayed;
        this.replayNeeded = more;
      } catch (err) {
        this.replayNeeded = true;
        this.logger.warn(`replaying spilled request log rows failed, will retry: ${(err as Error).message}`);
      }
    }
  }

  /**
   * Writes a batch; when the database refuses something in the rows themselves, the batch is
   * split in halves until the rows at fault are alone. Such a row is repaired harder (every text
   * cut short) and tried once more, and kept as a dead letter if it is still refused: no row can
   * stop the rows behind it. Other errors (the database away) are thrown: the batch is kept and
   * retried whole, which the idempotent insert allows.
   */
  private async write(rows: RequestLogRow[]): Promise<void> {
    try {
      await this.insert(rows);
    } catch (err) {
      if (!isRowError(err)) throw err;
      await this.isolate(rows, err);
    }
  }

  private async isolate(rows: RequestLogRow[], cause: unknown): Promise<void> {
    if (rows.length === 1) {
      const row = rows[0];
      const repaired = { ...row };
      repairRow(repaired, HARD_TEXT_LIMIT);
      try {
        await this.insert([repaired]);
        this.stats.repaired++;
        this.logger.warn(`request log row ${row.id} was refused (${(cause as Error).message}); stored with its text cut short`);
        return;
      } catch (err) {
        if (!isRowError(err)) throw err;
        await this.deadLetter(row, err);
        return;
      }
    }
    const half = Math.ceil(rows.length / 2);
    for (const part of [rows.slice(0, half), rows.slice(half)]) await this.write(part);
  }

  /** Kept in request_log_dead_letters (shown by the admin API), or in a file if even that is refused. */
  private async deadLetter(row: RequestLogRow, cause: unknown): Promise<void> {
    const error = String((cause as Error).message ?? cause).slice(0, 1000);
    const json = JSON.stringify(row);
    this.logger.error(`request log row ${row.id} refused by the database and kept as a dead letter: ${error}`);
    try {
      await this.dataSource.query(
        'INSERT INTO request_log_dead_letters (id, row_json, error) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
        [row.id, json.replace(NUL, '\uFFFD'), error.replace(NUL, '\uFFFD')],
      );
      this.stats.deadLettered++;
    } catch (err) {
      if (!isRowError(err)) throw err;
      await this.deadLetterToFile(json, error);
    }
  }

  private async deadLetterToFile(line: string, error: string): Promise<void> {
    try {
      await mkdir(path.dirname(this.deadLetterFile), { recursive: true });
      await appendFile(this.deadLetterFile, JSON.stringify({ error, row: line }) + '\n');
      this.stats.deadLettered++;
    } catch (err) {
      this.stats.dropped++;
      this.logger.error(`could not keep a dead-letter request log row, it is lost: ${(err as Error).message}`);
    }
  }

  /**
   * COPY writes nothing when one of the ids exists (unique_violation): some of these rows were
   * committed by an earlier attempt whose answer was lost. The batch is written again with the
   * INSERT that skips ids already there. Any other error is thrown: the rows stay buffered (or
   * in their spill file) for the next flush.
   */
  private async insert(rows: RequestLogRow[]): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const client: PoolClient = await runner.connect();
      this.copySupported ??= await acceptsCopyFromStdin(client);
      if (this.copySupported) {
        try {
          await copyRows(client, copyText(rows));
          return;
        } catch (err) {
          if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
        }
      }
      await client.query(INSERT_SQL, insertParams(rows));
    } finally {
      await runner.release();
    }
  }
}
