import { copyField, copyFields } from '../storage/batch-writer';
import { type Chunk, copyFieldsOf, RowText, RowTextEncoder } from '../storage/row-text';
import { type StoredItem, type StoredResponseRow, type StoredStatus, toJsonb } from './stored-response';

/** The row's fields that its item lines repeat, as COPY fields: escaped once for all its lines. */
interface SharedFields {
  id: string;
  keyId: string;
  createdAt: string;
}

/** The row's stored_responses line before its Response's field (its tab included), and after it. */
function responseLineAround(r: StoredResponseRow, shared: SharedFields): { head: string; tail: string } {
  const head = `${shared.id}\t${shared.keyId}\t${shared.createdAt}\t${copyFields([
    r.expiresAt, r.status, r.background, r.model, r.previousResponseId, toJsonb(r.requestJson), toJsonb(r.inputItemsJson),
  ])}`;
  const tail = `${copyField(toJsonb(r.errorJson))}\t${r.status === 'queued' || r.status === 'in_progress' ? shared.createdAt : copyField(null)}`;
  return { head: `${head}\t`, tail: `\t${tail}\n` };
}

function itemsCopyText(r: StoredResponseRow, { id, keyId, createdAt }: SharedFields): string {
  const { items } = r;
  let lines = '';
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    lines += `${id}\t${it.position}\t${it.source}\t${keyId}\t${copyField(it.itemId)}\t${createdAt}\n`;
  }
  return lines;
}

/**
 * A stored row waiting for its batch (RowText): its stored_responses line, then its stored_items
 * lines, none for a row without items. The item lines' offset is the row's own, so no other row's
 * text (or lack of items) can move it.
 */
export class StoredRowText extends RowText {
  constructor(
    readonly id: string,
    chunk: Chunk | null,
    buffer: Buffer,
    start: number,
    /** Where its item lines start (its response line's end). */
    readonly itemsStart: number,
    end: number,
  ) {
    super(chunk, buffer, start, end);
  }

  get hasItems(): boolean {
    return this.end > this.itemsStart;
  }

  responseLine(): Buffer {
    return this.buffer.subarray(this.start, this.itemsStart);
  }

  itemLines(): Buffer {
    return this.buffer.subarray(this.itemsStart, this.end);
  }

  row(): StoredResponseRow {
    return parseRow(this.responseLine().toString(), this.itemLines().toString());
  }

  /** A spilled or dead-letter row is written as the row itself. */
  toJSON(): StoredResponseRow {
    return this.row();
  }
}

// What of a row's text each COPY takes (RowTextEncoder.copy): its stored_responses line, then its stored_items lines.
export const responseLineStart = (r: StoredRowText): number => r.start;
export const itemLinesStart = (r: StoredRowText): number => r.itemsStart;
export const itemLinesEnd = (r: StoredRowText): number => r.end;

/** A stored_responses line: one string, or its text around its response field's bytes. */
type Line = string | { head: string; field: Buffer; tail: string };

/** A stored row's text before it is encoded. */
interface StoredRowParts {
  id: string;
  line: Line;
  items: string;
}

/** Stored rows into shared chunks (RowTextEncoder). */
export class StoredRowEncoder extends RowTextEncoder<StoredRowParts, StoredRowText> {
  /**
   * `responseBytes`: the row's responseJson in UTF-8 when that is its own COPY text (no
   * backslash, no control character: StoredText.plain), as the response cache encoded it. It is
   * copied here, during the call, and not kept: the cache may give its buffer to another entry.
   */
  encode(row: StoredResponseRow, responseBytes?: Buffer): StoredRowText {
    const shared: SharedFields = { id: copyField(row.id), keyId: copyField(row.keyId), createdAt: copyField(row.createdAt) };
    const { head, tail } = responseLineAround(row, shared);
    // Without the field's bytes, the whole line as one string: one write.
    const line: Line = responseBytes === undefined ? `${head}${copyField(toJsonb(row.responseJson))}${tail}` : { head, field: responseBytes, tail };
    return this.place({ id: row.id, line, items: itemsCopyText(row, shared) });
  }

  protected mostBytes({ line, items }: StoredRowParts): number {
    return (typeof line === 'string' ? 3 * line.length : 3 * (line.head.length + line.tail.length) + line.field.length) + 3 * items.length;
  }

  protected byteLength({ line, items }: StoredRowParts): number {
    return (typeof line === 'string' ? Buffer.byteLength(line) : Buffer.byteLength(line.head) + line.field.length + Buffer.byteLength(line.tail)) + Buffer.byteLength(items);
  }

  /** Its stored_responses line, then its items' lines. */
  protected write({ id, line, items }: StoredRowParts, chunk: Chunk | null, buffer: Buffer, start: number): StoredRowText {
    let itemsStart = start;
    if (typeof line === 'string') {
      itemsStart += buffer.write(line, start);
    } else {
      itemsStart += buffer.write(line.head, itemsStart);
      itemsStart += line.field.copy(buffer, itemsStart);
      itemsStart += buffer.write(line.tail, itemsStart);
    }
    const end = itemsStart + (items === '' ? 0 : buffer.write(items, itemsStart));
    return new StoredRowText(id, chunk, buffer, start, itemsStart, end);
  }
}

function parseRow(responseLine: string, itemLines: string): StoredResponseRow {
  const [id, keyId, createdAt, expiresAt, status, background, model, previousResponseId, requestJson, inputItemsJson, responseJson, errorJson] =
    copyFieldsOf(responseLine.slice(0, -1));
  const items: StoredItem[] = [];
  for (const line of itemLines === '' ? [] : itemLines.slice(0, -1).split('\n')) {
    const [, position, source, , itemId] = copyFieldsOf(line);
    items.push({ source: source as StoredItem['source'], position: Number(position), itemId: itemId! });
  }
  return {
    id: id!, keyId: keyId!, createdAt: new Date(createdAt!), expiresAt: new Date(expiresAt!), status: status as StoredStatus, background: background === 't',
    model: model!, previousResponseId, requestJson: requestJson!, inputItemsJson: inputItemsJson!, responseJson: responseJson!, errorJson, items,
  };
}
