import { JSON_BYTE } from '@app/common';
import { scanAscii } from './json-scan';

/**
 * Reading and splicing JSON text without parsing it, for the hot path's largest events (a
 * stream's terminal event carries the whole Response: parsing and re-serialising it cost more
 * than the rest of the relay). Outside a string every `"` is structural, so `"key":{` in JSON
 * text is always the key `key` with an object value; these helpers check its depth too.
 */

const { QUOTE, BACKSLASH, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET } = JSON_BYTE;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Index of the quote closing the string that opens at `open` (text.length if it never closes). */
function stringEnd(text: string, open: number): number {
  // indexOf runs natively over the string's content; only quotes are looked at here.
  for (let q = text.indexOf('"', open + 1); q !== -1; q = text.indexOf('"', q + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if ((backslashes & 1) === 0) return q;
  }
  return text.length;
}

/**
 * `text.indexOf(head + rest, from)`, searched for by `rest` alone with `head` checked in place:
 * V8 looks for a pattern's first character first, and in JSON text one that starts with `"`
 * stops at every quote. `rest` should start with a character rarer in the text than a quote.
 * (Split as two literals so that neither is built per call.)
 */
export function indexOfAfter(text: string, head: string, rest: string, from: number): number {
  if (rest.length === 0) return text.indexOf(head, from);
  const h = head.length;
  search: for (let at = text.indexOf(rest, from + h); at !== -1; at = text.indexOf(rest, at + 1)) {
    for (let j = 0; j < h; j++) if (text.charCodeAt(at - h + j) !== head.charCodeAt(j)) continue search;
    return at - h;
  }
  return -1;
}

/** Index of the quote opening the string that closes at `close` (-1 if none does). */
function stringStart(text: string, close: number): number {
  for (let q = text.lastIndexOf('"', close - 1); q !== -1; q = text.lastIndexOf('"', q - 1)) {
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if ((backslashes & 1) === 0) return q;
  }
  return -1;
}

/**
 * Nesting depth (objects and arrays) at `index`, which must lie outside any string: 1 = inside
 * the top-level value. Counted from the nearer end of the text (in JSON text every bracket
 * opened before `index` closes after it), so a key near the end (a Response's `usage`) costs
 * a scan of the few characters after it.
 */
export function depthAt(text: string, index: number): number {
  let depth = 0;
  if (index <= text.length >> 1) {
    for (let i = 0; i < index; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) i = stringEnd(text, i);
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    }
    return depth;
  }
  for (let i = text.length - 1; i >= index; i--) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringStart(text, i);
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth++;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth--;
  }
  return depth;
}

/**
 * Index of the `{` that opens the object value of `key` at `depth`, when the key occurs as an
 * object-valued key exactly once in the text; -1 otherwise (absent, repeated, or elsewhere).
 */
export function uniqueObjectAt(text: string, key: string, depth: number): number {
  // The whole token, quote first: unlike uniqueObjectsAt's walk over every `{`, a search by the
  // brace here counted more instructions over a whole relayed stream than it saved.
  const token = `"${key}":{`;
  const at = text.indexOf(token);
  if (at === -1 || text.indexOf(token, at + token.length) !== -1) return -1;
  return depthAt(text, at) === depth ? at + token.length - 1 : -1;
}

/** A depth uniqueObjectsAt does not check: its caller does, from a better place (depthAt of the object's end). */
export const ANY_DEPTH = -1;

/**
 * uniqueObjectAt for several keys in one pass over the text: `at[k]` becomes the index of the `{`
 * opening the value of `keys[k]` when `"keys[k]":{` occurs exactly once and at `depths[k]` (any
 * depth for ANY_DEPTH), else -1. Every object-valued key ends in `":{`: one search over the text
 * finds them all.
 */
