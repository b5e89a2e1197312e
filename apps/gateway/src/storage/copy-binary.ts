/**
 * COPY's binary format (COPY ... WITH (FORMAT binary)): each row a 16-bit field count, each field
 * a 32-bit length (-1: NULL) and its type's binary form. The server reads a field's bytes as they
 * are, where the text format makes it scan every byte for escapes and parse every number and
 * time. Fields are written at an offset into a buffer the caller has sized (`*Bytes`); each
 * `put*` returns the offset after it.
 *
 * A value its column cannot take is written so that the server refuses the row with a data
 * exception (22P03), as COPY text would have it refuse the value (22P02, 22003): the batch writer
 * then isolates the row (isRowError). Such a field holds the value's text after a prefix
 * longer than the type's binary form, so the row reads back unchanged. A field shorter than its
 * type's form would be a protocol violation (08P01) instead, which isRowError does not count as
 * the row's fault: the batch would be retried whole, again and again, instead of the row isolated.
 */

/** The header: signature, flags (no OIDs), no extension. */
export const BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
/** The trailer: a field count of -1. */
export const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** What CopyIn sends around binary rows. */
export const BINARY_FRAME = { head: BINARY_HEADER, tail: BINARY_TRAILER };

/** A field's length word. */
export const FIELD_HEAD_BYTES = 4;
export const UUID_BYTES = FIELD_HEAD_BYTES + 16;
export const INT4_BYTES = FIELD_HEAD_BYTES + 4;
export const BOOL_BYTES = FIELD_HEAD_BYTES + 1;
export const TIMESTAMPTZ_BYTES = FIELD_HEAD_BYTES + 8;
// A refused value's prefix (putRefused): one byte longer than its type's binary form.
const REFUSED_UUID_PREFIX = 17;
const REFUSED_INT4_PREFIX = 5;
/** Bytes a uuid field takes at most, refused or not, for `text` of the value (UTF-16 units). */
export const mostRefusedBytes = (text: string): number => FIELD_HEAD_BYTES + REFUSED_UUID_PREFIX + 3 * text.length;

const MS_2000 = Date.UTC(2000, 0, 1);
// Below this many ms from 2000 (either way), the µs are exact in a double.
const EXACT_MS = 9e12;
const TWO_32 = 2 ** 32;
const INT4_MIN = -(2 ** 31);
const INT4_MAX = 2 ** 31 - 1;

/**
 * A 32-bit big-endian word (a field's length, an int4, half a timestamp), `v` any integer from
 * -2^31 to 2^32 - 1 (each byte stored modulo 256), written byte by byte: `writeInt32BE` is not
 * inlined where a row is written, and checks a range that the callers' sizes and values keep.
 * `at + 4 <= buf.length` is the caller's to ensure (a row is measured before it is written): a
 * byte past a Buffer's end is dropped without an error.
 */
function putInt32(buf: Buffer, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = v >>> 16;
  buf[at + 2] = v >>> 8;
  buf[at + 3] = v;
}

export function putCount(buf: Buffer, at: number, count: number): number {
  buf[at] = count >> 8;
  buf[at + 1] = count & 0xff;
  return at + 2;
}

export function putNull(buf: Buffer, at: number): number {
  putInt32(buf, at, -1);
  return at + FIELD_HEAD_BYTES;
}

/**
 * Text (and json, whose binary form is its text) as UTF-8: the caller has made it a value of the
 * column (`toPgText`); a lone surrogate, which UTF-8 cannot hold, is written as U+FFFD.
 */
export function putText(buf: Buffer, at: number, text: string): number {
  const n = buf.write(text, at + FIELD_HEAD_BYTES);
  putInt32(buf, at, n);
  return at + FIELD_HEAD_BYTES + n;
}

/** Text already in UTF-8 (and a value of its column). */
export function putUtf8(buf: Buffer, at: number, bytes: Buffer): number {
  putInt32(buf, at, bytes.length);
  return at + FIELD_HEAD_BYTES + bytes.copy(buf, at + FIELD_HEAD_BYTES);
}

