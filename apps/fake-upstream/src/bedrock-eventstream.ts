import { crc32 } from 'node:zlib';

/**
 * Encoder for the AWS binary event-stream framing (only string headers, which is all
 * Bedrock sends): prelude (total length, headers length, CRC32 of those 8 bytes), headers,
 * payload, CRC32 of the whole message before it.
 */
export function encodeEventStreamMessage(headers: Record<string, string>, payload: Buffer | string): Buffer {
  const headerBytes: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const h = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
    h.writeUInt8(n.length, 0);
    n.copy(h, 1);
    h.writeUInt8(7, 1 + n.length); // value type 7: string
    h.writeUInt16BE(v.length, 2 + n.length);
    v.copy(h, 4 + n.length);
    headerBytes.push(h);
  }
  return frameEventStreamMessage(Buffer.concat(headerBytes), typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload);
}

/** One message around already encoded headers (any header type) and a payload. */
export function frameEventStreamMessage(headers: Buffer, payload: Buffer): Buffer {
  const total = 12 + headers.length + payload.length + 4;
  const msg = Buffer.alloc(total);
  msg.writeUInt32BE(total, 0);
  msg.writeUInt32BE(headers.length, 4);
  msg.writeUInt32BE(crc32(msg.subarray(0, 8)), 8);
  headers.copy(msg, 12);
  payload.copy(msg, 12 + headers.length);
  msg.writeUInt32BE(crc32(msg.subarray(0, total - 4)), total - 4);
  return msg;
}

/** One ConverseStream event, as Bedrock frames it (with its `p` padding field in the payload). */
export function converseEvent(eventType: string, payload: Record<string, unknown>): Buffer {
  return encodeEventStreamMessage(
    { ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' },
    JSON.stringify({ ...payload, p: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'.slice(0, 4 + (eventType.length % 20)) }),
  );
}

export function converseException(exceptionType: string, message: string): Buffer {
  return encodeEventStreamMessage(
    { ':exception-type': exceptionType, ':content-type': 'application/json', ':message-type': 'exception' },
    JSON.stringify({ message }),
  );
}