export function uniqueObjectsAt(text: string, keys: readonly string[], depths: readonly number[], at: number[]): void {
  for (let k = 0; k < keys.length; k++) at[k] = -1;
  const seen: number[] = [];
  // Each `":{` found at its `{`: a one-character search runs natively at memchr's pace, where a
  // pattern that starts with `"` stops at every quote of the text.
  for (let brace = text.indexOf('{'); brace !== -1; brace = text.indexOf('{', brace + 1)) {
    if (text.charCodeAt(brace - 1) !== COLON || text.charCodeAt(brace - 2) !== QUOTE) continue;
    const colon = brace - 2;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      const open = colon - key.length - 1;
      if (open >= 0 && text.charCodeAt(open) === QUOTE && text.startsWith(key, open + 1)) {
        seen[k] = (seen[k] ?? 0) + 1;
        at[k] = colon + 2;
      }
    }
  }
  for (let k = 0; k < keys.length; k++) {
    if (at[k] !== -1 && (seen[k] !== 1 || (depths[k] !== ANY_DEPTH && depthAt(text, at[k] - keys[k].length - 3) !== depths[k]))) at[k] = -1;
  }
}

/** End (exclusive) of the object that opens at `start`; -1 when the text ends first. */
export function objectEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
  }
  return -1;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** The first index from `i` on that is not JSON whitespace. */
export function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** End (exclusive) of the JSON value that starts at `i`; -1 when the text ends first or nothing starts there. */
export function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) {
    const close = stringEnd(text, i);
    return close === text.length ? -1 : close + 1;
  }
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return objectEnd(text, i);
  // A number or a literal: up to the next delimiter.
  let j = i;
  for (; j < text.length; j++) {
    const d = text.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
  }
  return j === i ? -1 : j;
}

/**
 * Where each element of the array that opens at `open` starts and ends, each walked over whole:
 * element e spans `[spans[2e], spans[2e + 1])`. Null when no array opens there or the text is
 * cut short.
 */
export function elementSpans(text: string, open: number): number[] | null {
  if (text.charCodeAt(open) !== OPEN_BRACKET) return null;
  const spans: number[] = [];
  let i = skipSpace(text, open + 1);
  if (text.charCodeAt(i) === CLOSE_BRACKET) return spans;
  for (;;) {
    const end = valueEnd(text, i);
    if (end === -1) return null;
    spans.push(i, end);
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === CLOSE_BRACKET) return spans;
    if (c !== COMMA) return null;
    i = skipSpace(text, i + 1);
  }
}

/**
 * Finds the members named `keys` of the object that opens at `start`, in one pass over its own
 * members (nested values are skipped whole): `at[2k]` and `at[2k + 1]` become where the value of
 * `keys[k]` starts and ends, -1 when absent. Returns the index of the object's closing brace, or
 * -1 when the text is not plain enough to edit as text: no object there, a key written with an
 * escape or given twice (JSON.parse would keep the last), or the text cut short.
 */
export function findMembers(text: string, start: number, keys: readonly string[], at: number[]): number {
  for (let k = 0; k < 2 * keys.length; k++) at[k] = -1;
  if (text.charCodeAt(start) !== OPEN_BRACE) return -1;
  // The first backslash at or after where it was last looked for (-1: none); looked for again
  // only when a key starts past it.
  let backslash = text.indexOf('\\', start);
  let i = skipSpace(text, start + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return i;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return -1;
    // Escapes refused (an escaped key could spell one of `keys`): the key's closing quote is the
    // first quote after it (found natively), and the key is refused if a backslash lies before it.
    const keyEnd = text.indexOf('"', i + 1);
    if (keyEnd === -1) return -1;
    if (backslash !== -1 && backslash < keyEnd) {
      // One passed in a value before this key is looked for again from the key.
      if (backslash < i) backslash = text.indexOf('\\', i + 1);
      if (backslash !== -1 && backslash < keyEnd) return -1;
    }
    const length = keyEnd - i - 1;
    let k = -1;
    for (let m = 0; m < keys.length; m++) {
      if (keys[m].length === length && text.startsWith(keys[m], i + 1)) {
        k = m;
        break;
      }
    }
    i = skipSpace(text, keyEnd + 1);
    if (text.charCodeAt(i) !== COLON) return -1;
    i = skipSpace(text, i + 1);
    const end = valueEnd(text, i);
    if (end === -1) return -1;
    if (k !== -1) {
      if (at[2 * k] !== -1) return -1;
      at[2 * k] = i;
      at[2 * k + 1] = end;
    }
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === CLOSE_BRACE) return i;
    if (c !== COMMA) return -1;
    i = skipSpace(text, i + 1);
  }
}

/**
 * The object that opens at `start` with members set to the JSON texts `values`: a member already
 * there keeps its place and takes its new value, the others go last in the order given, which is
 * where JSON.stringify writes fields assigned to a parsed object. Returns the object's new text
 * and where the old one ended; undefined when `findMembers` cannot read it (the caller then
 * parses it).
 */
