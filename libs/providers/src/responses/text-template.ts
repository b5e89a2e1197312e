import { JSON_BYTE } from '@app/common';
import { isDigit, isPlainStringText, ownCopy, skipSpace } from './json-text';

/**
 * JSON text as an earlier text was, but for the values in some places (slots): an upstream
 * answering the same kind of request writes the same events again but for a few values (ids,
 * times, the answer itself). What was found by walking the earlier text holds for a text that
 * matches it, at positions moved by the values' lengths (`moves`), without walking it again.
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
  /**
   * Any text up to the next piece (its first occurrence; or, when only Digits slots follow, where
   * the text's end puts it, counted back from the end): the caller checks that it is one JSON value.
   */
  Value,
}

/**
 * Texts longer than this get no template: events that long echo a request's instructions or
 * tools, which a template would keep in memory (one tenant's text, for as long as the process
 * runs), and copying them per text that matches none costs more than their repeats save.
 */
export const MAX_TEMPLATE_TEXT = 64 * 1024;

/**
 * The template of `text` with the slots at `spans` (sorted, each as `kinds` says, which the
 * caller has checked: its walk found these values); null when a value is not of its kind, or the
 * text is longer than MAX_TEMPLATE_TEXT.
 */
export function textTemplate(text: string, spans: readonly number[], kinds: readonly SlotKind[]): TextTemplate | null {
  if (text.length > MAX_TEMPLATE_TEXT) return null;
  const pieces: string[] = [];
  let from = 0;
  for (let k = 0; k < kinds.length; k++) {
    const at = spans[2 * k];
    const end = spans[2 * k + 1];
    if (at < from || !isSlotValue(text, at, end, kinds[k])) return null;
    // Slices, not copies: most texts made templates of are never seen again (TemplateList
    // replaces those first), and copying each cost more than walking it. `owned` copies one that
    // matched.
    pieces.push(text.slice(from, at));
    from = end;
  }
  pieces.push(text.slice(from));
  return { pieces, kinds, spans };
}

/** The template with its pieces copied: slices would keep the upstream's chunk alive with it. */
function owned(t: TextTemplate): TextTemplate {
  return { pieces: t.pieces.map(ownCopy), kinds: t.kinds, spans: t.spans };
}

/** A slot: where its value starts and ends, its kind, and anything the caller keeps with it. */
export type Slot = readonly [number, number, SlotKind, ...unknown[]];

/** textTemplate with the slots given in any order: `slots` is sorted in place, in the template's order. */
export function slotTemplate(text: string, slots: Slot[]): TextTemplate | null {
  slots.sort((a, b) => a[0] - b[0]);
  return textTemplate(text, slots.flatMap((s) => [s[0], s[1]]), slots.map((s) => s[2]));
}

function isSlotValue(text: string, at: number, end: number, kind: SlotKind): boolean {
  if (kind === SlotKind.String) return end - at >= 2 && text.charCodeAt(at) === QUOTE && text.charCodeAt(end - 1) === QUOTE && isPlainStringText(text, at + 1, end - 1);
  if (kind === SlotKind.Digits) return digitsEnd(text, at) === end;
  return true;
}

/** End of the digits at `at` that JSON reads as a number (no leading zero); -1 when there are none such. */
export function digitsEnd(text: string, at: number): number {
  let end = at;
  while (isDigit(text.charCodeAt(end))) end++;
  return end === at || (end > at + 1 && text.charCodeAt(at) === ZERO) ? -1 : end;
}

/**
 * Whether `text` is the template's pieces with values of the slots' kinds between
 * them (a string up to its first quote, digits as many as follow, a Value up to the next piece's
 * first occurrence; but a Value followed only by Digits slots up to where the text's end puts the
 * next piece, which makes it the last, longest such value), to the text's end; `spans` then holds
 * where the values start and end.
 */
