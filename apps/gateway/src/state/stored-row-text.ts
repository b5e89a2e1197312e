import { copyField, copyFields } from '../storage/batch-writer';
import { type StoredItem, type StoredResponseRow, type StoredStatus, toJsonb } from './stored-response';

// Rows are encoded into chunks of this many bytes; a row of more than a quarter of one gets a
// Buffer of its own, of its exact size.
export const CHUNK_BYTES = 64 * 1024;
const OWN_BUFFER_BYTES = CHUNK_BYTES / 4;
// Chunks whose rows are all written wait for reuse, this many at most (4 MB).
export const MAX_SPARE_CHUNKS = 64;

/** The row's stored_responses line before its Response's field (its tab included), and after it. */
function responseLineAround(r: StoredResponseRow): { head: string; tail: string } {
  const head = copyFields([
    r.id, r.keyId, r.createdAt, r.expiresAt, r.status, r.background, r.model, r.previousResponseId, toJsonb(r.requestJson), toJsonb(r.inputItemsJson),
  ]);
  const tail = copyFields([toJsonb(r.errorJson), r.status === 'queued' || r.status === 'in_progress' ? r.createdAt : null]);
  return { head: `${head}\t`, tail: `\t${tail}\n` };
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
    /** The chunk it was encoded into, until released (null: a buffer of its own). */
    private chunk: Chunk | null,
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

  /** Its chunk, the first time only: a row released twice must not count twice against it. */
  takeChunk(): Chunk | null {
    const { chunk } = this;
    this.chunk = null;
    return chunk;
  }
}

/** A chunk rows are encoded into, and how many of them may still be read. */
export class Chunk {
  used = 0;
  live = 0;

  constructor(readonly buffer: Buffer) {}
}

/**
 * Encodes rows one after another into shared chunks. A chunk whose rows were all written
 * (`release`) is filled again: memory taken from outside the heap for every row would grow V8's
 * count of external memory, which starts full collections as the old space's growth does. A row
 * never released (spilled, cut short, given up) keeps its chunk from reuse, and the collector
 * frees the chunk once no row in it is held. Rows leave the writer in about the order they came,
 * so the chunks held are about the rows' own bytes, plus the unused end of each (less than the row
 * that did not fit there, at most a quarter of a chunk), the chunk being filled and the spares.
 */
export class StoredRowEncoder {
  private chunk: Chunk | null = null;
  private readonly spare: Chunk[] = [];

  /**
   * `responseBytes`: the row's responseJson in UTF-8 when that is its own COPY text (no
   * backslash, no control character: StoredText.plain), as the response cache encoded it. It is
   * copied here, during the call, and not kept: the cache may give its buffer to another entry.
   */
  encode(row: StoredResponseRow, responseBytes?: Buffer): StoredRowText {
    const { head, tail } = responseLineAround(row);
    // Without the field's bytes, the whole line as one string: one write.
    const line: Line = responseBytes === undefined ? `${head}${copyField(toJsonb(row.responseJson))}${tail}` : { head, field: responseBytes, tail };
    const items = itemsCopyText(row);
    let chunk = this.chunk;
    // UTF-8 takes at most three bytes per UTF-16 code unit: the exact length is counted only
    // when the row might be a large one or the chunk might not have room.
    const most = mostBytes(line) + 3 * items.length;
    if (chunk === null || most > OWN_BUFFER_BYTES || chunk.used + most > CHUNK_BYTES) {
      const bytes = lineBytes(line) + Buffer.byteLength(items);
      if (bytes > OWN_BUFFER_BYTES) return encodeInto(row.id, null, Buffer.allocUnsafeSlow(bytes), 0, line, items);
      if (chunk === null || chunk.used + bytes > CHUNK_BYTES) chunk = this.nextChunk();
    }
    const text = encodeInto(row.id, chunk, chunk.buffer, chunk.used, line, items);
    chunk.used += text.bytes;
    chunk.live++;
    return text;
  }

  /** Rows written and no longer read: their chunks may be filled again. A row released again changes nothing. */
  release(texts: readonly StoredRowText[]): void {
    for (const text of texts) {
      const chunk = text.takeChunk();
      if (chunk === null || --chunk.live > 0) continue;
      if (chunk === this.chunk) chunk.used = 0;
      else if (this.spare.length < MAX_SPARE_CHUNKS) {
        chunk.used = 0;
        this.spare.push(chunk);
      }
    }
  }

  private nextChunk(): Chunk {
    const old = this.chunk;
    // The chunk left behind waits for its rows; one with none is a spare at once.
    if (old !== null && old.live === 0 && this.spare.length < MAX_SPARE_CHUNKS) {
      old.used = 0;
      this.spare.push(old);
    }
    const next = this.spare.pop() ?? new Chunk(Buffer.allocUnsafeSlow(CHUNK_BYTES));
    this.chunk = next;
    return next;
  }
}

/** A stored_responses line: one string, or its text around its response field's bytes. */
type Line = string | { head: string; field: Buffer; tail: string };

/** At most the line's bytes in UTF-8. */
function mostBytes(line: Line): number {
  return typeof line === 'string' ? 3 * line.length : 3 * (line.head.length + line.tail.length) + line.field.length;
}

function lineBytes(line: Line): number {
  return typeof line === 'string' ? Buffer.byteLength(line) : Buffer.byteLength(line.head) + line.field.length + Buffer.byteLength(line.tail);
}

/** The row's text into `buffer` at `start`: its stored_responses line, then its items' lines. */
function encodeInto(id: string, chunk: Chunk | null, buffer: Buffer, start: number, line: Line, items: string): StoredRowText {
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
