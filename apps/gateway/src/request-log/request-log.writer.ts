import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/common';
import type { RequestLogStatus, RequestType } from '@app/database';
import { BatchWriter, BatchWriterHost } from '../storage/batch-writer';
import { type ColumnValue, COLUMNS, columnValues, MAX_INT4, RequestLogEncoder, type RequestLogText } from './request-log-text';

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

/** A row as enqueued: its id null to have a new UUIDv7 minted as it is encoded (RequestLogEncoder), never made a string. */
export type NewRequestLogRow = Omit<RequestLogRow, 'id'> & { id: string | null };

const COLUMN_LIST = COLUMNS.map(([name]) => name).join(',');

/**
 * Batches go in with COPY. Measured on PostgreSQL 15, batches of 400 into 200k rows with this
 * table's 8 indexes, CPU per row: backend 40 µs against 49 µs for the unnest INSERT below
 * (32 against 44 µs with UUIDv7 ids), gateway 13 µs against 18 µs.
 */
const COPY_SQL = `COPY request_logs (${COLUMN_LIST}) FROM STDIN`;

/**
 * One array parameter per column, unnested into rows: 23 parameters and one constant statement
 * for any batch size, where a VALUES list needed 23 per row (11,500 for 500 rows) and a new
 * statement text each time. ON CONFLICT: a retried batch whose first attempt did commit must
 * not duplicate rows. COPY has no ON CONFLICT, so the batches it refuses for an existing id
 * come here, as do all batches on a database without COPY FROM STDIN.
 */
const INSERT_SQL =
  `INSERT INTO request_logs (${COLUMN_LIST}) ` +
  `SELECT * FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(',')}) ` +
  'ON CONFLICT (id) DO NOTHING';

/**
 * What a row may hold, checked as it is enqueued (a few comparisons): within these, every index
 * entry stays far below the B-tree limit (2704 bytes) and every number fits its column. Longer
 * text is cut and marked; the row is kept.
 */
const TEXT_MAX = {
  requestId: 128,
  clientRequestId: 128,
  provider: 128,
  model: 512,
  modelRequested: 512,
  errorCode: 200,
  errorMessage: 1000,
} as const satisfies Partial<Record<keyof RequestLogRow, number>>;
const TEXT_LIMITS = Object.entries(TEXT_MAX) as [keyof RequestLogRow, number][];
const INT_FIELDS: readonly (keyof RequestLogRow)[] = ['fallbackIndex', 'httpStatus', 'inputTokens', 'cachedTokens', 'outputTokens', 'reasoningTokens', 'totalTokens', 'latencyMs', 'ttftMs'];
// numeric(20,10): at most 10 digits before the point.
const MAX_COST = 9_999_999_999;
const TRUNCATED = '…';

const fits = (v: string | null, max: number): boolean => typeof v !== 'string' || v.length <= max;
const isInt4 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= MAX_INT4;
// The cost's text read once: converting a decimal string is a call into V8's runtime each time.
const costInRange = (usd: number): boolean => usd >= 0 && usd <= MAX_COST;

/**
 * Nothing for repairRow to change: every field checked by name, for the ordinary row, where the
 * loops below look each field up by a varying key.
 */
function withinLimits(r: NewRequestLogRow): boolean {
  return fits(r.requestId, TEXT_MAX.requestId) && fits(r.clientRequestId, TEXT_MAX.clientRequestId) && fits(r.provider, TEXT_MAX.provider)
    && fits(r.model, TEXT_MAX.model) && fits(r.modelRequested, TEXT_MAX.modelRequested) && fits(r.errorCode, TEXT_MAX.errorCode)
    && fits(r.errorMessage, TEXT_MAX.errorMessage)
    && isInt4(r.fallbackIndex) && isInt4(r.httpStatus) && isInt4(r.inputTokens) && isInt4(r.cachedTokens) && isInt4(r.outputTokens)
    && isInt4(r.reasoningTokens) && isInt4(r.totalTokens) && isInt4(r.latencyMs) && (r.ttftMs === null || isInt4(r.ttftMs))
    && r.createdAt instanceof Date && !Number.isNaN(r.createdAt.getTime())
    && (r.costUsd === null || costInRange(Number(r.costUsd)));
}

/** The row within TEXT_MAX and its columns' ranges; true when something had to change. */
export function repairRow(row: NewRequestLogRow, textLimit = Infinity): boolean {
  if (textLimit === Infinity && withinLimits(row)) return false;
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
  const usd = row.costUsd === null ? null : Number(row.costUsd);
  if (usd !== null && !costInRange(usd)) {
    row.costUsd = usd > MAX_COST ? String(MAX_COST) : null;
    changed = true;
  }
  return changed;
}