export function matchTemplate(text: string, t: TextTemplate, spans: number[]): boolean {
  const { pieces, kinds } = t;
  // Setting an array's length is a store V8 does not inline: not made on a fresh array.
  if (spans.length !== 0) spans.length = 0;
  let at = 0;
  // The piece at `at` was found there by a search for it (after a Value): not compared again.
  let found = false;
  for (let k = 0; k < kinds.length; k++) {
    const piece = pieces[k];
    // Compared as slices: startsWith reads a sliced string several times slower.
    if (!found && text.slice(at, at + piece.length) !== piece) return false;
    found = false;
    // Its end next: after the first piece, which refuses another type of event at once.
    if (k === 0 && !tailMatches(text, pieces, kinds)) return false;
    at += piece.length;
    let end: number;
    if (kinds[k] === SlotKind.String) {
      if (text.charCodeAt(at) !== QUOTE) return false;
      end = plainStringEnd(text, at + 1);
      if (end === -1) return false;
    } else if (kinds[k] === SlotKind.Digits) {
      end = digitsEnd(text, at);
      if (end === -1) return false;
    } else {
      // Followed only by Digits slots (or by none: the last slot), the value runs to where the next
      // piece starts, counted back from the text's end: not searched for. The rest of this pass
      // checks the pieces and digits so counted.
      found = !onlyDigitsAfter(kinds, k);
      end = found ? pieceAt(text, pieces[k + 1], at) : nextPieceFromEnd(text, pieces, kinds, k);
      if (end < at) return false;
    }
    spans.push(at, end);
    at = end;
  }
  const last = pieces[kinds.length];
  // tailMatches compared the last piece whole when it is that short.
  return at + last.length === text.length && ((kinds.length > 0 && last.length <= TAIL_CHECKED) || text.slice(at) === last);
}

/**
 * The end of the string whose text starts at `from` (after its opening quote), past its closing
 * quote; -1 when a backslash or control character comes before that quote, or no quote does.
 */
function plainStringEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c < 0x20 || c === BACKSLASH) return -1;
  }
  return -1;
}

/**
 * `text.indexOf(piece, from)`, the piece's first few characters searched and the rest compared
 * where they are: V8 searches for a long text by tables it builds per search (Boyer-Moore), which
 * cost more than the whole of the terminal event's search for the piece after its output. A head
 * found too often where the piece is not (a common key in the value) leaves the rest to that search.
 */
function pieceAt(text: string, piece: string, from: number): number {
  if (piece.length <= SEARCHED_HEAD) return text.indexOf(piece, from);
  const head = piece.slice(0, SEARCHED_HEAD);
  let at = text.indexOf(head, from);
  for (let tries = 0; at !== -1 && tries < HEAD_TRIES; tries++) {
    if (text.slice(at, at + piece.length) === piece) return at;
    at = text.indexOf(head, at + 1);
  }
  return at === -1 ? -1 : text.indexOf(piece, at);
}

// Below V8's shortest pattern for Boyer-Moore (7): searched by a plain scan.
const SEARCHED_HEAD = 6;
const HEAD_TRIES = 4;

/** Whether every slot after slot `k` is of kind Digits; true as well when `k` is the last slot. */
function onlyDigitsAfter(kinds: readonly SlotKind[], k: number): boolean {
  for (let j = k + 1; j < kinds.length; j++) if (kinds[j] !== SlotKind.Digits) return false;
  return true;
}

/**
 * Where the piece after slot `k` starts when the text ends as the template does, the pieces after
 * it and the digits between them counted back from the end (every later slot is Digits). Only a
 * guess, maybe negative: matchTemplate's forward pass checks it.
 */
function nextPieceFromEnd(text: string, pieces: readonly string[], kinds: readonly SlotKind[], k: number): number {
  let end = text.length;
  for (let j = kinds.length - 1; j > k; j--) {
    end -= pieces[j + 1].length;
    while (end > 0 && isDigit(text.charCodeAt(end - 1))) end--;
  }
  return end - pieces[k + 1].length;
}

/**
 * Whether the text ends as the template does, back to its last slot that is not digits or over
 * TAIL_CHECKED characters, whichever comes first: a text that differs from the template only late
 * (another client's `user` or metadata, after the output) is refused without comparing all the
 * text before. Else a quick refusal: matchTemplate's forward pass checks the digits and all else
 * but the last piece when this compared it whole.
 */
