import { copyField, copyLine } from '../storage/batch-writer';
import { type StoredItem, type StoredResponseRow, type StoredStatus, toJsonb } from './stored-response';

// Rows are encoded into chunks of this many bytes; a row of more than a quarter of one gets a
// Buffer of its own, of its exact size.
export const CHUNK_BYTES = 256 * 1024;
const OWN_BUFFER_BYTES = CHUNK_BYTES / 4;

function responseCopyText(r: StoredResponseRow): string {
  return copyLine([
    r.id, r.keyId, r.createdAt, r.expiresAt, r.status, r.background, r.model, r.previousResponseId,
    toJsonb(r.requestJson), toJsonb(r.inputItemsJson), toJsonb(r.responseJson), toJsonb(r.errorJson),
    r.status === 'queued' || r.status === 'in_progress' ? r.createdAt : null,
  ]);
}

function itemsCopyText(r: StoredResponseRow): string {
  const { items } = r;
  if (items.length === 0) return '';
  // What every item line of the row repeats, escaped once.
  const id = copyField(r.id);
  const keyId = copyField(r.keyId);
  const createdAt = copyField(r.createdAt);
  let lines = '';
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    lines += `${id}\t${it.position}\t${it.source}\t${keyId}\t${copyField(it.itemId)}\t${createdAt}\n`;
  }
  return lines;
}

/**
 * A stored row waiting for its batch, as its COPY text (its stored_responses line, then its
 * stored_items lines, none for a row without items) in UTF-8 bytes outside the V8 heap. Every
 * stored turn waits about one flush interval, long enough to be promoted to the old space as
 * strings; here it holds only this small object. The offsets are the row's own, so no other
 * row's text (or lack of items) can move them. The row's fields come back from the text, on
 * the rare paths that need them (`row()`: a spill, the INSERT fallback, a refused row).
 */
export class StoredRowText {
  constructor(
    readonly id: string,
    private readonly buffer: Buffer,
    private readonly start: number,
    private readonly itemsStart: number,
    private readonly end: number,
  ) {}

  /** Bytes of text. */
  get bytes(): number {
    return this.end - this.start;
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

/**
 * Encodes rows one after another into shared chunks. A chunk is freed by the collector once no
 * row in it is held any more; rows leave the writer in about the order they came, so the chunks
 * held are about the rows' own bytes, plus the unused end of each (less than the row that did
 * not fit there, at most a quarter of a chunk) and the chunk being filled.
 */
export class StoredRowEncoder {
  private chunk: Buffer | null = null;
  private used = 0;

  encode(row: StoredResponseRow): StoredRowText {
    const response = responseCopyText(row);
    const items = itemsCopyText(row);
    // UTF-8 takes at most three bytes per UTF-16 code unit: the exact length is counted only
    // when the chunk might not have room.
    if (this.chunk === null || this.used + 3 * (response.length + items.length) > this.chunk.length) {
      const bytes = Buffer.byteLength(response) + Buffer.byteLength(items);
      if (bytes > OWN_BUFFER_BYTES) return this.encodeInto(row.id, Buffer.allocUnsafeSlow(bytes), 0, response, items);
      if (this.chunk === null || this.used + bytes > this.chunk.length) {
        this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
        this.used = 0;
      }
    }
    const text = this.encodeInto(row.id, this.chunk, this.used, response, items);
    this.used += text.bytes;
    return text;
  }

  private encodeInto(id: string, buffer: Buffer, start: number, response: string, items: string): StoredRowText {
    const itemsStart = start + buffer.write(response, start);
    const end = itemsStart + (items === '' ? 0 : buffer.write(items, itemsStart));
    return new StoredRowText(id, buffer, start, itemsStart, end);
  }
}

const COPY_ESCAPE = /\\(.)/g;
const COPY_UNESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t' };

/** A COPY text field back as its value: copyField reversed (U+0000, written as U+FFFD, stays so). */
function parseField(field: string): string | null {
  if (field === '\\N') return null;
  return field.includes('\\') ? field.replace(COPY_ESCAPE, (_, c: string) => COPY_UNESCAPES[c] ?? c) : field;
}

/** The fields of a COPY text line (without its newline); escaped tabs are `\t`, so every tab is a delimiter. */
function fieldsOf(line: string): (string | null)[] {
  return line.split('\t').map(parseField);
}

function parseRow(responseLine: string, itemLines: string): StoredResponseRow {
  const [id, keyId, createdAt, expiresAt, status, background, model, previousResponseId, requestJson, inputItemsJson, responseJson, errorJson] =
    fieldsOf(responseLine.slice(0, -1));
  const items: StoredItem[] = [];
  for (const line of itemLines === '' ? [] : itemLines.slice(0, -1).split('\n')) {
    const [, position, source, , itemId] = fieldsOf(line);
    items.push({ source: source as StoredItem['source'], position: Number(position), itemId: itemId! });
  }
  return {
    id: id!, keyId: keyId!, createdAt: new Date(createdAt!), expiresAt: new Date(expiresAt!), status: status as StoredStatus, background: background === 't',
    model: model!, previousResponseId, requestJson: requestJson!, inputItemsJson: inputItemsJson!, responseJson: responseJson!, errorJson, items,
  };
}
