import {
  BINARY_FRAME, BOOL_BYTES, FIELD_HEAD_BYTES, fieldOf, int4Bytes, mostRefusedBytes, mostTextBytes, putBool, putCount, putField, putFieldAgain,
  putInt4, putNull, putText, putTimestamptz, putUtf8, putUuid, TIMESTAMPTZ_BYTES, textBytes, TupleReader, uuidBytes,
} from '../storage/copy-binary';
import { type Chunk, RowText, RowTextEncoder } from '../storage/row-text';
import { type StoredItem, type StoredResponseRow, type StoredStatus, toJsonb, toPgText } from './stored-response';

// Fields of a stored_responses row (INSERT_COLUMNS) and of a stored_items row (COPY_ITEMS_SQL).
const RESPONSE_FIELDS = 13;
const ITEM_FIELDS = 6;
// A field count.
const COUNT_BYTES = 2;

/**
 * A stored row waiting for its batch (RowText): its stored_responses row, then its stored_items
 * rows, none for a row without items, in COPY's binary format. The item rows' offset is the
 * row's own, so no other row's data (or lack of items) can move it.
 */
export class StoredRowText extends RowText {
  constructor(
    readonly id: string,
    chunk: Chunk | null,
    buffer: Buffer,
    start: number,
    /** Where its item rows start (its response row's end). */
    readonly itemsStart: number,
    end: number,
  ) {
    super(chunk, buffer, start, end);
  }

  get hasItems(): boolean {
    return this.end > this.itemsStart;
  }

  responseTuple(): Buffer {
    return this.buffer.subarray(this.start, this.itemsStart);
  }

  itemTuples(): Buffer {
    return this.buffer.subarray(this.itemsStart, this.end);
  }

  row(): StoredResponseRow {
    return readRow(this.buffer, this.start, this.itemsStart, this.end);
  }

  /** A spilled or dead-letter row is written as the row itself, its times as ISO strings (as Dates were written). */
  toJSON(): SpilledRow {
    const row = this.row();
    return { ...row, createdAt: new Date(row.createdAt), expiresAt: new Date(row.expiresAt) };
  }
}

/** A row as a spill file's line holds it: its times are Dates, written by JSON.stringify as ISO strings. */
export type SpilledRow = Omit<StoredResponseRow, 'createdAt' | 'expiresAt'> & { createdAt: Date; expiresAt: Date };

// What of a row's data each COPY takes (RowTextEncoder.copy): its stored_responses row, then its stored_items rows.
export const responseTupleStart = (r: StoredRowText): number => r.start;
export const itemTuplesStart = (r: StoredRowText): number => r.itemsStart;
export const itemTuplesEnd = (r: StoredRowText): number => r.end;

/** A stored row's values as its columns take them (U+0000 as U+FFFD, JSON as `toJsonb` makes it), before they are written. */
interface StoredRowParts {
  row: StoredResponseRow;
  id: string;
  status: string;
  model: string;
  previousResponseId: string | null;
  request: string;
  inputItems: string;
  /** As a string, or its UTF-8 as given. */
  response: string | Buffer;
  error: string | null;
  itemIds: string[];
}

// An item row's `source`, as putText writes either.
const INPUT_FIELD = fieldOf('input');
const OUTPUT_FIELD = fieldOf('output');

const jsonField = (json: string): string => toPgText(toJsonb(json));
const nullable = (v: string | null, bytes: (text: string) => number): number => (v === null ? FIELD_HEAD_BYTES : bytes(v));

/** Whether the row's heartbeat_at is set (to its start), not NULL. */
const unfinished = (row: StoredResponseRow): boolean => row.status === 'queued' || row.status === 'in_progress';

/** A row's bytes, its strings counted by `text` and its uuids by `uuid` (exactly, or at most). */
function rowBytes(p: StoredRowParts, text: (s: string) => number, uuid: (s: string) => number): number {
  const { row } = p;
  const key = uuid(row.keyId);
  let bytes = COUNT_BYTES + text(p.id) + key + 2 * TIMESTAMPTZ_BYTES + text(p.status) + BOOL_BYTES + text(p.model) + nullable(p.previousResponseId, text)
    + text(p.request) + text(p.inputItems) + (typeof p.response === 'string' ? text(p.response) : FIELD_HEAD_BYTES + p.response.length)
    + nullable(p.error, text) + (unfinished(row) ? TIMESTAMPTZ_BYTES : FIELD_HEAD_BYTES);
  const items = row.items;
  for (let i = 0; i < items.length; i++) {
    bytes += COUNT_BYTES + text(p.id) + int4Bytes(items[i].position) + text(items[i].source) + key + text(p.itemIds[i]) + TIMESTAMPTZ_BYTES;
  }
  return bytes;
}