function tailMatches(text: string, pieces: readonly string[], kinds: readonly SlotKind[]): boolean {
  let end = text.length;
  let budget = TAIL_CHECKED;
  for (let k = kinds.length; ; k--) {
    const piece = pieces[k];
    const n = Math.min(piece.length, budget);
    const at = end - n;
    if (at < 0 || text.slice(at, end) !== (n === piece.length ? piece : piece.slice(piece.length - n))) return false;
    budget -= n;
    if (budget === 0 || k === 0 || kinds[k - 1] !== SlotKind.Digits) return true;
    end = at;
    while (isDigit(text.charCodeAt(end - 1))) end--;
  }
}

// Enough for the members that follow an event's last long value (a Response's user and metadata);
// a text that matches compares these again in the forward pass.
const TAIL_CHECKED = 64;

/**
 * Where each of `ps` (positions of the template's text) lies in a text that matched it, worked out
 * once for every text that matches (movedAll): a slot's value's start and end are its new ones,
 * any other position moved by the slots before it (-1 stays -1). For each, a base and the index of
 * the span it follows (-1: none), the new position being the base plus that span's new value.
 */
export function moves(ps: readonly number[], t: TextTemplate): number[] {
  const old = t.spans;
  const out: number[] = [];
  for (const p of ps) {
    let base = p;
    let ref = -1;
    for (let k = 0; p !== -1 && k < old.length; k += 2) {
      if (p < old[k]) break;
      if (p === old[k] || p === old[k + 1]) {
        base = 0;
        ref = p === old[k] ? k : k + 1;
        break;
      }
      base = p - old[k + 1];
      ref = k + 1;
    }
    out.push(base, ref);
  }
  return out;
}

/** Each position `moves` was given, in a text that matched the template (`spans`, from matchTemplate). */
export function movedAll(m: readonly number[], spans: readonly number[]): number[] {
  // Sized at once: a push is a call into a builtin.
  const out = new Array<number>(m.length >> 1);
  for (let i = 0; i < m.length; i += 2) out[i >> 1] = m[i + 1] === -1 ? m[i] : m[i] + spans[m[i + 1]];
  return out;
}

/**
 * The templates of one kind of text, those that matched first, those that match more often
 * before the others: enough for a few kinds of request in turn. A new template goes after those
 * that have matched (the others are replaced first), so that one client's repeats keep theirs
 * among other clients' one-off texts. Its pieces are copied when it first matches, or when added
 * (`copyOnAdd`) for short texts: SseParser hands those out as slices of its read, which may be
 * megabytes (a long event before them) that the template's slices would keep alive. Long texts,
 * which SseParser copies out of the read, are not copied per text that matches none.
 * Templates pay only while texts repeat: a text that matches none was tried against each, walked,
 * and copied into a template. So the texts are counted in windows, and after a window where too few
 * matched the list rests for a while (texts are only walked), then tries again. Such a window also
 * takes their rank from the templates that matched before: else, the list full of those, the texts
 * that traffic changed to would replace each other in its last place and never match.
 */
export class TemplateList<T extends { template: TextTemplate }> {
  private readonly items: T[] = [];
  /** How many of `items`, from the first, have matched a text. */
  private proven = 0;
  /** Texts tried in this window, and how many matched. */
  private tried = 0;
  private matchedInWindow = 0;
  /** Texts left before templates are tried again. */
  private resting = 0;
  /** The last text was not tried (the list rested). */
  private rested = false;
  /** Texts that matched a template since the list was made or `reset`: for specs, which check that templates are used. */
  matched = 0;

  constructor(
    private readonly max = 4,
    private readonly copyOnAdd = false,
    private readonly window = WINDOW,
    private readonly minMatched = MIN_MATCHED,
    private readonly rest = REST,
  ) {}

