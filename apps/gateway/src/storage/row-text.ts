import type { PoolClient } from 'pg';
import { errorMessage } from '@app/common';
import { CopyIn } from './copy-in';
import { capacityFor, SpareBuffers } from './spare-buffers';

// Rows are encoded into chunks of this many bytes; a row of more than a quarter of one gets a
// buffer of its own (its size rounded up: capacityFor).
export const CHUNK_BYTES = 64 * 1024;
const OWN_BUFFER_BYTES = CHUNK_BYTES / 4;
// Chunks whose rows are all written wait for reuse, this many at most (4 MB).
export const MAX_SPARE_CHUNKS = 64;
// Buffers of their own whose rows are written wait for reuse, this many bytes of them at most:
// about one and a half batches of large turns (the stored responses' writer bounds a batch's
// size; each buffer is its row rounded up by at most a quarter). Past it, a burst's buffers are
// left to the collector.
export const MAX_SPARE_OWN_BYTES = 4 * 1024 * 1024;
// A buffer of its own larger than this is left to the collector, not kept: one such would take
// the room of many of the common sizes, and wait for a row of its exact size class.
export const MAX_KEPT_OWN_BYTES = MAX_SPARE_OWN_BYTES / 8;

/** A chunk rows are encoded into, and how many of them may still be read. */
export class Chunk {
  used = 0;
  live = 0;

  constructor(readonly buffer: Buffer) {}
}

/**
 * A row waiting for its batch, as its COPY data (text lines or binary rows) outside the V8 heap.
 * Every row waits about one flush interval, long enough to be promoted to the old space as an
 * object and strings; here it holds only this small object, whose offsets are its own: no other
 * row's data can move them. A table's row text reads its fields back on the rare paths that need them (a
 * spill, the INSERT fallback, a refused row).
 */
export class RowText {
  /** The chunk it was encoded into, or its buffer of its own, until released. */
  private home: Chunk | Buffer | null;

  constructor(
    /** null: `buffer` is the row's own. */
    chunk: Chunk | null,
    /** The text is `buffer` from `start` to `end`. */
    readonly buffer: Buffer,
    readonly start: number,
    readonly end: number,
  ) {
    this.home = chunk ?? buffer;
  }

  /** Bytes of text. */
  get bytes(): number {
    return this.end - this.start;
  }

  /** Its chunk or own buffer, the first time only: a row released twice must not count twice against it. */
  takeHome(): Chunk | Buffer | null {
    const { home } = this;
    this.home = null;
    return home;
  }
}

/** Whether a buffer is all of its memory (as SpareBuffers.take gives): a slice of a shared one must never be handed to another row. */
function isWholeAllocation(buffer: Buffer): boolean {
  return buffer.byteOffset === 0 && buffer.length === buffer.buffer.byteLength;
}

const textStart = (row: RowText): number => row.start;
const textEnd = (row: RowText): number => row.end;

/**
 * Encodes rows one after another into shared chunks. A chunk whose rows were all written
 * (`release`) is filled again, and so is a large row's buffer of its own: memory taken from
 * outside the heap for every row would grow V8's count of external memory, which starts full
 * collections as the old space's growth does, and until one comes the rows' buffers, promoted
 * while they waited, are held as garbage. A row never released (spilled, cut short) keeps its
 * chunk from reuse, and the collector frees the chunk once no row in it is held. Rows
 * leave the writer in about the order they came, so the chunks held are about the rows' own
 * bytes, plus the unused end of each (less than the row that did not fit there, at most a quarter
 * of a chunk), the chunk being filled and the spares (up to 4 MB of chunks and 4 MB of large
 * rows' buffers per encoder, kept after a burst; a large row's buffer is its size rounded up by
 * at most a quarter, which the writer's count of buffered bytes leaves out).
 *
 * A table says what its row's text is (`S`: what it is encoded from, e.g. a row object), how long it
 * may be and how it is written.
 */
export abstract class RowTextEncoder<S, R extends RowText> {
  private chunk: Chunk | null = null;
  private readonly spare: Chunk[] = [];
  private readonly spareOwn = new SpareBuffers(MAX_SPARE_OWN_BYTES / OWN_BUFFER_BYTES);
  /** What the COPY sends before and after the rows: binary rows need the format's header and trailer; text rows nothing. */
  protected readonly frame: { head: Buffer; tail: Buffer } | undefined = undefined;

  /** At most the text's bytes in UTF-8: three per UTF-16 code unit of a string, counted without reading it. */
  protected abstract mostBytes(text: S): number;
  /** The text's bytes in UTF-8, exactly. */
  protected abstract byteLength(text: S): number;
  /** Writes the text into `buffer` at `start`, as the row's text. */
  protected abstract write(text: S, chunk: Chunk | null, buffer: Buffer, start: number): R;

