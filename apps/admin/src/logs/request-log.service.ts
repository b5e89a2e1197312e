import { Inject, Injectable } from '@nestjs/common';
import { GatewayError, splitModelId } from '@app/common';
import { assertRangeOrder } from './date-time-query';
import { decodeLogCursor, encodeLogCursor } from './log-cursor';
import { type DeadLetterPageDto, DEFAULT_LOG_PAGE_SIZE, type ListDeadLettersQueryDto, type ListRequestLogsQueryDto, type RequestLogDetailDto, type RequestLogDto, type RequestLogPageDto } from './request-log.dto';
import { REQUEST_LOG_REPOSITORY, type RequestLogFilter, type RequestLogRepository, type StoredRequestLog } from './request-log.repository';

export function toRequestLogDto(row: StoredRequestLog): RequestLogDto {
  return {
    id: row.id,
    request_id: row.requestId,
    client_request_id: row.clientRequestId,
    created_at: row.createdAt.toISOString(),
    virtual_key_id: row.virtualKeyId,
    request_type: row.requestType,
    provider: row.provider,
    model: row.model,
    model_requested: row.modelRequested,
    fallback_index: row.fallbackIndex,
    status: row.status,
    http_status: row.httpStatus,
    error_code: row.errorCode,
    error_message: row.errorMessage,
    stream: row.stream,
    input_tokens: row.inputTokens,
    cached_tokens: row.cachedTokens,
    output_tokens: row.outputTokens,
    reasoning_tokens: row.reasoningTokens,
    total_tokens: row.totalTokens,
    // numeric(20,10) arrives as text; a double shows it to ~15 significant digits, plenty for display.
    cost_usd: row.costUsd === null ? null : Number(row.costUsd),
    latency_ms: row.latencyMs,
    ttft_ms: row.ttftMs,
  };
}

/**
 * `provider/model` is split at the first `/`, as the gateway splits the ids it routes
 * (`openrouter/meta-llama/llama-3.1-70b` is provider openrouter, model meta-llama/llama-3.1-70b);
 * a name without `/` matches that model at any provider. Null when the filters contradict
 * each other (`provider=a&model=b/x`), so that no row can match.
 */
export function toLogFilter(query: ListRequestLogsQueryDto): RequestLogFilter | null {
  const filter: RequestLogFilter = {
    virtualKeyId: query.virtual_key_id,
    clientRequestId: query.client_request_id,
    requestType: query.request_type,
    provider: query.provider,
    model: query.model,
    status: query.status,
    from: query.from,
    to: query.to,
  };
  const split = query.model === undefined ? null : splitModelId(query.model);
  if (split !== null) {
    if (filter.provider !== undefined && filter.provider !== split.provider) return null;
    filter.provider = split.provider;
    filter.model = split.model;
  }
  return filter;
}

@Injectable()
export class RequestLogService {
  constructor(@Inject(REQUEST_LOG_REPOSITORY) private readonly logs: RequestLogRepository) {}

  async list(query: ListRequestLogsQueryDto): Promise<RequestLogPageDto> {
    assertRangeOrder(query.from, query.to);
    const after = query.cursor === undefined ? null : decodeLogCursor(query.cursor);
    if (query.cursor !== undefined && !after) {
      throw GatewayError.invalidRequest('cursor is not a cursor this API issued: pass the next_cursor of a previous page', 'cursor');
    }
    const filter = toLogFilter(query);
    if (!filter) return { data: [], next_cursor: null };
    const limit = query.limit ?? DEFAULT_LOG_PAGE_SIZE;
    // One row more than asked tells whether another page exists without a COUNT.
    const rows = await this.logs.list(filter, after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map(toRequestLogDto),
      next_cursor: rows.length > limit ? encodeLogCursor({ createdAt: last.createdAtExact, id: last.id }) : null,
    };
  }

  async listDeadLetters(query: ListDeadLettersQueryDto): Promise<DeadLetterPageDto> {
    const after = query.cursor === undefined ? null : decodeLogCursor(query.cursor);
    if (query.cursor !== undefined && !after) {
      throw GatewayError.invalidRequest('cursor is not a cursor this API issued: pass the next_cursor of a previous page', 'cursor');
    }
    const limit = query.limit ?? DEFAULT_LOG_PAGE_SIZE;
    const rows = await this.logs.listDeadLetters(after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => ({ id: r.id, created_at: r.createdAt.toISOString(), error: r.error, row: parseRow(r.rowJson) })),
      next_cursor: rows.length > limit ? encodeLogCursor({ createdAt: last.createdAtExact, id: last.id }) : null,
    };
  }

  async get(id: string): Promise<RequestLogDetailDto> {
    const attempts = await this.logs.findAttempts(id);
    // Postgres prints uuids in lower case, whatever case the caller wrote.
    const row = attempts.find((a) => a.id === id.toLowerCase());
    if (!row) throw GatewayError.notFound(`Request log ${id} not found`);
    return { ...toRequestLogDto(row), attempts: attempts.map(toRequestLogDto) };
  }
}

function parseRow(json: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { text: json };
  }
}