export function withMembers(text: string, start: number, keys: readonly string[], values: readonly string[]): { json: string; end: number } | undefined {
  const at: number[] = [];
  const close = findMembers(text, start, keys, at);
  if (close === -1) return undefined;
  return { json: membersSet(text, start, close, keys, at, values), end: close + 1 };
}

/**
 * withMembers for an object whose members were found already: the object from `start` to its
 * closing brace `close`, where `keys[k]` spans `[at[2k], at[2k + 1])` (-1: absent), with
 * members set to `values`. An absent key is written as its JSON, kept per name (keyJson).
 */
export function membersSet(text: string, start: number, close: number, keys: readonly string[], at: readonly number[], values: readonly string[]): string {
  let json = '';
  let from = start;
  // The members present, in the order they appear (a few: a selection each time is enough).
  for (;;) {
    let next = -1;
    for (let k = 0; k < keys.length; k++) if (at[2 * k] >= from && (next === -1 || at[2 * k] < at[2 * next])) next = k;
    if (next === -1) break;
    json += text.slice(from, at[2 * next]) + values[next];
    from = at[2 * next + 1];
  }
  json += text.slice(from, close);
  let empty = isEmptyObjectAt(text, start);
  for (let k = 0; k < keys.length; k++) {
    if (at[2 * k] !== -1) continue;
    json += `${empty ? '' : ','}${keyJson(keys[k])}:${values[k]}`;
    empty = false;
  }
  return json + '}';
}

// Member names' JSON (keyJson), each made once: callers name a few members of their own.
const KEY_JSON = new Map<string, string>();
// Bound on KEY_JSON, should a caller ever pass names it did not write itself.
const MAX_KEY_JSON = 256;

/** JSON.stringify of a member name: a name of the code's own, as every caller's is, written out once. */
function keyJson(key: string): string {
  let json = KEY_JSON.get(key);
  if (json === undefined) {
    json = plainJsonString(key) ?? JSON.stringify(key);
    if (KEY_JSON.size < MAX_KEY_JSON) KEY_JSON.set(key, json);
  }
  return json;
}

// Printable ASCII but the quote and the backslash: what JSON.stringify writes as it is, quoted.
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * JSON.stringify of `s` when it is printable ASCII without a quote or a backslash (`s` between
 * quotes, its UTF-8 as long as it), undefined otherwise: JSON.stringify of a string is a call
 * into C++.
 */
export function plainJsonString(s: string): string | undefined {
  return PLAIN_ASCII.test(s) ? `"${s}"` : undefined;
}

// V8 copies a slice shorter than 13 characters (longer ones point into the sliced string).
const MAX_COPIED_SLICE = 12;

/** Whether `[from, to)` holds no quote, backslash or control character: JSON string content that decodes to itself. */
export function isPlainStringText(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === QUOTE || c === BACKSLASH) return false;
  }
  return true;
}

/**
 * The string whose JSON text spans `[start, end)` (escapes decoded); undefined when the value
 * there is not a string, or not a valid one (a bad escape). The string is a copy: V8's
 * slice of a long string points into it, and would keep the whole text alive as long as the
 * string lives (an id kept by a cache).
 */
export function stringAt(text: string, start: number, end: number): string | undefined {
  if (start === -1 || text.charCodeAt(start) !== QUOTE) return undefined;
  // A short string with nothing to decode is its own slice, which V8 copies when it is this
  // short: JSON.parse costs a call into the runtime (a stored turn's status and model each).
  if (end - start - 2 <= MAX_COPIED_SLICE && end - start >= 2 && text.charCodeAt(end - 1) === QUOTE && isPlainStringText(text, start + 1, end - 1)) {
    return text.slice(start + 1, end - 1);
  }
  try {
    return JSON.parse(text.slice(start, end)) as string;
  } catch {
    return undefined;
  }
}

/** Index of the first character that is not whitespace. */
export function firstNonSpace(text: string): number {
  return skipSpace(text, 0);
}

/** Whether the text is a pretty-printed object: whitespace right after its opening brace (OpenAI's API indents its JSON). */
export function isIndented(text: string): boolean {
  const brace = skipSpace(text, 0);
  return text.charCodeAt(brace) === OPEN_BRACE && isSpace(text.charCodeAt(brace + 1));
}