  /**
   * What `read` reads the text with from the first template it can (not null), that template
   * counted as matched (hit); null when none matched or the list rests. Then `missed` tells
   * whether to add one of the text.
   */
  find<R>(read: (item: T) => R | null): R | null {
    const items = this.toTry();
    for (let k = 0; k < items.length; k++) {
      const found = read(items[k]);
      if (found !== null) {
        this.hit(k);
        return found;
      }
    }
    return null;
  }

  /** The templates to try on a text: none while the list rests. Public for specs, as `hit`: callers use `find`. */
  toTry(): readonly T[] {
    this.rested = this.resting > 0;
    if (!this.rested) return this.items;
    this.resting--;
    return NONE;
  }

  /**
   * The template at `k` of those toTry gave matched: it changes places with the one before it, or
   * on its first match with the first that never matched, so that it is tried before those. (A
   * swap, not a move to the front: cheaper, and as good for a few kinds of text in turn.)
   */
  hit(k = 0): void {
    const items = this.items;
    const item = items[k];
    let to = Math.max(k - 1, 0);
    if (k >= this.proven) {
      if (!this.copyOnAdd) item.template = owned(item.template);
      to = this.proven++;
    }
    items[k] = items[to];
    items[to] = item;
    this.matched++;
    this.matchedInWindow++;
    this.count();
  }

  /** No template matched the text last tried (or none was tried): whether to make one of it. */
  missed(): boolean {
    if (this.rested) return false;
    this.count();
    return this.resting === 0;
  }

  add(item: T): void {
    if (this.copyOnAdd) item.template = owned(item.template);
    if (this.items.length === this.max) this.items.pop();
    this.proven = Math.min(this.proven, this.items.length);
    this.items.splice(Math.min(this.proven, this.max - 1), 0, item);
  }

  /** For specs: no templates, counts at zero, as the list was made. */
  reset(): void {
    this.items.length = 0;
    this.proven = this.tried = this.matchedInWindow = this.resting = this.matched = 0;
    this.rested = false;
  }

  /** One more text tried; at a window's end, whether enough matched to go on. */
  private count(): void {
    if (++this.tried < this.window) return;
    if (this.matchedInWindow < this.minMatched) {
      this.resting = this.rest;
      this.proven = 0;
    }
    this.tried = this.matchedInWindow = 0;
  }
}

// A window of 32 texts, of which at least a third must match: a match saves the walk of the
// text's unchanged parts, a text that matches none costs its tries and a copy, which pays for
// repeats from about one text in three on (terminal events of a few KB).
// Resting for 31 windows keeps what traffic that never repeats pays to under 1/32 of a window's
// costs.
const WINDOW = 32;
const MIN_MATCHED = 11;
const REST = 31 * WINDOW;

const NONE: readonly never[] = [];

const { QUOTE, COLON, BACKSLASH } = JSON_BYTE;
const ZERO = 0x30;

/**
 * The digits slot of an event's `"sequence_number"` (N in `"sequence_number":N`, as JSON writes
 * it), found without walking the event: `[start, end)` of N, or null. An occurrence in
 * `[skipFrom, skipTo)` (the event's Response, whose members are read otherwise) is passed over.
 * Upstreams put the member anywhere: OpenAI right after `type`, others last. Any digits in valid
 * JSON can stand for others, so an occurrence that is not the top-level member only makes a slot
 * that other texts rarely differ in.
 */
export function sequenceSlot(data: string, skipFrom = -1, skipTo = -1): [number, number] | null {
  // Searched after the skipped part, then before it: both short in events (the Response is most
  // of them), where a search of the whole event would read it all.
  let key = data.indexOf(SEQUENCE_KEY, skipTo === -1 ? 0 : skipTo);
  if (key === -1 && skipFrom > 0) key = data.lastIndexOf(SEQUENCE_KEY, skipFrom - SEQUENCE_KEY.length);
  if (key === -1) return null;
  const colon = skipSpace(data, key + SEQUENCE_KEY.length);
  if (data.charCodeAt(colon) !== COLON) return null;
  const start = skipSpace(data, colon + 1);
  const end = digitsEnd(data, start);
  return end === -1 ? null : [start, end];
}

const SEQUENCE_KEY = '"sequence_number"';
