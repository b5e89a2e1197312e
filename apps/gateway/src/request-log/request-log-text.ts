import { UUID_BYTES, uuidv7Into } from '@app/common/ids/uuidv7';
import type { RequestLogStatus, RequestType } from '@app/database';
import { copyField, copyLine } from '../storage/batch-writer';
import { type Chunk, copyFieldsOf, RowText, RowTextEncoder } from '../storage/row-text';
import type { NewRequestLogRow, RequestLogRow } from './request-log.writer';

export type ColumnValue = string | number | boolean | Date | null;

/**
 * The columns with their Postgres types, in the order of `columnValues` and of each row's COPY
 * line: the text columns first, then the ones RequestLogEncoder writes as bytes.
 */
export const COLUMNS: readonly [name: string, type: string][] = [
  ['id', 'uuid'],
  ['request_id', 'text'],
  ['client_request_id', 'text'],
  ['virtual_key_id', 'uuid'],
  ['request_type', 'text'],
  ['provider', 'text'],
  ['model', 'text'],
  ['model_requested', 'text'],
  ['status', 'text'],
  ['error_code', 'text'],
  ['error_message', 'text'],
  ['cost_usd', 'numeric'],
  ['created_at', 'timestamptz'],
  ['fallback_index', 'int'],
  ['http_status', 'int'],
  ['stream', 'bool'],
  ['input_tokens', 'int'],
  ['cached_tokens', 'int'],
  ['output_tokens', 'int'],
  ['reasoning_tokens', 'int'],
  ['total_tokens', 'int'],
  ['latency_ms', 'int'],
  ['ttft_ms', 'int'],
];