/** Stored rows into shared chunks (RowTextEncoder), as COPY's binary rows. */
export class StoredRowEncoder extends RowTextEncoder<StoredRowParts, StoredRowText> {
  protected override readonly frame = BINARY_FRAME;

  /**
   * `responseBytes`: the row's responseJson in UTF-8 when that is its own column value (no `\u`
   * escape: StoredText.plain), as the response cache encoded it. It is
   * copied here, during the call, and not kept: the cache may give its buffer to another entry.
   */
  encode(row: StoredResponseRow, responseBytes?: Buffer): StoredRowText {
    const { items } = row;
    const itemIds = new Array<string>(items.length);
    for (let i = 0; i < items.length; i++) itemIds[i] = toPgText(items[i].itemId);
    return this.place({
      row, id: toPgText(row.id), status: toPgText(row.status), model: toPgText(row.model),
      previousResponseId: row.previousResponseId === null ? null : toPgText(row.previousResponseId),
      request: jsonField(row.requestJson), inputItems: jsonField(row.inputItemsJson), response: responseBytes ?? jsonField(row.responseJson),
      error: row.errorJson === null ? null : jsonField(row.errorJson), itemIds,
    });
  }

  protected mostBytes(p: StoredRowParts): number {
    return rowBytes(p, mostTextBytes, mostRefusedBytes);
  }

  protected byteLength(p: StoredRowParts): number {
    return rowBytes(p, textBytes, uuidBytes);
  }

  /** Its stored_responses row, then its items' rows. */
  protected write(p: StoredRowParts, chunk: Chunk | null, buffer: Buffer, start: number): StoredRowText {
    const { row } = p;
    let at = putCount(buffer, start, RESPONSE_FIELDS);
    // Where its id and creation time lie: each item row repeats both.
    const idField = at;
    at = putText(buffer, at, p.id);
    const idEnd = at;
    at = putUuid(buffer, at, row.keyId);
    const createdField = at;
    at = putTimestamptz(buffer, at, row.createdAt);
    const createdEnd = at;
    at = putTimestamptz(buffer, at, row.expiresAt);
    at = putText(buffer, at, p.status);
    at = putBool(buffer, at, row.background);
    at = putText(buffer, at, p.model);
    at = p.previousResponseId === null ? putNull(buffer, at) : putText(buffer, at, p.previousResponseId);
    at = putText(buffer, at, p.request);
    at = putText(buffer, at, p.inputItems);
    at = typeof p.response === 'string' ? putText(buffer, at, p.response) : putUtf8(buffer, at, p.response);
    at = p.error === null ? putNull(buffer, at) : putText(buffer, at, p.error);
    at = unfinished(row) ? putTimestamptz(buffer, at, row.createdAt) : putNull(buffer, at);
    const itemsStart = at;
    const { items } = row;
    for (let i = 0; i < items.length; i++) {
      const { source } = items[i];
      at = putCount(buffer, at, ITEM_FIELDS);
      at = putFieldAgain(buffer, at, idField, idEnd);
      at = putInt4(buffer, at, items[i].position);
      at = putField(buffer, at, source === 'output' ? OUTPUT_FIELD : INPUT_FIELD);
      at = putUuid(buffer, at, row.keyId);
      at = putText(buffer, at, p.itemIds[i]);
      at = putFieldAgain(buffer, at, createdField, createdEnd);
    }
    return new StoredRowText(row.id, chunk, buffer, start, itemsStart, at);
  }
}

/** A row's binary data back as the row: StoredRowEncoder.write reversed. */
function readRow(buffer: Buffer, start: number, itemsStart: number, end: number): StoredResponseRow {
  const t = new TupleReader(buffer, start);
  const [id, keyId, createdAt, expiresAt, status, background, model] = [t.text(), t.uuid(), t.timestamptz(), t.timestamptz(), t.text(), t.bool(), t.text()];
  const [previousResponseId, requestJson, inputItemsJson, responseJson, errorJson] = [t.text(), t.text(), t.text(), t.text(), t.text()];
  const items: StoredItem[] = [];
  for (let at = itemsStart; at < end; ) {
    const it = new TupleReader(buffer, at);
    it.skip();
    const position = it.int4();
    const source = it.text();
    it.skip();
    const itemId = it.text();
    it.skip();
    items.push({ source: source as StoredItem['source'], position: position!, itemId: itemId! });
    at = it.end;
  }
  return {
    id: id!, keyId: keyId!, createdAt: createdAt!.getTime(), expiresAt: expiresAt!.getTime(), status: status as StoredStatus, background: background!,
    model: model!, previousResponseId, requestJson: requestJson!, inputItemsJson: inputItemsJson!, responseJson: responseJson!, errorJson, items,
  };
}
