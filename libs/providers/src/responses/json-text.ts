import { JSON_BYTE } from '@app/common';
/**
 * Reading and splicing JSON text without parsing it, for the hot path's largest events (a
 * stream's terminal event carries the whole Response: parsing and re-serialising it cost more
 * than the rest of the relay). Outside a string every `"` is structural, so `"key":{` in JSON
 * text is always the key `key` with an object value; these helpers check its depth too.
 */

const { QUOTE, BACKSLASH, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET } = JSON_BYTE;

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

/** Nesting depth (objects and arrays) at `index`, which must lie outside any string: 1 = inside the top-level value. */
export function depthAt(text: string, index: number): number {
  let depth = 0;
  for (let i = 0; i < index; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return depth;
}

/**
 * Index of the `{` that opens the object value of `key` at `depth`, when the key occurs as an
 * object-valued key exactly once in the text; -1 otherwise (absent, repeated, or elsewhere).
 */
export function uniqueObjectAt(text: string, key: string, depth: number): number {
  const token = `"${key}":{`;
  const at = text.indexOf(token);
  if (at === -1 || text.indexOf(token, at + token.length) !== -1) return -1;
  return depthAt(text, at) === depth ? at + token.length - 1 : -1;
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

/** Whether the object opening at `brace` is empty (`{}` up to whitespace). */
export function isEmptyObjectAt(text: string, brace: number): boolean {
  let i = brace + 1;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return text.charCodeAt(i) === CLOSE_BRACE;
}

/** Index of the closing `}` of a top-level object (trailing whitespace allowed); -1 if the text is not one. */
export function closingBrace(text: string): number {
  let end = text.length - 1;
  while (end > 0 && isSpace(text.charCodeAt(end))) end--;
  return end > 0 && text.charCodeAt(end) === CLOSE_BRACE ? end : -1;
}