/** Whether the object opening at `brace` is empty (`{}` up to whitespace). */
export function isEmptyObjectAt(text: string, brace: number): boolean {
  return text.charCodeAt(skipSpace(text, brace + 1)) === CLOSE_BRACE;
}

/** Index of the closing `}` of a top-level object (trailing whitespace allowed); -1 if the text is not one. */
export function closingBrace(text: string): number {
  let end = text.length - 1;
  while (end > 0 && isSpace(text.charCodeAt(end))) end--;
  return end > 0 && text.charCodeAt(end) === CLOSE_BRACE ? end : -1;
}

// Control characters other than the newline: each makes JSON text invalid, or spaces it out with
// tabs or carriage returns (scanObject leaves those to JSON.parse). Newlines are looked at apart:
// pretty-printed bodies, OpenAI's own among them, put one between every two members.
const CONTROL_CHAR = /[\u0000-\u0009\u000b-\u001f]/;
// Containers open at each depth are kept as bits of one integer.
const MAX_SCAN_DEPTH = 31;

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/** End (exclusive) of the escape sequence whose backslash is at `at`; -1 when JSON has no such escape. */
function escapeEnd(text: string, at: number): number {
  const c = text.charCodeAt(at + 1);
  if (c === 0x75 /* u */) {
    const ok = isHexDigit(text.charCodeAt(at + 2)) && isHexDigit(text.charCodeAt(at + 3)) && isHexDigit(text.charCodeAt(at + 4)) && isHexDigit(text.charCodeAt(at + 5));
    return ok ? at + 6 : -1;
  }
  // " \ / b f n r t
  return c === QUOTE || c === BACKSLASH || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74 ? at + 2 : -1;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * The text as a string of its own: V8's slice of a long string points into it, and a slice kept
 * long (a template kept across requests) would keep the whole upstream chunk alive. A joined
 * string is flattened into a new one when a character of it is first read; its slice points there.
 */
export function ownCopy(text: string): string {
  const joined = ` ${text}`;
  joined.charCodeAt(0);
  return joined.slice(1);
}

/** End (exclusive) of the JSON number at `start`; -1 when there is none. */
function numberEnd(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(i) === 0x2d /* - */) i++;
  let c = text.charCodeAt(i);
  if (c === 0x30) {
    c = text.charCodeAt(++i);
  } else if (isDigit(c)) {
    do c = text.charCodeAt(++i);
    while (isDigit(c));
  } else {
    return -1;
  }
  if (c === 0x2e /* . */) {
    if (!isDigit(text.charCodeAt(i + 1))) return -1;
    do c = text.charCodeAt(++i);
    while (isDigit(c));
  }
  if ((c | 0x20) === 0x65 /* e E */) {
    c = text.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++i);
    if (!isDigit(c)) return -1;
    do c = text.charCodeAt(++i);
    while (isDigit(c));
  }
  return i;
}

// Below this length the JavaScript walk is faster than copying the text into WebAssembly's
// memory and calling it.
const MIN_SCANNED_TEXT = 64;

/**
 * Checks, in one walk that builds nothing, that `text` is a JSON object JSON.parse accepts, and
 * finds the values of some of its top-level keys: for `keys[k]`, its value spans
 * `[spans[2k], spans[2k + 1])`, both -1 when the key is absent. Null when the walk cannot tell,
 * and the caller should parse the text whole: not JSON, not an object, a control character
 * other than a newline anywhere or a newline inside a string (strings are skipped by searching
 * for their closing quote, so a raw control character in one is found by these checks instead),
 * nesting deeper than 31, one of `keys` twice, or a top-level key spelled with escapes (it could
 * be one of `keys`).
 *
 * For the hot path's bodies: JSON.parse is as fast a validator as any JavaScript walk, but
 * builds the whole object, which a pass-through answer never needs.
 *
 * With `found`, the same walk also reads what a stored turn needs besides (ObjectScan): the
 * stages after it take these instead of walking the text again. With `from` and `to`, the object
 * is the part of the text from `from` up to `to` (whitespace may end it): an object inside a
 * larger text, walked in place (a slice is slower to read), the whole text still free of the
 * control characters above; positions are the text's.
 *
 * An ASCII text is walked by WebAssembly (json-scan.ts), others and short ones (below
 * MIN_SCANNED_TEXT) by walkObject, as is any text the WebAssembly walk fails on (a trap would be
 * a defect in it, never the input's: the input still gets walkObject's answer). `keys` is known by
 * its identity (the WebAssembly walk keeps a table of it): an array passed here is not changed
 * afterwards.
 */
