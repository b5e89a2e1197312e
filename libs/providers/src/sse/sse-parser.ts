import { StringDecoder } from 'node:string_decoder';
import type { SseEvent } from '../types';

/**
 * Incremental server-sent-events reader (WHATWG framing): bytes may be split anywhere,
 * including inside a UTF-8 sequence or between `\r` and `\n`. Comments and `id`/`retry`
 * fields are ignored; several `data:` lines join with `\n`.
 */
export class SseParser {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private eventName: string | null = null;
  private dataLines: string[] = [];
  /** A `\r` ended the previous chunk: a `\n` starting the next one belongs to it. */
  private pendingCr = false;

  push(chunk: Buffer | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
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
          this.pendingCr = true;
        } else {
          next = buf.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      this.line(buf.slice(start, end), events);
      start = next;
    }
    this.buffer = start === 0 ? buf : buf.slice(start);
    return events;
  }

  /** Call at end of input: an event without its blank line is incomplete and is dropped. */
  end(): { incomplete: boolean } {
    const rest = this.buffer + this.decoder.end();
    this.buffer = '';
    return { incomplete: rest.trim().length > 0 || this.dataLines.length > 0 };
  }

  private line(line: string, events: SseEvent[]): void {
    if (line.length === 0) {
      if (this.dataLines.length > 0) {
        events.push({ event: this.eventName, data: this.dataLines.length === 1 ? this.dataLines[0] : this.dataLines.join('\n') });
      }
      this.eventName = null;
      this.dataLines = [];
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
  }
}

/** One SSE frame as OpenAI writes it. */
export function sseFrame(type: string, data: string): string {
  return `event: ${type}\ndata: ${data}\n\n`;
}
