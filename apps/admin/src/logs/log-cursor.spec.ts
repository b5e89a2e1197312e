import { decodeLogCursor, encodeLogCursor } from './log-cursor';

const ID = '0b7f3c1e-8a51-4c38-9d0e-5f9a2e7b6c41';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');

describe('log cursor', () => {
  it('round-trips a position to the microsecond', () => {
    const position = { createdAt: '2026-03-01T12:00:00.123456Z', id: ID };
    const cursor = encodeLogCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeLogCursor(cursor)).toEqual(position);
  });

  it('lower-cases the id', () => {
    expect(decodeLogCursor(b64(`2026-03-01T12:00:00.000000Z|${ID.toUpperCase()}`))?.id).toBe(ID);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['no separator', b64(`2026-03-01T12:00:00.000000Z${ID}`)],
    ['too many parts', b64(`2026-03-01T12:00:00.000000Z|${ID}|x`)],
    ['milliseconds only', b64(`2026-03-01T12:00:00.123Z|${ID}`)],
    ['an offset instead of Z', b64(`2026-03-01T12:00:00.000000+01:00|${ID}`)],
    ['a day that does not exist', b64(`2026-02-30T12:00:00.000000Z|${ID}`)],
    ['hour 24', b64(`2026-03-01T24:00:00.000000Z|${ID}`)],
    ['an id that is not a uuid', b64('2026-03-01T12:00:00.000000Z|42')],
    ['SQL in the id', b64(`2026-03-01T12:00:00.000000Z|${ID}'); DROP TABLE x;--`)],
    ['far too long', 'A'.repeat(500)],
  ])('refuses %s', (_label, cursor) => {
    expect(decodeLogCursor(cursor)).toBeNull();
  });
});
