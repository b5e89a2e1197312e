import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { RequestLogEntity, RequestLogStatus, RequestType } from '@app/database';
import type { LogPosition } from './log-cursor';

export interface RequestLogFilter {
  virtualKeyId?: string;
  clientRequestId?: string;
  requestType?: RequestType;
  provider?: string;
  model?: string;
  status?: RequestLogStatus;
  /** Inclusive; ISO 8601 text, passed to Postgres as it is. */
  from?: string;
  /** Exclusive. */
  to?: string;
}

/** A row as stored, plus created_at to the microsecond for cursors. */
export interface StoredRequestLog extends RequestLogEntity {
  /** UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
  createdAtExact: string;
}

export interface StoredDeadLetter {
  id: string;
  createdAt: Date;
  createdAtExact: string;
  rowJson: string;
  error: string;
}

export const REQUEST_LOG_REPOSITORY = Symbol('REQUEST_LOG_REPOSITORY');

export interface RequestLogRepository {
  /** Newest first by (created_at, id), strictly after `after` in that order. */
  list(filter: RequestLogFilter, after: LogPosition | null, limit: number): Promise<StoredRequestLog[]>;
  /** Every attempt of the request that the row `id` belongs to, by fallback_index; empty when no such row. */
  findAttempts(id: string): Promise<StoredRequestLog[]>;
  /** Rows the gateway could not store, newest first, strictly after `after`. */
  listDeadLetters(after: LogPosition | null, limit: number): Promise<StoredDeadLetter[]>;
}

const SELECT_COLUMNS = `
  id, request_id AS "requestId", client_request_id AS "clientRequestId", created_at AS "createdAt",
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "createdAtExact",
  virtual_key_id AS "virtualKeyId", request_type AS "requestType", provider, model, model_requested AS "modelRequested",
  fallback_index AS "fallbackIndex", status, http_status AS "httpStatus", error_code AS "errorCode",
  error_message AS "errorMessage", stream, input_tokens AS "inputTokens", cached_tokens AS "cachedTokens",
  output_tokens AS "outputTokens", reasoning_tokens AS "reasoningTokens", total_tokens AS "totalTokens",
  cost_usd AS "costUsd", latency_ms AS "latencyMs", ttft_ms AS "ttftMs"`;

// Written into the SQL rather than bound: a partial index (WHERE status = 'error') only
// matches a literal, and the value comes from this closed list, never from the request.
const STATUS_CONDITION: Record<RequestLogStatus, string> = {
  success: `status = 'success'`,
  error: `status = 'error'`,
};

/** Raw SQL: keyset pagination needs the row comparison and the microsecond text, which the query builder hides. */
@Injectable()
export class TypeOrmRequestLogRepository implements RequestLogRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(filter: RequestLogFilter, after: LogPosition | null, limit: number): Promise<StoredRequestLog[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const bind = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.virtualKeyId !== undefined) conditions.push(`virtual_key_id = ${bind(filter.virtualKeyId)}`);
    // With IS NOT NULL, the planner can use the partial index on client_request_id.
    if (filter.clientRequestId !== undefined) conditions.push(`client_request_id = ${bind(filter.clientRequestId)} AND client_request_id IS NOT NULL`);
    if (filter.requestType !== undefined) conditions.push(`request_type = ${bind(filter.requestType)}`);
    if (filter.provider !== undefined) conditions.push(`provider = ${bind(filter.provider)}`);
    if (filter.model !== undefined) conditions.push(`model = ${bind(filter.model)}`);
    if (filter.status !== undefined) conditions.push(STATUS_CONDITION[filter.status]);
    if (filter.from !== undefined) conditions.push(`created_at >= ${bind(filter.from)}::timestamptz`);
    if (filter.to !== undefined) conditions.push(`created_at < ${bind(filter.to)}::timestamptz`);
    // One row comparison, so that the (…, created_at, id) indexes (read backward) bound the scan with it.
    if (after) conditions.push(`(created_at, id) < (${bind(after.createdAt)}::timestamptz, ${bind(after.id)}::uuid)`);
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows: StoredRequestLog[] = await this.db.query(
      `SELECT ${SELECT_COLUMNS} FROM request_logs ${where} ORDER BY created_at DESC, id DESC LIMIT ${bind(limit)}`,
      params,
    );
    return rows;
  }

  async listDeadLetters(after: LogPosition | null, limit: number): Promise<StoredDeadLetter[]> {
    const params: unknown[] = [limit];
    let where = '';
    if (after) {
      params.push(after.createdAt, after.id);
      where = 'WHERE (created_at, id) < ($2::timestamptz, $3::uuid)';
    }
    const rows: StoredDeadLetter[] = await this.db.query(
      `SELECT id, created_at AS "createdAt",
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "createdAtExact",
              row_json AS "rowJson", error
         FROM request_log_dead_letters ${where} ORDER BY created_at DESC, id DESC LIMIT $1`,
      params,
    );
    return rows;
  }

  async findAttempts(id: string): Promise<StoredRequestLog[]> {
    const rows: StoredRequestLog[] = await this.db.query(
      // Every attempt of a request has the request's start as its created_at: the (created_at, id)
      // index finds them (request_id has no index of its own).
      `SELECT ${SELECT_COLUMNS} FROM request_logs
        WHERE created_at = (SELECT created_at FROM request_logs WHERE id = $1)
          AND request_id = (SELECT request_id FROM request_logs WHERE id = $1)
        ORDER BY fallback_index, created_at, id`,
      [id],
    );
    return rows;
  }
}
