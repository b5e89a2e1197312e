import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import type { SseEvent } from '../types';

/**
 * Incremental server-sent-events reader (WHATWG framing): bytes may be split anywhere,
 * including inside a UTF-8 sequence or between `\r` and `\n`. Comments and `id`/`retry`
 * fields are ignored; several `data:` lines join with `\n`.
 */
export class SseParser {
  /**
   * Made at the first chunk that is not ASCII: until then no bytes of a character can be pending,
   * and ASCII reads the same as Latin-1, which needs no decoder (a decoder costs more than the
   * decoding of a whole stream that arrives in one chunk).
   */
  private decoder: StringDecoder | null = null;
  private buffer = '';
  private eventName: string | null = null;
  /** The event's `data:` lines so far, joined with `\n` (null: none yet). */
  private data: string | null = null;
  /**
   * A character the next text drops when it starts with it (0: none): the `\n` after a `\r` that
   * ended the previous chunk (the two are one line end), or before any text the one byte-order
   * mark a stream may start with (WHATWG), its bytes possibly split across chunks.
   */
  private skip = 0xfeff;
  /** A chunk came as text (not read as ASCII bytes). */
  private readText = false;
  /**
   * The chunk being read, while the text read is exactly its bytes as Latin-1 (an ASCII chunk with
   * nothing carried over, not even the `\n` of a `\r` that ended the last one): a long value is
   * then cut out of it (FLAT_MIN).
   */
  private bytes: Buffer | null = null;
  /** How far the event being read is plainly framed (SseEvent.head), within the current read. */
  private shape = Shape.None;
  /** With Shape.Event or Shape.Data: where the `event: ` line starts, and where it (then the `data: ` line) ends. */
  private headStart = 0;
  private headEnd = 0;

  /** Every chunk so far was bytes, all ASCII. */
  get ascii(): boolean {
    return this.decoder === null && !this.readText;
  }