  /** The text written where it fits: in the chunk being filled, a new one, or a buffer of its own. */
  protected place(text: S): R {
    let chunk = this.chunk;
    // The exact length is counted only when the row might be a large one or the chunk might not have room.
    const most = this.mostBytes(text);
    if (chunk === null || most > OWN_BUFFER_BYTES || chunk.used + most > CHUNK_BYTES) {
      const bytes = this.byteLength(text);
      if (bytes > OWN_BUFFER_BYTES) return this.write(text, null, this.spareOwn.take(capacityFor(bytes)), 0);
      if (chunk === null || chunk.used + bytes > CHUNK_BYTES) chunk = this.nextChunk();
    }
    const row = this.write(text, chunk, chunk.buffer, chunk.used);
    chunk.used += row.bytes;
    chunk.live++;
    return row;
  }

  /** Rows written and no longer read: their chunks and buffers may be filled again. A row released again changes nothing. */
  release(texts: readonly RowText[]): void {
    for (const text of texts) {
      const home = text.takeHome();
      if (home === null) continue;
      if (!(home instanceof Chunk)) {
        if (isWholeAllocation(home) && home.length <= MAX_KEPT_OWN_BYTES) {
          this.spareOwn.put(home);
          this.spareOwn.trim(MAX_SPARE_OWN_BYTES);
        }
      } else if (--home.live === 0) {
        if (home === this.chunk) home.used = 0;
        else this.keepSpare(home);
      }
    }
  }

  /**
   * Sends the rows' text with COPY from where it lies (`startOf` to `endOf` of each: the part of
   * it the table takes; all of it by default), in any order (COPY rows have none): a run of text
   * back to back in one buffer (rows are encoded in the order they are buffered) larger than a
   * quarter of a chunk goes as one piece, not copied; smaller runs are copied together into spare
   * chunks, one piece each (one CopyData per small row would be a socket write or two for each).
   * The rows' chunks and buffers are not filled again before the rows are released, after their
   * transaction commits; the pieces are spares again once the COPY is over.
   */
  async copy(client: PoolClient, sql: string, rows: readonly R[], startOf: (row: R) => number = textStart, endOf: (row: R) => number = textEnd): Promise<void> {
    const copy = new CopyIn(client, sql, this.frame);
    const pieces: Chunk[] = [];
    try {
      let piece: Chunk | null = null;
      // The run so far: `buffer` from `start` to `end`.
      let buffer: Buffer | null = null;
      let start = 0;
      let end = 0;
      // One step past the rows, for the last run.
      for (let i = 0; i <= rows.length; i++) {
        const row = i < rows.length ? rows[i] : null;
        const from = row === null ? 0 : startOf(row);
        const to = row === null ? 0 : endOf(row);
        if (row !== null && (from === to || (row.buffer === buffer && from === end))) {
          if (from !== to) end = to;
          continue;
        }
        let data: Buffer | null = null;
        if (buffer !== null && end - start > OWN_BUFFER_BYTES) data = buffer.subarray(start, end);
        else if (buffer !== null) {
          // The piece being filled goes once the run does not fit.
          if (piece === null || piece.used + end - start > CHUNK_BYTES) {
            if (piece !== null) data = piece.buffer.subarray(0, piece.used);
            piece = this.spare.pop() ?? new Chunk(Buffer.allocUnsafeSlow(CHUNK_BYTES));
            pieces.push(piece);
          }
          piece.used += buffer.copy(piece.buffer, piece.used, start, end);
        }
        if (data !== null) {
          const drained = copy.send(data);
          if (drained !== undefined) await drained;
          if (copy.failed) break;
        }
        buffer = row === null ? null : row.buffer;
        start = from;
        end = to;
      }
      await copy.end(piece === null || copy.failed ? undefined : piece.buffer.subarray(0, piece.used));
    } catch (err) {
      // Ended however it failed: a COPY left open would hold the connection, and the ROLLBACK queued behind it, forever.
      await copy.fail(errorMessage(err)).catch(() => undefined);
      throw err;
    }
    // Taken by the server, so sent: after a failure they are left to the collector, as the connection may still be sending them.
    for (const p of pieces) this.keepSpare(p);
  }

  private keepSpare(chunk: Chunk): void {
    if (this.spare.length >= MAX_SPARE_CHUNKS) return;
    chunk.used = 0;
    this.spare.push(chunk);
  }

  private nextChunk(): Chunk {
    const old = this.chunk;
    // The chunk left behind waits for its rows; one with none is a spare at once.
    if (old !== null && old.live === 0) this.keepSpare(old);
    const next = this.spare.pop() ?? new Chunk(Buffer.allocUnsafeSlow(CHUNK_BYTES));
    this.chunk = next;
    return next;
  }
}

/** Rows whose text is one string (a COPY line), written as it is. */
export abstract class LineEncoder<R extends RowText> extends RowTextEncoder<string, R> {
  /** The row's text object, for its line written into `buffer` from `start` to `end`. */
  protected abstract text(chunk: Chunk | null, buffer: Buffer, start: number, end: number): R;

  protected mostBytes(line: string): number {
    return 3 * line.length;
  }

  protected byteLength(line: string): number {
    return Buffer.byteLength(line);
  }

  protected write(line: string, chunk: Chunk | null, buffer: Buffer, start: number): R {
    return this.text(chunk, buffer, start, start + buffer.write(line, start));
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
export function copyFieldsOf(line: string): (string | null)[] {
  return line.split('\t').map(parseField);
}