export function scanObject(text: string, keys: readonly string[], found?: ObjectScan, from = 0, to = text.length): number[] | null {
  if (text.length < MIN_SCANNED_TEXT) return walkObject(text, keys, found, from, to);
  let spans: number[] | null | undefined;
  try {
    spans = scanAscii(text, keys, found, from, to);
  } catch {
    spans = undefined;
  }
  return spans ?? walkObject(text, keys, found, from, to);
}

/** scanObject's walk in JavaScript, for texts the WebAssembly one does not take (exported for specs). */
export function walkObject(text: string, keys: readonly string[], found?: ObjectScan, from = 0, to = text.length): number[] | null {
  if (CONTROL_CHAR.test(text) || text.charCodeAt(from) !== OPEN_BRACE) return null;
  const spans: number[] = [];
  // Bit n set: one of `keys` is n characters long (31: 31 or more). Most of a Response's keys are
  // none of its lengths, and are not compared with each.
  let keyLengths = 0;
  for (let k = 0; k < keys.length; k++) {
    spans.push(-1, -1);
    keyLengths |= 1 << Math.min(keys[k].length, 31);
  }
  // The next backslash at or after the walk: found once per escape, not once per string.
  let backslash = text.indexOf('\\', from);
  // The next newline not yet known to lie between tokens (-1: none left).
  let newline = text.indexOf('\n', from);
  // The elements' ids: `elements` is the index in `spans` of the array they are in (-1: none asked).
  let ids: number[] | null = null;
  let elements = -1;
  let idPending = -1; // index in `ids` of the element's id being walked
  if (found !== undefined) {
    found.plain = (backslash === -1 || backslash >= to) && (newline === -1 || newline >= to);
    ids = found.ids = [];
    elements = 2 * found.elementsOf;
  }
  let depth = 0;
  let arrays = 0; // bit d set: the container at depth d + 1 is an array
  let pending = -1; // index in `spans` of the top-level value being walked
  let i = from;
  for (;;) {
    // A value starts at i.
    let c = text.charCodeAt(i);
    let expectKey = false;
    if (pending === elements && ids !== null && depth < 3) {
      // The member itself (an array, else no elements), or one of its elements (an object).
      if (depth === 1 ? c !== OPEN_BRACKET : c !== OPEN_BRACE) ids = found!.ids = null;
      else if (depth === 2) ids.push(-1, -1);
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth === MAX_SCAN_DEPTH) return null;
      if (c === OPEN_BRACKET) arrays |= 1 << depth;
      else arrays &= ~(1 << depth);
      depth++;
      c = text.charCodeAt(++i);
      while (isSpace(c)) c = text.charCodeAt(++i);
      if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (c !== (((arrays >>> (depth - 1)) & 1) === 1 ? CLOSE_BRACKET : CLOSE_BRACE)) return null;
        i++;
        depth--;
      } else if (((arrays >>> (depth - 1)) & 1) === 1) {
        continue;
      } else {
        expectKey = true;
      }
    } else if (c === QUOTE) {
      const end = quotedEnd(text, i, backslash);
      if (end === -1) return null;
      if (backslash !== -1 && backslash < end) backslash = text.indexOf('\\', end);
      if (newline !== -1 && newline < end && (newline = newlineOutside(text, newline, i, end)) === NEWLINE_INSIDE) return null;
      i = end;
    } else if (c === 0x74 /* t */) {
      if (!text.startsWith('true', i)) return null;
      i += 4;
    } else if (c === 0x66 /* f */) {
      if (!text.startsWith('false', i)) return null;
      i += 5;
    } else if (c === 0x6e /* n */) {
      if (!text.startsWith('null', i)) return null;
      i += 4;
    } else {
      i = numberEnd(text, i);
      if (i === -1) return null;
    }
    // A value ended before i (or an object opened, and a key comes next).
    while (!expectKey) {
      if (pending !== -1 && depth === 1) {
        spans[pending + 1] = i;
        pending = -1;
      }
      if (idPending !== -1 && depth === 3) {
        if (ids !== null) ids[idPending + 1] = i;
        idPending = -1;
      }
      if (depth === 0) return i === to || skipSpace(text, i) === to ? spans : null;
      c = text.charCodeAt(i);
      while (isSpace(c)) c = text.charCodeAt(++i);
      const inArray = ((arrays >>> (depth - 1)) & 1) === 1;
      if (c === COMMA) {
        c = text.charCodeAt(++i);
        while (isSpace(c)) c = text.charCodeAt(++i);
        if (inArray) break;
        expectKey = true;
      } else if (c === (inArray ? CLOSE_BRACKET : CLOSE_BRACE)) {
        i++;
        depth--;
      } else {
        return null;
      }
    }
    if (!expectKey) continue;
    // A key starts at i.
    if (c !== QUOTE) return null;
    const keyStart = i;
    const keyEnd = quotedEnd(text, i, backslash);
    if (keyEnd === -1) return null;
    if (newline !== -1 && newline < keyEnd && (newline = newlineOutside(text, newline, keyStart, keyEnd)) === NEWLINE_INSIDE) return null;
    // An element's key spelled with escapes could be `id`: its ids are not read off the text.
    const inElement = depth === 3 && pending === elements && ids !== null;
    if (backslash !== -1 && backslash < keyEnd) {
      if (depth === 1) return null;
      if (inElement) ids = found!.ids = null;
      backslash = text.indexOf('\\', keyEnd);
    }
    i = keyEnd;
    c = text.charCodeAt(i);
    while (isSpace(c)) c = text.charCodeAt(++i);
    if (c !== COLON) return null;
    c = text.charCodeAt(++i);
    while (isSpace(c)) c = text.charCodeAt(++i);
    if (depth === 1 && ((keyLengths >>> Math.min(keyEnd - keyStart - 2, 31)) & 1) === 1) {
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k];
        if (keyEnd - keyStart === key.length + 2 && text.startsWith(key, keyStart + 1)) {
          if (spans[2 * k] !== -1) return null;
          spans[2 * k] = i;
          pending = 2 * k;
          break;
        }
      }
    } else if (inElement && ids !== null && keyEnd - keyStart === 4 && text.startsWith('id', keyStart + 1)) {
      const e = ids.length - 2;
      // Given twice, JSON.parse keeps the last: not read off the text.
      if (ids[e] !== -1) {
        ids = found!.ids = null;
      } else {
        ids[e] = i;
        idPending = e;
      }
    }
  }
}