/**
 * One array per column. The rows' text has no U+0000, which Postgres text cannot hold: copyField
 * wrote it as U+FFFD.
 */
function insertParams(rows: readonly RequestLogText[]): ColumnValue[][] {
  const values = rows.map((r) => columnValues(r.row()));
  return COLUMNS.map((_, i) => values.map((row) => row[i]));
}

/**
 * Postgres text cannot hold U+0000 (error 22021): a dead letter's text must not, or it would be
 * refused too. (A row's text has none: copyField writes it as U+FFFD.)
 */
const NUL = /\0/g;

/** A spilled line as a row, or null when it is not one (a torn write, a foreign line, a field not of its type). */
export function reviveRow(line: string): RequestLogRow | null {
  let row: RequestLogRow & { createdAt: string };
  try {
    row = JSON.parse(line) as RequestLogRow & { createdAt: string };
  } catch {
    return null;
  }
  if (typeof row !== 'object' || row === null || typeof row.id !== 'string' || typeof row.createdAt !== 'string') return null;
  // Rows spilled before the request_type column existed came through /v1/responses.
  const revived = { ...row, clientRequestId: row.clientRequestId ?? null, requestType: row.requestType ?? 'responses', createdAt: new Date(row.createdAt) };
  return ofItsTypes(revived as unknown as Record<string, unknown>) ? revived : null;
}

const TEXT_FIELDS = ['requestId', 'requestType', 'provider', 'model', 'modelRequested', 'status'] as const;
const NULLABLE_TEXT_FIELDS = ['clientRequestId', 'virtualKeyId', 'errorCode', 'errorMessage', 'costUsd'] as const;

/**
 * Every field of its type (a string, a number, a boolean, null where it may be): what
 * RequestLogEncoder needs besides repairRow's ranges. A spilled line that is not one is a dead
 * letter, where encoding it could throw (and its replay retry it for ever) or run past its bound.
 */
function ofItsTypes(r: Record<string, unknown>): boolean {
  return TEXT_FIELDS.every((f) => typeof r[f] === 'string')
    && NULLABLE_TEXT_FIELDS.every((f) => r[f] === null || typeof r[f] === 'string')
    && INT_FIELDS.every((f) => typeof r[f] === 'number' || (f === 'ttftMs' && r[f] === null))
    && typeof r.stream === 'boolean';
}

/**
 * Request logs leave the hot path through the shared batch writer (memory buffer, COPY, spill
 * file and replay, row isolation). A refused row is kept in request_log_dead_letters, shown by
 * the admin API, or in a file if even that is refused.
 */
@Injectable()
export class RequestLogWriter extends BatchWriterHost<RequestLogText> {
  protected readonly writer: BatchWriter<RequestLogText>;
  private readonly encoder = new RequestLogEncoder();

  constructor(dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig) {
    super();
    this.writer = new BatchWriter(
      dataSource,
      {
        label: 'request log',
        fileStem: 'request-logs',
        idOf: (r) => r.row().id,
        cutShort: (r, limit) => {
          const row = r.row();
          repairRow(row, limit);
          return this.encoder.encode(row);
        },
        copy: (client, rows) => this.encoder.copy(client, COPY_SQL, rows),
        insert: async (client, rows) => {
          await client.query(INSERT_SQL, insertParams(rows));
        },
        revive: (line) => {
          const row = reviveRow(line);
          if (row === null) return null;
          // Made to fit as at enqueue (encode's precondition): a date that is not one could not even be encoded.
          repairRow(row);
          return this.encoder.encode(row);
        },
        release: (rows) => this.encoder.release(rows),
        deadLetter: async (row, json, error) => {
          await dataSource.query('INSERT INTO request_log_dead_letters (id, row_json, error) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [
            row.row().id,
            json.replace(NUL, '\uFFFD'),
            error.replace(NUL, '\uFFFD'),
          ]);
        },
      },
      { ...config.logWriter, dataDir: config.dataDir },
    );
  }

  /**
   * Made to fit its columns, then kept as its COPY text until written (request-log-text.ts):
   * the row object itself is not kept. `row` must be of its type (its fields strings, numbers,
   * a boolean and a Date as RequestLogRow says); repairRow brings the values within range.
   */
  enqueue(row: NewRequestLogRow): void {
    const repaired = repairRow(row);
    this.writer.enqueue(this.encoder.encode(row), repaired);
  }
}
