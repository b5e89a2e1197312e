import { crc32 } from 'node:zlib';
import { UpstreamFailure } from '../http/upstream-failure';
import type { SseEvent, StreamDecoder } from '../types';

/**
 * AWS binary event-stream (`application/vnd.amazon.eventstream`), as Bedrock's ConverseStream
 * sends it. Each message:
 *
 *   total length (u32 BE) | headers length (u32 BE) | prelude CRC32 (of the 8 bytes before)
 *   headers: name length (u8), name, value type (u8), value
 *   payload
 *   message CRC32 (of everything before it)
 *
 * Chunks may split a message anywhere (even inside the prelude); a CRC mismatch is a corrupt
 * stream, not something to skip over.
 */

const PRELUDE = 12;
const TRAILER = 4;
/** AWS caps one event-stream message at 16 MiB; a larger length means a corrupt prelude. */
const MAX_MESSAGE = 16 * 1024 * 1024;

export type HeaderValue = string | number | boolean | bigint | Buffer | Date;

export interface EventStreamMessage {
  headers: Record<string, HeaderValue>;
  payload: Buffer;
}

function corrupt(message: string): UpstreamFailure {
  return new UpstreamFailure('stream_error', 0, `bedrock event stream: ${message}`);
}

/** Splits bytes into whole messages, checking both CRCs. */
export class EventStreamReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): EventStreamMessage[] {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: EventStreamMessage[] = [];
    let off = 0;
    while (buf.length - off >= PRELUDE) {
      const total = buf.readUInt32BE(off);
      const headersLength = buf.readUInt32BE(off + 4);
      if (crc32(buf.subarray(off, off + 8)) !== buf.readUInt32BE(off + 8)) throw corrupt('prelude CRC mismatch');
      if (total < PRELUDE + TRAILER || total > MAX_MESSAGE || headersLength > total - PRELUDE - TRAILER) {
        throw corrupt(`invalid message length ${total} (headers ${headersLength})`);
      }
      if (buf.length - off < total) break;
      const end = off + total;
      if (crc32(buf.subarray(off, end - TRAILER)) !== buf.readUInt32BE(end - TRAILER)) throw corrupt('message CRC mismatch');
      const headersEnd = off + PRELUDE + headersLength;
      out.push({
        headers: decodeHeaders(buf.subarray(off + PRELUDE, headersEnd)),
        // Copied: the payload must not pin the whole network chunk in memory.
        payload: Buffer.from(buf.subarray(headersEnd, end - TRAILER)),
      });
      off = end;
    }
    if (off > 0) buf = buf.subarray(off);
    this.pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
    return out;
  }

  /** Bytes left that do not make a whole message. */
  get buffered(): number {
    return this.pending.length;
  }
}

function decodeHeaders(b: Buffer): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  let i = 0;
  const need = (n: number): void => {
    if (i + n > b.length) throw corrupt('header runs past its block');
  };
  while (i < b.length) {
    need(1);
    const nameLength = b.readUInt8(i++);
    need(nameLength + 1);
    const name = b.toString('utf8', i, i + nameLength);
    i += nameLength;
    const type = b.readUInt8(i++);
    let value: HeaderValue;
    switch (type) {
      case 0: value = true; break;
      case 1: value = false; break;
      case 2: need(1); value = b.readInt8(i); i += 1; break;
      case 3: need(2); value = b.readInt16BE(i); i += 2; break;
      case 4: need(4); value = b.readInt32BE(i); i += 4; break;
      case 5: need(8); value = b.readBigInt64BE(i); i += 8; break;
      case 6:
      case 7: {
        need(2);
        const len = b.readUInt16BE(i);
        i += 2;
        need(len);
        value = type === 7 ? b.toString('utf8', i, i + len) : Buffer.from(b.subarray(i, i + len));
        i += len;
        break;
      }
      case 8: need(8); value = new Date(Number(b.readBigInt64BE(i))); i += 8; break;
      case 9: need(16); value = Buffer.from(b.subarray(i, i + 16)); i += 16; break;
      default:
        throw corrupt(`unknown header value type ${type}`);
    }
    headers[name] = value;
  }
  return headers;
}

/** Event name the translator sees for an AWS exception frame, e.g. `exception:throttlingException`. */
export const EXCEPTION_PREFIX = 'exception:';

/**
 * Event-stream messages as the translator's events: `event` is the `:event-type` header
 * (messageStart, contentBlockDelta, ...), or `exception:<:exception-type>` for exceptions;
 * `data` is the JSON payload. An `:message-type: error` frame becomes an exception too.
 */
export class BedrockStreamDecoder implements StreamDecoder {
  private readonly reader = new EventStreamReader();

  push(chunk: Buffer): SseEvent[] {
    return this.reader.push(chunk).map(toEvent);
  }

  end(): { incomplete: boolean } {
    return { incomplete: this.reader.buffered > 0 };
  }
}

function toEvent(m: EventStreamMessage): SseEvent {
  const messageType = m.headers[':message-type'];
  const data = m.payload.toString('utf8');
  if (messageType === 'exception') {
    return { event: `${EXCEPTION_PREFIX}${String(m.headers[':exception-type'] ?? 'unknownException')}`, data };
  }
  if (messageType === 'error') {
    const code = String(m.headers[':error-code'] ?? 'unknownError');
    return { event: `${EXCEPTION_PREFIX}${code}`, data: JSON.stringify({ message: String(m.headers[':error-message'] ?? code) }) };
  }
  return { event: String(m.headers[':event-type'] ?? ''), data };
}
