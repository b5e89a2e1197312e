/**
 * The position of a request log row in the (created_at DESC, id DESC) order, as an opaque token.
 * created_at travels as Postgres renders it to the microsecond: a JavaScript Date keeps only
 * milliseconds, and rows a few microseconds apart would be skipped or repeated across pages.
 */
export interface LogPosition {
  /** UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
  createdAt: string;
  id: string;
}

const SEPARATOR = '|';
const EXACT_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// A real cursor is ~64 characters; anything far longer is not one of ours.
const MAX_CURSOR_LENGTH = 200;

export function encodeLogCursor(position: LogPosition): string {
  return Buffer.from(`${position.createdAt}${SEPARATOR}${position.id}`, 'utf8').toString('base64url');
}

/** A calendar-valid instant: Postgres would otherwise answer a 500 for 2026-02-30. */
function isRealInstant(text: string): boolean {
  const m = EXACT_UTC.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  );
}

/** The position a cursor names, or null when the text is not a cursor this API issued. */
export function decodeLogCursor(cursor: string): LogPosition | null {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const parts = text.split(SEPARATOR);
  if (parts.length !== 2) return null;
  const [createdAt, id] = parts;
  if (!isRealInstant(createdAt) || !UUID.test(id)) return null;
  return { createdAt, id: id.toLowerCase() };
}
