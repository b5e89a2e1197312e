import {
  BINARY_HEADER, BINARY_TRAILER, int4Bytes, putInt4, putNull, putTimestamptz, putUuid, TupleReader, uuidBytes,
} from './copy-binary';

/** What a `put*` writes at offset 0 of a large enough buffer. */
function written(put: (buf: Buffer, at: number) => number): Buffer {
  const buf = Buffer.alloc(256, 0xaa);
  return buf.subarray(0, put(buf, 0));
}

const hex = (b: Buffer): string => b.toString('hex');

/** A one-field row of `bytes` written by `put`, then its field read by `read`. */
function readBack<V>(bytes: number, put: (buf: Buffer, at: number) => number, read: (t: TupleReader) => V): V {
  const buf = Buffer.alloc(2 + bytes);
  buf.writeInt16BE(1, 0);
  put(buf, 2);
  return read(new TupleReader(buf, 0));
}

/** A refused field's bytes: its length, `size` bytes of 0xff, then `text`. */
const refused = (size: number, text: string): string => (size + Buffer.byteLength(text)).toString(16).padStart(8, '0') + 'ff'.repeat(size) + hex(Buffer.from(text));

describe('COPY binary framing', () => {
  it('writes the header Postgres expects: signature, zero flags, no extension', () => {
    expect(hex(BINARY_HEADER)).toBe('5047434f50590aff0d0a00' + '00000000' + '00000000');
  });

  it('ends with a field count of -1', () => {
    expect(hex(BINARY_TRAILER)).toBe('ffff');
  });

  it('writes NULL as a length of -1 and nothing after it', () => {
    expect(hex(written((b, at) => putNull(b, at)))).toBe('ffffffff');
  });
});

describe('putTimestamptz', () => {
  const ts = (iso: string): string => hex(written((b, at) => putTimestamptz(b, at, Date.parse(iso))));

  it('counts microseconds from 2000-01-01 UTC, big-endian', () => {
    expect(ts('2000-01-01T00:00:00Z')).toBe('00000008' + '0000000000000000');
    // 1970-01-01 is -946684800000000 µs from 2000.
    expect(ts('1970-01-01T00:00:00Z')).toBe('00000008' + (-946684800000000n & 0xffffffffffffffffn).toString(16));
    expect(ts('2000-01-01T00:00:00.001Z')).toBe('00000008' + '00000000000003e8');
  });

  it('writes times beyond the exact-double range through 64-bit integers', () => {
    const date = new Date(Date.UTC(2000, 0, 1) + 9.5e12);
    expect(ts(date.toISOString())).toBe('00000008' + (9_500_000_000_000_000n).toString(16).padStart(16, '0'));
  });

  it('reads back what it writes', () => {
    for (const iso of ['1970-01-01T00:00:00.000Z', '1999-12-31T23:59:59.999Z', '2026-12-07T17:47:10.123Z', '2400-06-01T00:00:00.000Z']) {
      expect(readBack(12, (b, at) => putTimestamptz(b, at, Date.parse(iso)), (t) => t.timestamptz())!.toISOString()).toBe(iso);
    }
  });

  it('throws on a time no Date can hold', () => {
    for (const time of [Number.NaN, 8.64e15 + 1, -8.64e15 - 1, Infinity]) expect(() => putTimestamptz(Buffer.alloc(12), 0, time)).toThrow(RangeError);
  });

  it('writes a time as the Date of it holds it: whole milliseconds', () => {
    for (const time of [1_700_000_000_123.9, -1.5, 8.64e15, -8.64e15]) {
      expect(hex(written((b, at) => putTimestamptz(b, at, time)))).toBe(hex(written((b, at) => putTimestamptz(b, at, new Date(time).getTime()))));
    }
  });
});

describe('putUuid', () => {
  const BYTES = '0123456789abcdeffedcba9876543210';
  const uuid = (text: string): string => hex(written((b, at) => putUuid(b, at, text)));

  it.each([
    '01234567-89ab-cdef-fedc-ba9876543210',
    '01234567-89AB-CDEF-FEDC-BA9876543210',
    '0123456789abcdeffedcba9876543210',
    '{01234567-89ab-cdef-fedc-ba9876543210}',
    '{0123456789abcdeffedcba9876543210}',
    '0123-4567-89ab-cdef-fedc-ba98-7654-3210',
  ])('writes %s as its 16 bytes', (text) => {
    expect(uuid(text)).toBe('00000010' + BYTES);
    expect(uuidBytes(text)).toBe(20);
  });

  it.each([
    '', 'not-a-uuid', '01234567-89ab-cdef-fedc-ba987654321', '01234567-89ab-cdef-fedc-ba98765432100', '0-1234567-89ab-cdef-fedc-ba9876543210',
    '01234567--89ab-cdef-fedc-ba9876543210', '{01234567-89ab-cdef-fedc-ba9876543210', '01234567-89ab-cdef-fedc-ba9876543210-', 'é1234567-89ab-cdef-fedc-ba9876543210',
  ])('refuses %j: 17 bytes of 0xff, then its text, read back unchanged', (text) => {
    expect(uuid(text)).toBe(refused(17, text));
    expect(uuidBytes(text)).toBe(4 + 17 + Buffer.byteLength(text));
    expect(readBack(uuidBytes(text), (b, at) => putUuid(b, at, text), (t) => t.uuid())).toBe(text);
  });

  it('writes each text its own bytes, repeated or in turn with others, refused or not', () => {
    const other = 'fedcba98-7654-3210-0123-456789abcdef';
    for (const text of ['01234567-89ab-cdef-fedc-ba9876543210', '01234567-89ab-cdef-fedc-ba9876543210', other, 'not-a-uuid', 'not-a-uuid', other, other]) {
      const expected = text === other ? '00000010fedcba98765432100123456789abcdef' : text === 'not-a-uuid' ? refused(17, text) : '00000010' + BYTES;
      expect([uuidBytes(text), uuid(text)]).toEqual([text === 'not-a-uuid' ? 4 + 17 + text.length : 20, expected]);
    }
  });

  it('reads back the canonical spelling', () => {
    expect(readBack(20, (b, at) => putUuid(b, at, '{0123456789ABCDEFFEDCBA9876543210}'), (t) => t.uuid())).toBe('01234567-89ab-cdef-fedc-ba9876543210');
  });
});

describe('putInt4', () => {
  const int4 = (v: number): string => hex(written((b, at) => putInt4(b, at, v)));

  it('writes a 32-bit big-endian integer', () => {
    expect(int4(0)).toBe('00000004' + '00000000');
    expect(int4(258)).toBe('00000004' + '00000102');
    expect(int4(-1)).toBe('00000004' + 'ffffffff');
    expect(int4(2 ** 31 - 1)).toBe('00000004' + '7fffffff');
    expect(int4(-(2 ** 31))).toBe('00000004' + '80000000');
  });

  it.each([2 ** 31, -(2 ** 31) - 1, 1.5, Number.NaN])('refuses %p: 5 bytes of 0xff, then its text, read back unchanged', (v) => {
    expect(int4(v)).toBe(refused(5, String(v)));
    expect(int4Bytes(v)).toBe(4 + 5 + String(v).length);
    expect(readBack(int4Bytes(v), (b, at) => putInt4(b, at, v), (t) => t.int4())).toBe(v);
  });
});
