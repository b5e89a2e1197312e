import { JSON_BYTE } from '@app/common';
import { RESPONSE_MEMBERS, type ResponseScan, type TerminalResponseScan } from '../types';
import { closingBrace, findMembers, firstNonSpace, isDigit, type ObjectScan, ownCopy, scanObject } from './json-text';

const OUTPUT = RESPONSE_MEMBERS.indexOf('output');

/**
 * scanObject of a Response's text for a stored turn (from `from` to `to`, as scanObject takes
 * them): its RESPONSE_MEMBERS, and in the same walk its output items' ids and whether the text is
 * plain (ObjectScan). Null when scanObject is.
 */
export function scanResponse(text: string, from?: number, to?: number): ResponseScan | null {
  const found: ObjectScan = { elementsOf: OUTPUT, ids: null, plain: false };
  const members = scanObject(text, RESPONSE_MEMBERS, found, from, to);
  return members === null ? null : { members, itemIds: found.ids, plain: found.plain };
}

const EVENT_MEMBERS = ['response', 'extra_fields'];
// Its first match is the event's own key in the events upstreams send (their `type`, "response.completed",
// is another string); the walk of the rest checks that it is.
const RESPONSE_KEY = /"response"\s*:\s*\{/;

/**
 * Where a terminal event's Response object lies, `[start, end)`, and scanResponse of it in place
 * (positions in the event), the event checked as JSON whole: null when it is not one object with
 * a Response object and no `extra_fields`. Read from a template (an earlier event) when the event
 * matches one, else walked, and kept as a template when it can be one.
 */
export function scanTerminalEvent(data: string): TerminalResponseScan | null {
  for (let k = 0; k < templates.length; k++) {
    const scan = fromTemplate(data, templates[k]);
    if (scan !== null) return scan;
  }
  const scan = walkTerminalEvent(data);
  if (scan !== null) {
    const template = newTemplate(data, scan);
    if (template !== null) {
      templates.unshift(template);
      if (templates.length > MAX_TEMPLATES) templates.pop();
    }
  }
  return scan;
}

/** scanTerminalEvent by walking the event. */
function walkTerminalEvent(data: string): TerminalResponseScan | null {
  const key = RESPONSE_KEY.exec(data);
  const close = closingBrace(data);
  if (key !== null && close !== -1) {
    // The Response usually ends at the last brace before the event's own (the members after it,
    // OpenAI's `sequence_number`, hold none): then it is walked once, alone, and the rest of the
    // event checked with `{}` in its place.
    const start = key.index + key[0].length - 1;
    const end = data.lastIndexOf('}', close - 1) + 1;
    if (end > start) {
      const rest = scanObject(`${data.slice(0, start)}{}${data.slice(end)}`, EVENT_MEMBERS);
      const scan = rest !== null && rest[0] === start && rest[2] === -1 ? scanResponseAt(data, start, end) : null;
      if (scan !== null) return scan;
    }
  }
  const spans = scanObject(data, EVENT_MEMBERS);
  if (spans === null || spans[2] !== -1 || spans[0] === -1 || data.charCodeAt(spans[0]) !== JSON_BYTE.OPEN_BRACE) return null;
  return scanResponseAt(data, spans[0], spans[1]);
}

/** scanResponse of the Response at `[start, end)` of an event, with where it lies. */
function scanResponseAt(data: string, start: number, end: number): TerminalResponseScan | null {
  const scan = scanResponse(data, start, end);
  return scan === null ? null : { start, end, members: scan.members, itemIds: scan.itemIds, plain: scan.plain };
}

/**
 * A terminal event as an earlier stream's was walked: an upstream answering the same kind of
 * request writes the same text again but for a few values (SLOTS), so an event that is that text
 * with other such values in them is read from the template, only those values walked.
 */
interface EventTemplate {
  /** The text before each slot's value, and after the last one's to the event's end. */
  pieces: string[];
  /** The slots' kinds, in the order of their values in the text. */
  kinds: SlotKind[];
  /** The slots' keys, in the same order. */
  keys: string[];
  /** Where each slot's value starts and ends in the template. */
  spans: number[];
  /** scanResponse's members, and where the Response starts and ends. */
  members: number[];
  start: number;
  end: number;
}

const enum SlotKind {
  /** A string without escapes or control characters. */
  String,
  /** Digits. */
  Digits,
  /** Any JSON value: walked. */
  Value,
}

// The Response's members that differ from one stream's terminal event to the next's, for an
// upstream answering alike, and the event's own.
const SLOTS: readonly [string, SlotKind][] = [
  ['id', SlotKind.String],
  ['created_at', SlotKind.Digits],
  ['completed_at', SlotKind.Digits],
  ['output', SlotKind.Value],
  ['usage', SlotKind.Value],
];
const SLOT_KEYS = SLOTS.map((s) => s[0]);
const EVENT_SLOT_KEYS = ['sequence_number'];
// Templates kept, the most recently made first: enough for a few kinds of request in turn.
const MAX_TEMPLATES = 4;
const templates: EventTemplate[] = [];

/**
 * The event matches the template when it is the template's pieces with values of the slots'
 * kinds between them; the values of kind Value are then walked together, as the members of one
 * object made of them: JSON text so made is the template's with other values in the same places,
 * and reads as the template read, its positions moved by the values' lengths.
 */
function fromTemplate(data: string, t: EventTemplate): TerminalResponseScan | null {
  const { pieces, kinds } = t;
  const spans: number[] = [];
  let at = 0;
  for (let k = 0; k < kinds.length; k++) {
    const piece = pieces[k];
    // Compared as slices: startsWith reads a sliced string several times slower.
    if (data.slice(at, at + piece.length) !== piece) return null;
    at += piece.length;
    let valueEnd: number;
    if (kinds[k] === SlotKind.String) {
      if (data.charCodeAt(at) !== QUOTE) return null;
      valueEnd = data.indexOf('"', at + 1) + 1;
      if (valueEnd === 0 || !isPlainText(data, at + 1, valueEnd - 1)) return null;
    } else if (kinds[k] === SlotKind.Digits) {
      valueEnd = at;
      while (isDigit(data.charCodeAt(valueEnd))) valueEnd++;
      if (valueEnd === at) return null;
    } else {
      // Up to where the next piece starts; a value that holds that text is not read so, and is walked.
      valueEnd = data.indexOf(pieces[k + 1], at);
      if (valueEnd === -1) return null;
    }
    spans.push(at, valueEnd);
    at = valueEnd;
  }
  const last = pieces[kinds.length];
  if (at + last.length !== data.length || data.slice(at) !== last) return null;
  // The walked values as one object's members.
  let walked = '{';
  const walkedAt: number[] = [];
  const walkedKeys: string[] = [];
  let elementsOf = -1;
  for (let k = 0; k < kinds.length; k++) {
    if (kinds[k] !== SlotKind.Value) continue;
    if (t.keys[k] === 'output') elementsOf = walkedKeys.length;
    walked += `${walkedKeys.length === 0 ? '' : ','}"${t.keys[k]}":`;
    walkedAt.push(walked.length, k);
    walked += data.slice(spans[2 * k], spans[2 * k + 1]);
    walkedKeys.push(t.keys[k]);
  }
  walked += '}';
  const found: ObjectScan = { elementsOf, ids: null, plain: false };
  const values = scanObject(walked, walkedKeys, found);
  if (values === null) return null;
  for (let v = 0; 2 * v < walkedAt.length; v++) {
    const k = walkedAt[2 * v + 1];
    if (values[2 * v] !== walkedAt[2 * v] || values[2 * v + 1] !== walkedAt[2 * v] + spans[2 * k + 1] - spans[2 * k]) return null;
  }
  let itemIds: number[] | null = null;
  if (found.ids !== null) {
    // Positions in the walked text, moved to the event's.
    const shift = spans[2 * walkedAt[2 * elementsOf + 1]] - walkedAt[2 * elementsOf];
    itemIds = found.ids.map((p) => (p === -1 ? -1 : p + shift));
  }
  const members = t.members.map((p) => moved(p, t.spans, spans));
  return { start: moved(t.start, t.spans, spans), end: moved(t.end, t.spans, spans), members, itemIds, plain: found.plain };
}

/** Where a position of the template lies in the event: a slot's value's start and end are its new ones, the rest moved by the slots before it. */
function moved(p: number, templateSpans: readonly number[], spans: readonly number[]): number {
  if (p === -1) return -1;
  let shift = 0;
  for (let k = 0; k < templateSpans.length; k += 2) {
    if (p < templateSpans[k]) break;
    if (p === templateSpans[k]) return spans[k];
    if (p === templateSpans[k + 1]) return spans[k + 1];
    shift = spans[k + 1] - templateSpans[k + 1];
  }
  return p + shift;
}

/** The walked event as a template: when its Response is plain, and the event has every slot's member with a value of its kind. */
function newTemplate(data: string, scan: TerminalResponseScan): EventTemplate | null {
  if (!scan.plain) return null;
  // The slots' members, found again (a template is made once for many events).
  const found: number[] = [];
  const event: number[] = [];
  if (findMembers(data, scan.start, SLOT_KEYS, found) === -1 || findMembers(data, firstNonSpace(data), EVENT_SLOT_KEYS, event) === -1) return null;
  found.push(...event);
  const slots: [number, number, string, SlotKind][] = [];
  const all: readonly [string, SlotKind][] = [...SLOTS, ['sequence_number', SlotKind.Digits]];
  for (let k = 0; k < all.length; k++) {
    const [key, kind] = all[k];
    const from = found[2 * k];
    const to = found[2 * k + 1];
    if (from === -1) return null;
    if (kind === SlotKind.String && data.charCodeAt(from) !== QUOTE) return null;
    if (kind === SlotKind.Digits) for (let i = from; i < to; i++) if (!isDigit(data.charCodeAt(i))) return null;
    slots.push([from, to, key, kind]);
  }
  slots.sort((a, b) => a[0] - b[0]);
  const pieces: string[] = [];
  let from = 0;
  for (const [at, to] of slots) {
    pieces.push(ownCopy(data.slice(from, at)));
    from = to;
  }
  pieces.push(ownCopy(data.slice(from)));
  return {
    pieces,
    kinds: slots.map((s) => s[3]),
    keys: slots.map((s) => s[2]),
    spans: slots.flatMap((s) => [s[0], s[1]]),
    members: [...scan.members],
    start: scan.start,
    end: scan.end,
  };
}

const { QUOTE, BACKSLASH } = JSON_BYTE;

/** No backslash and no control character in `[from, to)`. */
function isPlainText(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === BACKSLASH) return false;
  }
  return true;
}