/** A row's values in the order of COLUMNS: one array literal per row, where a getter per column cost a call each. */
export function columnValues(r: NewRequestLogRow): ColumnValue[] {
  return [
    r.id, r.requestId, r.clientRequestId, r.virtualKeyId, r.requestType, r.provider, r.model, r.modelRequested, r.status, r.errorCode,
    r.errorMessage, r.costUsd, r.createdAt, r.fallbackIndex, r.httpStatus, r.stream, r.inputTokens, r.cachedTokens, r.outputTokens,
    r.reasoningTokens, r.totalTokens, r.latencyMs, r.ttftMs,
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

// Bytes a row's line takes beyond 3 per UTF-16 code unit of its text columns (copyField's most
// for any character: an escape is 2 bytes, U+0000 its U+FFFD 3): 22 tabs and the newline, the
// timestamp (at most 27), nine integers of at most 10 digits (ttft_ms's \\N among them), a flag,
// and the \\N of each nullable text column (client_request_id, virtual_key_id, error_code,
// error_message, cost_usd), which count no code unit.
const FIXED_BYTES = 23 + 27 + 9 * 10 + 1 + 5 * 2;
const TAB = 0x09;
const NEWLINE = 0x0a;

/** An int column's most. */
export const MAX_INT4 = 2_147_483_647;

/**
 * Writes non-negative integer `v` (repairRow made it one) at `at` in decimal, as String(v);
 * returns where it ends. Throws for any other number, which it would write wrong (or, for
 * Infinity, never finish).
 */
function writeInt(buffer: Buffer, at: number, v: number): number {
  if (!(v >= 0 && v <= MAX_INT4 && Number.isInteger(v))) throw new RangeError(`request log: ${v} is not an int4 count (repairRow first)`);
  let digits = 1;
  for (let p = 10; p <= v; p *= 10) digits++;
  const end = at + digits;
  for (let i = end - 1; i >= at; i--) {
    const q = Math.floor(v / 10);
    buffer[i] = 0x30 + v - q * 10;
    v = q;
  }
  return end;
}

/** writeInt and the tab after it. */
function intField(buffer: Buffer, at: number, v: number): number {
  at = writeInt(buffer, at, v);
  buffer[at] = TAB;
  return at + 1;
}

/**
 * 'YYYY-MM-DDTHH:MM:SS.' of the last second met, as bytes: rows come in about the order of their
 * requests' start. Not a Map by second: a second past 2^30 is a heap number, hashed and
 * allocated per lookup.
 */
let lastSecond = NaN;
let lastPrefix = Buffer.alloc(0);

/** Writes `ms` as `Date#toISOString` does at `at`: its second's prefix copied, its milliseconds as digits. Returns where it ends. */
function writeTimestamp(buffer: Buffer, at: number, ms: number): number {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastPrefix = Buffer.from(new Date(second * 1000).toISOString().slice(0, -4), 'latin1');
    lastSecond = second;
  }
  const prefix = lastPrefix;
  for (let i = 0; i < prefix.length; i++) buffer[at++] = prefix[i];
  const milli = ms - second * 1000;
  const hundreds = Math.floor(milli / 100);
  const tens = Math.floor(milli / 10) - hundreds * 10;
  buffer[at] = 0x30 + hundreds;
  buffer[at + 1] = 0x30 + tens;
  buffer[at + 2] = 0x30 + milli - hundreds * 100 - tens * 10;
  buffer[at + 3] = 0x5a; // Z
  return at + 4;
}

/**
 * Request-log rows into shared chunks (RowTextEncoder), each as its COPY line: the text columns
 * as one string (copyField each) written by node, the rest written byte by byte from JS, which
 * spares a number's conversion and concatenation per column. Text stays a string: node's UTF-8
 * write is cheaper than a JS loop over its characters.
 */
export class RequestLogEncoder extends RowTextEncoder<NewRequestLogRow, RequestLogText> {
  /**
   * Precondition: `row` of its type (strings, numbers, a boolean, a Date, null where
   * RequestLogRow allows it) and passed through repairRow, so that every integer is an int4
   * count and the date a valid one. A number that is not throws (writeInt); a field of another
   * type is not checked here (reviveRow checks a spilled line's).
   */
  encode(row: NewRequestLogRow): RequestLogText {
    return this.place(row);
  }

  protected mostBytes(r: NewRequestLogRow): number {
    const units = (r.id?.length ?? UUID_BYTES) + r.requestId.length + (r.clientRequestId?.length ?? 0) + (r.virtualKeyId?.length ?? 0) + r.requestType.length
      + r.provider.length + r.model.length + r.modelRequested.length + r.status.length + (r.errorCode?.length ?? 0) + (r.errorMessage?.length ?? 0)
      + (r.costUsd?.length ?? 0);
    return 3 * units + FIXED_BYTES;
  }

  protected byteLength(r: NewRequestLogRow): number {
    // An id to be minted is written as \\N there.
    return Buffer.byteLength(copyLine(columnValues(r))) + (r.id === null ? UUID_BYTES - 2 : 0);
  }

  /**
   * The row's line: the same bytes as copyLine(columnValues(r)) in UTF-8 (the specs compare them),
   * with a new UUIDv7 for an id to be minted.
   */
  protected write(r: NewRequestLogRow, chunk: Chunk | null, buffer: Buffer, start: number): RequestLogText {
    let at = r.id === null ? uuidv7Into(buffer, start) : start + buffer.write(copyField(r.id), start);
    buffer[at++] = TAB;
    const text = copyField(r.requestId) + '\t' + copyField(r.clientRequestId) + '\t' + copyField(r.virtualKeyId)
      + '\t' + copyField(r.requestType) + '\t' + copyField(r.provider) + '\t' + copyField(r.model) + '\t' + copyField(r.modelRequested)
      + '\t' + copyField(r.status) + '\t' + copyField(r.errorCode) + '\t' + copyField(r.errorMessage) + '\t' + copyField(r.costUsd) + '\t';
    at += buffer.write(text, at);
    at = writeTimestamp(buffer, at, r.createdAt.getTime());
    buffer[at++] = TAB;
    at = intField(buffer, at, r.fallbackIndex);
    at = intField(buffer, at, r.httpStatus);
    buffer[at++] = r.stream ? 0x74 : 0x66; // t, f
    buffer[at++] = TAB;
    at = intField(buffer, at, r.inputTokens);
    at = intField(buffer, at, r.cachedTokens);
    at = intField(buffer, at, r.outputTokens);
    at = intField(buffer, at, r.reasoningTokens);
    at = intField(buffer, at, r.totalTokens);
    at = intField(buffer, at, r.latencyMs);
    if (r.ttftMs === null) {
      buffer[at++] = 0x5c; // \
      buffer[at++] = 0x4e; // N
    } else {
      at = writeInt(buffer, at, r.ttftMs);
    }
    buffer[at++] = NEWLINE;
    return new RequestLogText(chunk, buffer, start, at);
  }
}

/** A COPY line (without its newline) back as its row: columnValues and copyField reversed. */
function parseRow(line: string): RequestLogRow {
  const [
    id, requestId, clientRequestId, virtualKeyId, requestType, provider, model, modelRequested, status, errorCode, errorMessage, costUsd,
    createdAt, fallbackIndex, httpStatus, stream, inputTokens, cachedTokens, outputTokens, reasoningTokens, totalTokens, latencyMs, ttftMs,
  ] = copyFieldsOf(line);
  return {
    id: id!, requestId: requestId!, clientRequestId, createdAt: new Date(createdAt!), virtualKeyId, requestType: requestType as RequestType,
    provider: provider!, model: model!, modelRequested: modelRequested!, fallbackIndex: Number(fallbackIndex), status: status as RequestLogStatus,
    httpStatus: Number(httpStatus), errorCode, errorMessage, stream: stream === 't', inputTokens: Number(inputTokens), cachedTokens: Number(cachedTokens),
    outputTokens: Number(outputTokens), reasoningTokens: Number(reasoningTokens), totalTokens: Number(totalTokens), costUsd, latencyMs: Number(latencyMs),
    ttftMs: ttftMs === null ? null : Number(ttftMs),
  };
}