/**
 * A field written before, `buf` from `from` to `to` (its length word included), again at `at`:
 * a stored row's item rows repeat their response row's id and time. Copied byte by byte: for a
 * short field that costs less than a call into C++ (`buf.write`, `buf.copy`).
 */
export function putFieldAgain(buf: Buffer, at: number, from: number, to: number): number {
  for (let i = from; i < to; i++) buf[at++] = buf[i];
  return at;
}

/** A field made once (`fieldOf`), written at `at`; byte by byte, as putFieldAgain. */
export function putField(buf: Buffer, at: number, field: Buffer): number {
  for (let i = 0; i < field.length; i++) buf[at++] = field[i];
  return at;
}

/** A text value's whole field (length word and UTF-8), for putField. */
export function fieldOf(text: string): Buffer {
  const field = Buffer.alloc(FIELD_HEAD_BYTES + Buffer.byteLength(text));
  putText(field, 0, text);
  return field;
}

/** Bytes a text field takes: exactly, or at most (`mostTextBytes`, without reading it). */
export const textBytes = (text: string): number => FIELD_HEAD_BYTES + Buffer.byteLength(text);
export const mostTextBytes = (text: string): number => FIELD_HEAD_BYTES + 3 * text.length;

/**
 * A value the column refuses: `size` bytes (one more than the type's form) of 0xff, then its text.
 */
function putRefused(buf: Buffer, at: number, size: number, text: string): number {
  buf.fill(0xff, at + FIELD_HEAD_BYTES, at + FIELD_HEAD_BYTES + size);
  const n = buf.write(text, at + FIELD_HEAD_BYTES + size);
  putInt32(buf, at, size + n);
  return at + FIELD_HEAD_BYTES + size + n;
}

/** Bytes putUuid writes: exactly. */
export const uuidBytes = (text: string): number => (lastUuid(text) ? UUID_BYTES : FIELD_HEAD_BYTES + REFUSED_UUID_PREFIX + Buffer.byteLength(text));

// The uuid text read last, whether it is one, and its bytes: a key's rows all carry its id, each
// read twice (sized, then written).
let lastUuidText = '';
let lastUuidValid = false;
const LAST_UUID = Buffer.alloc(16);

/** readUuid of `text` into LAST_UUID, unless it is the text read last. */
function lastUuid(text: string): boolean {
  if (text !== lastUuidText) {
    lastUuidValid = readUuid(text, LAST_UUID, 0);
    lastUuidText = text;
  }
  return lastUuidValid;
}

const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) HEX[0x41 + c] = HEX[0x61 + c] = 10 + c;

/**
 * A uuid's 16 bytes written at `at`, read as the server's uuid_in reads it (optional braces, a
 * hyphen allowed after any group of four digits); false when it is not one (the bytes written
 * then mean nothing).
 */
function readUuid(text: string, buf: Buffer, at: number): boolean {
  const braces = text.charCodeAt(0) === 0x7b;
  let p = braces ? 1 : 0;
  for (let i = 0; i < 16; i++) {
    const hi = p < text.length ? hexDigit(text.charCodeAt(p)) : -1;
    const lo = p + 1 < text.length ? hexDigit(text.charCodeAt(p + 1)) : -1;
    if (hi < 0 || lo < 0) return false;
    buf[at + i] = (hi << 4) | lo;
    p += 2;
    if (text.charCodeAt(p) === 0x2d && i % 2 === 1 && i < 15) p++;
  }
  if (braces && text.charCodeAt(p++) !== 0x7d) return false;
  return p === text.length;
}

function hexDigit(c: number): number {
  return c < 128 ? HEX[c] : -1;
}

export function putUuid(buf: Buffer, at: number, text: string): number {
  if (!lastUuid(text)) return putRefused(buf, at, REFUSED_UUID_PREFIX, text);
  putInt32(buf, at, 16);
  const start = at + FIELD_HEAD_BYTES;
  for (let i = 0; i < 16; i++) buf[start + i] = LAST_UUID[i];
  return at + UUID_BYTES;
}

