import { uuidv7 } from '@app/common';
import type { RequestLogRow } from '../../apps/gateway/src/request-log/request-log.writer';

/** A complete request-log row as the gateway enqueues it: a success of 12 + 20 tokens, with `fields` over it. */
export function requestLogRow(fields: Partial<RequestLogRow> = {}): RequestLogRow {
  return {
    id: uuidv7(),
    requestId: uuidv7(),
    clientRequestId: null,
    createdAt: new Date(),
    virtualKeyId: null,
    requestType: 'responses',
    provider: 'openai',
    model: 'gpt-4o-mini',
    modelRequested: 'openai/gpt-4o-mini',
    fallbackIndex: 0,
    status: 'success',
    httpStatus: 200,
    errorCode: null,
    errorMessage: null,
    stream: false,
    inputTokens: 12,
    cachedTokens: 0,
    outputTokens: 20,
    reasoningTokens: 0,
    totalTokens: 32,
    costUsd: '0.0000138000',
    latencyMs: 3,
    ttftMs: null,
    ...fields,
  };
}

/** A row as `SELECT * FROM request_logs` gives it back (node-postgres: numeric as text, timestamptz as Date). */
export function requestLogColumns(r: RequestLogRow): Record<string, unknown> {
  return {
    id: r.id, request_id: r.requestId, client_request_id: r.clientRequestId, created_at: r.createdAt, virtual_key_id: r.virtualKeyId,
    request_type: r.requestType, provider: r.provider, model: r.model, model_requested: r.modelRequested, fallback_index: r.fallbackIndex,
    status: r.status, http_status: r.httpStatus, error_code: r.errorCode, error_message: r.errorMessage, stream: r.stream,
    input_tokens: r.inputTokens, cached_tokens: r.cachedTokens, output_tokens: r.outputTokens, reasoning_tokens: r.reasoningTokens,
    total_tokens: r.totalTokens, cost_usd: r.costUsd, latency_ms: r.latencyMs, ttft_ms: r.ttftMs,
  };
}
