import { JSON_BYTE } from '@app/common';
import { isDigit, ownCopy } from './json-text';

/**
 * JSON text as an earlier text was, but for the values in some places (slots): an upstream
 * answering the same kind of request writes the same events again but for a few values (ids,
 * times, the answer itself). What was found by walking the earlier text holds for a text that
 * matches it, at positions moved by the values' lengths (`moved`), without walking it again.
 */
export interface TextTemplate {
  /** The text before each slot's value, and after the last one's to the text's end. */
  readonly pieces: readonly string[];
  readonly kinds: readonly SlotKind[];
  /** Where each slot's value starts and ends in the earlier text. */
  readonly spans: readonly number[];
}

export const enum SlotKind {
  /** A string without escapes or control characters. */
  String,
  /** Digits, as JSON writes a number: no leading zero. */
  Digits,
  /** Any text up to the next piece: the caller checks that it is one JSON value. */
  Value,
}

/**
 * The template of `text` with the slots at `spans` (sorted, each as `kinds` says, which the
 * caller has checked: its walk found these values); null when a value is not of its kind.
 */
export function textTemplate(text: string, spans: readonly number[], kinds: readonly SlotKind[]): TextTemplate | null {
  const pieces: string[] = [];
  let from = 0;
  for (let k = 0; k < kinds.length; k++) {
    const at = spans[2 * k];
    const end = spans[2 * k + 1];
    if (at < from || !isSlotValue(text, at, end, kinds[k])) return null;
    // Own copies: a slice would keep the upstream's chunk alive with the template.
    pieces.push(ownCopy(text.slice(from, at)));
    from = end;
  }
  pieces.push(ownCopy(text.slice(from)));
  return { pieces, kinds, spans };
}

function isSlotValue(text: string, at: number, end: number, kind: SlotKind): boolean {
  if (kind === SlotKind.String) return end - at >= 2 && text.charCodeAt(at) === QUOTE && text.charCodeAt(end - 1) === QUOTE && isPlainText(text, at + 1, end - 1);
  if (kind === SlotKind.Digits) return digitsEnd(text, at) === end;
  return true;
}

/** End of the digits at `at` that JSON reads as a number (no leading zero); -1 when there are none such. */
function digitsEnd(text: string, at: number): number {
  let end = at;
  while (isDigit(text.charCodeAt(end))) end++;
  return end === at || (end > at + 1 && text.charCodeAt(at) === ZERO) ? -1 : end;
}

/**
 * Whether `text` is the template's pieces with values of the slots' kinds between
 * them (each the first such value: a string up to its first quote, digits as many as follow, a
 * Value up to the next piece's first occurrence), to the text's end; `spans` then holds where the
 * values start and end.
 */
export function matchTemplate(text: string, t: TextTemplate, spans: number[]): boolean {
  const { pieces, kinds } = t;
  spans.length = 0;
  let at = 0;
  for (let k = 0; k < kinds.length; k++) {
    const piece = pieces[k];
    // Compared as slices: startsWith reads a sliced string several times slower.
    if (text.slice(at, at + piece.length) !== piece) return false;
    at += piece.length;
    let end: number;
    if (kinds[k] === SlotKind.String) {
      if (text.charCodeAt(at) !== QUOTE) return false;
      end = text.indexOf('"', at + 1) + 1;
      if (end === 0 || !isPlainText(text, at + 1, end - 1)) return false;
    } else if (kinds[k] === SlotKind.Digits) {
      end = digitsEnd(text, at);
      if (end === -1) return false;
    } else {
      end = text.indexOf(pieces[k + 1], at);
      if (end === -1) return false;
    }
    spans.push(at, end);
    at = end;
  }
  const last = pieces[kinds.length];
  return at + last.length === text.length && text.slice(at) === last;
}

/**
 * Where a position of the template's text lies in a text that matched it (`spans`, from
 * matchTemplate): a slot's value's start and end are its new ones, any other position moved by
 * the slots before it (-1 stays -1).
 */
export function moved(p: number, t: TextTemplate, spans: readonly number[]): number {
  if (p === -1) return -1;
  const old = t.spans;
  let shift = 0;
  for (let k = 0; k < old.length; k += 2) {
    if (p < old[k]) break;
    if (p === old[k]) return spans[k];
    if (p === old[k + 1]) return spans[k + 1];
    shift = spans[k + 1] - old[k + 1];
  }
  return p + shift;
}

/**
 * The templates of one kind of text, the most recently made first: enough for a few kinds of
 * request in turn. Templates pay only while texts repeat: after a run of texts that matched none
 * (each tried against every template, then walked, then made a template of), the list rests for
 * a while, and texts are only walked.
 */
export class TemplateList<T extends { template: TextTemplate }> {
  private readonly items: T[] = [];
  /** Texts in a row that matched no template. */
  private misses = 0;
  /** Texts left before templates are tried again. */
  private resting = 0;
  /** The last text was not tried (the list rested). */
  private rested = false;

  constructor(
    private readonly max = 4,
    private readonly maxMisses = 8,
    private readonly rest = 248,
  ) {}

  /** The templates to try on a text: none while the list rests. */
  toTry(): readonly T[] {
    this.rested = this.resting > 0;
    if (!this.rested) return this.items;
    this.resting--;
    return NONE;
  }

  /** A template matched. */
  hit(): void {
    this.misses = 0;
  }

  /** No template matched the text last tried (or none was tried): whether to make one of it. */
  missed(): boolean {
    if (this.rested || this.resting > 0) return false;
    if (++this.misses < this.maxMisses) return true;
    this.misses = 0;
    this.resting = this.rest;
    return false;
  }

  add(item: T): void {
    this.items.unshift(item);
    if (this.items.length > this.max) this.items.pop();
  }
}

const NONE: readonly never[] = [];

const { QUOTE, BACKSLASH } = JSON_BYTE;
const ZERO = 0x30;

/** No backslash and no control character in `[from, to)`. */
function isPlainText(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === BACKSLASH) return false;
  }
  return true;
}

/**
 * The digits slot that ends an event (`,"sequence_number":N}` as its last member, N as JSON
 * writes it), found without walking the event: `[start, end)` of N, or null.
 */
export function sequenceSlot(data: string): [number, number] | null {
  const close = data.length - 1;
  if (data.charCodeAt(close) !== 0x7d /* } */) return null;
  let start = close;
  while (isDigit(data.charCodeAt(start - 1))) start--;
  return start < close && data.endsWith(SEQUENCE_KEY, start) && digitsEnd(data, start) === close ? [start, close] : null;
}

const SEQUENCE_KEY = ',"sequence_number":';