/** Bytes putInt4 writes. */
export const int4Bytes = (v: number): number => (isInt4(v) ? INT4_BYTES : FIELD_HEAD_BYTES + REFUSED_INT4_PREFIX + Buffer.byteLength(String(v)));

const isInt4 = (v: number): boolean => Number.isInteger(v) && v >= INT4_MIN && v <= INT4_MAX;

export function putInt4(buf: Buffer, at: number, v: number): number {
  if (!isInt4(v)) return putRefused(buf, at, REFUSED_INT4_PREFIX, String(v));
  putInt32(buf, at, 4);
  putInt32(buf, at + FIELD_HEAD_BYTES, v);
  return at + INT4_BYTES;
}

export function putBool(buf: Buffer, at: number, v: boolean): number {
  putInt32(buf, at, 1);
  buf[at + FIELD_HEAD_BYTES] = v ? 1 : 0;
  return at + BOOL_BYTES;
}

// The largest time a Date holds, in ms either way from the epoch.
const MAX_TIME_MS = 8.64e15;

/**
 * A time (ms since the epoch, as a Date would hold it: truncated to whole ms) as microseconds
 * since 2000-01-01 UTC. One no Date can hold (NaN, past MAX_TIME_MS) throws, having no time to
 * send; one outside the server's range is refused by the server (22008), a row error.
 */
export function putTimestamptz(buf: Buffer, at: number, time: number): number {
  if (!(Math.abs(time) <= MAX_TIME_MS)) throw new RangeError('Invalid time value');
  const ms = Math.trunc(time);
  putInt32(buf, at, 8);
  const since = ms - MS_2000;
  if (since > -EXACT_MS && since < EXACT_MS) {
    const us = since * 1000;
    const hi = Math.floor(us / TWO_32);
    putInt32(buf, at + FIELD_HEAD_BYTES, hi);
    putInt32(buf, at + FIELD_HEAD_BYTES + 4, us - hi * TWO_32);
  } else {
    buf.writeBigInt64BE(BigInt(since) * 1000n, at + FIELD_HEAD_BYTES);
  }
  return at + TIMESTAMPTZ_BYTES;
}

/** Reads a row's fields back in order (a spill, the INSERT fallback, a refused row): `put*` reversed. */
export class TupleReader {
  /** Where the next field starts: past the row's field count. */
  private at: number;

  constructor(
    private readonly buf: Buffer,
    start: number,
  ) {
    this.at = start + 2;
  }

  /** Where the row ends, once its fields are read. */
  get end(): number {
    return this.at;
  }

  /** The next field's bytes, or null for NULL. */
  private next(): Buffer | null {
    const len = this.buf.readInt32BE(this.at);
    this.at += FIELD_HEAD_BYTES;
    if (len < 0) return null;
    const bytes = this.buf.subarray(this.at, this.at + len);
    this.at += len;
    return bytes;
  }

  /** Passes a field over unread. */
  skip(): void {
    const len = this.buf.readInt32BE(this.at);
    this.at += FIELD_HEAD_BYTES + Math.max(0, len);
  }

  text(): string | null {
    const b = this.next();
    return b === null ? null : b.toString('utf8');
  }

  uuid(): string | null {
    const b = this.next();
    if (b === null) return null;
    if (b.length !== 16) return b.toString('utf8', REFUSED_UUID_PREFIX);
    const hex = b.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  int4(): number | null {
    const b = this.next();
    if (b === null) return null;
    return b.length === 4 ? b.readInt32BE(0) : Number(b.toString('utf8', REFUSED_INT4_PREFIX));
  }

  bool(): boolean | null {
    const b = this.next();
    return b === null ? null : b[0] !== 0;
  }

  timestamptz(): Date | null {
    const b = this.next();
    if (b === null) return null;
    const hi = b.readInt32BE(0);
    const us = hi * TWO_32 + b.readUInt32BE(4);
    return new Date(MS_2000 + (Math.abs(us) < Number.MAX_SAFE_INTEGER ? us / 1000 : Number(b.readBigInt64BE(0) / 1000n)));
  }
}
