import type { RequestLogStatus, RequestType } from '@app/database';
import { copyLine } from '../storage/batch-writer';
import { type Chunk, copyFieldsOf, LineEncoder, RowText } from '../storage/row-text';
import type { RequestLogRow } from './request-log.writer';

export type ColumnValue = string | number | boolean | Date | null;

/** The columns with their Postgres types, in the order of `columnValues`. */
export const COLUMNS: readonly [name: string, type: string][] = [
  ['id', 'uuid'],
  ['request_id', 'text'],
  ['client_request_id', 'text'],
  ['created_at', 'timestamptz'],
  ['virtual_key_id', 'uuid'],
  ['request_type', 'text'],
  ['provider', 'text'],
  ['model', 'text'],
  ['model_requested', 'text'],
  ['fallback_index', 'int'],
  ['status', 'text'],
  ['http_status', 'int'],
  ['error_code', 'text'],
  ['error_message', 'text'],
  ['stream', 'bool'],
  ['input_tokens', 'int'],
  ['cached_tokens', 'int'],
  ['output_tokens', 'int'],
  ['reasoning_tokens', 'int'],
  ['total_tokens', 'int'],
  ['cost_usd', 'numeric'],
  ['latency_ms', 'int'],
  ['ttft_ms', 'int'],
];

/** A row's values in the order of COLUMNS: one array literal per row, where a getter per column cost a call each. */
export function columnValues(r: RequestLogRow): ColumnValue[] {
  return [
    r.id, r.requestId, r.clientRequestId, r.createdAt, r.virtualKeyId, r.requestType, r.provider, r.model, r.modelRequested,
    r.fallbackIndex, r.status, r.httpStatus, r.errorCode, r.errorMessage, r.stream, r.inputTokens, r.cachedTokens,
    r.outputTokens, r.reasoningTokens, r.totalTokens, r.costUsd, r.latencyMs, r.ttftMs,
  ];
}

/**
 * A request_logs row waiting for its batch (RowText): its COPY line. Its fields come back from
 * the line (`row()`) for the INSERT fallback, a spill and a refused row.
 */
export class RequestLogText extends RowText {
  row(): RequestLogRow {
    return parseRow(this.buffer.toString('utf8', this.start, this.end - 1));
  }

  /** A spilled or dead-letter row is written as the row itself. */
  toJSON(): RequestLogRow {
    return this.row();
  }
}

/** Request-log rows into shared chunks (RowTextEncoder), each as its COPY line. */
export class RequestLogEncoder extends LineEncoder<RequestLogText> {
  encode(row: RequestLogRow): RequestLogText {
    return this.place(copyLine(columnValues(row)));
  }

  protected text(chunk: Chunk | null, buffer: Buffer, start: number, end: number): RequestLogText {
    return new RequestLogText(chunk, buffer, start, end);
  }
}

/** A COPY line (without its newline) back as its row: columnValues and copyField reversed. */
function parseRow(line: string): RequestLogRow {
  const [
    id, requestId, clientRequestId, createdAt, virtualKeyId, requestType, provider, model, modelRequested, fallbackIndex, status, httpStatus,
    errorCode, errorMessage, stream, inputTokens, cachedTokens, outputTokens, reasoningTokens, totalTokens, costUsd, latencyMs, ttftMs,
  ] = copyFieldsOf(line);
  return {
    id: id!, requestId: requestId!, clientRequestId, createdAt: new Date(createdAt!), virtualKeyId, requestType: requestType as RequestType,
    provider: provider!, model: model!, modelRequested: modelRequested!, fallbackIndex: Number(fallbackIndex), status: status as RequestLogStatus,
    httpStatus: Number(httpStatus), errorCode, errorMessage, stream: stream === 't', inputTokens: Number(inputTokens), cachedTokens: Number(cachedTokens),
    outputTokens: Number(outputTokens), reasoningTokens: Number(reasoningTokens), totalTokens: Number(totalTokens), costUsd, latencyMs: Number(latencyMs),
    ttftMs: ttftMs === null ? null : Number(ttftMs),
  };
}