  push(chunk: Buffer | string): SseEvent[] {
    let text: string;
    if (typeof chunk === 'string') {
      text = chunk;
      this.readText = true;
    } else {
      text = this.decode(chunk);
    }
    let bytes = typeof chunk !== 'string' && this.decoder === null && this.buffer.length === 0 ? chunk : null;
    const skip = this.skip;
    if (skip !== 0 && text.length !== 0) {
      if (text.charCodeAt(0) === skip) {
        text = text.slice(1);
        bytes = null;
      }
      this.skip = 0;
    }
    this.bytes = bytes;
    // An event begun in an earlier read has no head: its first lines are not in this read's text.
    if (this.shape !== Shape.None) this.shape = Shape.Broken;
    this.buffer = this.buffer.length === 0 ? text : this.buffer + text;
    const events: SseEvent[] = [];
    let start = 0;
    const buf = this.buffer;
    // Most streams never send `\r`: found once, it is looked for again only once passed.
    let cr = buf.indexOf('\r');
    for (;;) {
      const lf = buf.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = buf.indexOf('\r', start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 === buf.length) {
          // Cannot tell yet whether `\n` follows; treat `\r` as the line end and skip a leading `\n` later.
          next = cr + 1;
          this.skip = 10 /* \n */;
        } else {
          next = buf.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      if (end === lf && this.shape === Shape.None && this.data === null) {
        const after = this.plainEvent(buf, start, lf, cr, events);
        if (after !== -1) {
          start = after;
          continue;
        }
      }
      this.line(buf, start, end, events);
      start = next;
    }
    this.bytes = null;
    this.buffer = start === 0 ? buf : buf.slice(start);
    return events;
  }

  /** Call at end of input: an event without its blank line is incomplete and is dropped. */
  end(): { incomplete: boolean } {
    const rest = this.decoder === null ? this.buffer : this.buffer + this.decoder.end();
    this.buffer = '';
    this.shape = Shape.None;
    return { incomplete: rest.trim().length > 0 || this.data !== null };
  }

  private decode(chunk: Buffer): string {
    if (this.decoder === null) {
      if (isAscii(chunk)) return chunk.toString('latin1');
      this.decoder = new StringDecoder('utf8');
    }
    return this.decoder.write(chunk);
  }

  /**
   * An event as OpenAI frames each one, `event: T\ndata: D\n\n` without `\r`, read whole from its
   * `event: ` line at `start` (ended by the `\n` at `lf`; `cr`: the first `\r` from `start`, or
   * -1): what `line` makes of its three lines, in one step. Returns where the next line starts,
   * or -1 (nothing read) when the event is framed otherwise or not all in `buf`.
   */
  private plainEvent(buf: string, start: number, lf: number, cr: number, events: SseEvent[]): number {
    if (lf - start < 7 || !isEventField(buf, start) || buf.charCodeAt(start + 6) !== 32) return -1;
    const data = lf + 1;
    if (!isDataField(buf, data) || buf.charCodeAt(data + 5) !== 32) return -1;
    const dataEnd = buf.indexOf('\n', data + 6);
    if (dataEnd === -1 || dataEnd === data + 6 || buf.charCodeAt(dataEnd + 1) !== 10 || (cr !== -1 && cr <= dataEnd + 1)) return -1;
    events.push({ event: buf.slice(start + 7, lf), data: this.dataValue(buf, data + 5, dataEnd), head: buf.slice(start, dataEnd - 1) });
    this.eventName = null;
    return dataEnd + 2;
  }

  /** The line `buf[start, end)`: `data:` and `event:` lines are read in place, others cut out first. */
  private line(buf: string, start: number, end: number, events: SseEvent[]): void {
    if (start === end) {
      if (this.data !== null) {
        const head = this.shape === Shape.Data ? buf.slice(this.headStart, this.headEnd - 1) : undefined;
        events.push({ event: this.eventName, data: this.data, head });
      }
      this.eventName = null;
      this.data = null;
      this.shape = Shape.None;
      return;
    }
    const first = buf.charCodeAt(start);
    if (first === 58 /* : */) return;
    if (first === 100 /* d */ && end - start >= 5 && isDataField(buf, start)) {
      // `data: ` with a value, right after the event's `event: ` line and its `\n`.
      const plain = this.shape === Shape.Event && start === this.headEnd + 1 && buf.charCodeAt(this.headEnd) === 10 && end - start > 6 && buf.charCodeAt(start + 5) === 32;
      this.shape = plain ? Shape.Data : Shape.Broken;
      this.headEnd = end;
      this.addData(this.dataValue(buf, start + 5, end));
    } else if (first === 101 /* e */ && end - start >= 6 && isEventField(buf, start)) {
      // The event's first field, with its space.
      const plain = this.shape === Shape.None && this.data === null && end - start > 6 && buf.charCodeAt(start + 6) === 32;
      this.shape = plain ? Shape.Event : Shape.Broken;
      this.headStart = start;
      this.headEnd = end;
      this.eventName = fieldValue(buf, start + 6, end);
    } else {
      if (this.shape !== Shape.None) this.shape = Shape.Broken;
      this.otherLine(buf.slice(start, end));
    }
  }

  private otherLine(line: string): void {
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : fieldValue(line, colon + 1, line.length);
    if (field === 'data') this.addData(value);
    else if (field === 'event') this.eventName = value;
  }

  /**
   * A `data:` line's value (fieldValue). A long one is copied out of the chunk's bytes when it can
   * be, rather than sliced from the chunk's text: the stages after the parser walk the largest
   * events (a Response) character by character, and reading a slice costs V8 an indirection per
   * character that a string of its own does not.
   */
  private dataValue(buf: string, from: number, end: number): string {
    const bytes = this.bytes;
    if (bytes === null || end - from < FLAT_MIN) return fieldValue(buf, from, end);
    return bytes.toString('latin1', buf.charCodeAt(from) === 32 ? from + 1 : from, end);
  }

  private addData(value: string): void {
    this.data = this.data === null ? value : `${this.data}\n${value}`;
  }
}

/** SseParser's reading of an event's lines, for SseEvent.head. */
const enum Shape {
  /** No field line yet (comments and ignored fields aside). */
  None,
  /** An `event: ` line first. */
  Event,
  /** Then the adjacent `data: ` line, and nothing else so far. */
  Data,
  /** Anything else: no head. */
  Broken,
}

// The length from which a `data:` value is copied out of the chunk's bytes (SseParser.dataValue):
// only the large events (a Response) are walked character by character after the parser, and for
// short values the copy costs more than the slice's indirection saves.
const FLAT_MIN = 1024;

// The two field names read in place, compared a character at a time: optimised code calls a
// builtin for each startsWith, which costs several times these comparisons (a plain event makes
// two).

/** `event:` at `at`. */
function isEventField(text: string, at: number): boolean {
  return (
    text.charCodeAt(at) === 101 /* e */ && text.charCodeAt(at + 1) === 118 /* v */ && text.charCodeAt(at + 2) === 101 /* e */ &&
    text.charCodeAt(at + 3) === 110 /* n */ && text.charCodeAt(at + 4) === 116 /* t */ && text.charCodeAt(at + 5) === 58 /* : */
  );
}

/** `data:` at `at`. */
function isDataField(text: string, at: number): boolean {
  return (
    text.charCodeAt(at) === 100 /* d */ && text.charCodeAt(at + 1) === 97 /* a */ && text.charCodeAt(at + 2) === 116 /* t */ &&
    text.charCodeAt(at + 3) === 97 /* a */ && text.charCodeAt(at + 4) === 58 /* : */
  );
}

/** A field's value: after its colon, one leading space dropped. */
function fieldValue(line: string, from: number, end: number): string {
  return line.slice(line.charCodeAt(from) === 32 && from < end ? from + 1 : from, end);
}

/** One SSE frame as OpenAI writes it. */
export function sseFrame(type: string, data: string): string {
  return `event: ${type}\ndata: ${dataLines(data)}\n\n`;
}

/**
 * Data as the value of `data:` lines: an event an upstream sent over several `data:` lines
 * arrives joined by newlines (SseParser), and goes out as as many lines, each a `data:` line of
 * its own. A newline left inside one line would end it, and the client would lose the rest.
 */
export function dataLines(data: string): string {
  return data.includes('\n') ? data.replaceAll('\n', '\ndata: ') : data;
}