/** What scanObject reads in its walk besides the top-level members, when asked. */
export interface ObjectScan {
  /** The index in `keys` of an array member whose elements' `id` members are found. */
  elementsOf: number;
  /**
   * Where element e's `id` value starts and ends, `ids[2e]` and `ids[2e + 1]` (-1: absent), as
   * findMembers would find them in each; null when the member is not an array, an element is not
   * an object, or a key of one is spelled with escapes or `id` given twice. Empty when the
   * member is absent.
   */
  ids: number[] | null;
  /** The object's text holds no backslash and no control character (so no escape, nor a newline between tokens). */
  plain: boolean;
}

const NEWLINE_INSIDE = -2;

/**
 * The first newline at or past `end` of the string `[open, end)`; NEWLINE_INSIDE when one lies in
 * the string, where JSON does not. `newline`: a newline at or after the previous token. Those
 * before `open` lie between tokens, where JSON allows them: one search from `open` passes them
 * all (an indented text's lines that hold no string, its brackets', cost none).
 */
function newlineOutside(text: string, newline: number, open: number, end: number): number {
  if (newline < open) newline = text.indexOf('\n', open);
  return newline !== -1 && newline < end ? NEWLINE_INSIDE : newline;
}

/**
 * End (exclusive) of the string whose opening quote is at `open`, its escapes checked; -1 when
 * it never closes or has an escape JSON lacks. `backslash`: the first backslash after `open`
 * (-1: none).
 */
function quotedEnd(text: string, open: number, backslash: number): number {
  let close = text.indexOf('"', open + 1);
  while (close !== -1 && backslash !== -1 && backslash < close) {
    const end = escapeEnd(text, backslash);
    if (end === -1) return -1;
    if (end > close) close = text.indexOf('"', end);
    backslash = text.indexOf('\\', end);
  }
  return close === -1 ? -1 : close + 1;
}
