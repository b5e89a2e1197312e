import { JSON_BYTE } from '@app/common';
import { RESPONSE_MEMBERS, type ResponseScan, type TerminalResponseScan } from '../types';
import { closingBrace, type ObjectScan, scanObject } from './json-text';
import { digitsEnd, matchTemplate, movedAll, moves, sequenceSlot, SlotKind, slotTemplate, TemplateList, type TextTemplate } from './text-template';

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
export function scanTerminalEvent(data: string, usageChecked?: ValueChecked): TerminalResponseScan | null {
  const templated = terminalTemplates.find((t) => fromTemplate(data, t, usageChecked));
  if (templated !== null) return templated;
  const scan = walkTerminalEvent(data);
  const template = scan === null || !terminalTemplates.missed() ? null : newTemplate(data, scan);
  if (template !== null) terminalTemplates.add(template);
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

/** A terminal event as an earlier stream's was walked (TextTemplate): what the walk found, and the slots' keys. */
interface EventTemplate {
  template: TextTemplate;
  keys: readonly string[];
  /** The walk's members, as `moves` moves them. */
  members: readonly number[];
  /** The Response's start and end, as `moves` moves them. */
  bounds: readonly number[];
  /**
   * The keys fromTemplate walks, with the usage and without it: made once, so that scanObject
   * writes their key tables once per template, not once per event.
   */
  walkedKeys: readonly string[];
  walkedKeysWithoutUsage: readonly string[];
}

// The Response's members that differ from one stream's terminal event to the next's, for an
// upstream answering alike: the output and usage are walked, the id read; and the digits of its
// times and of the event's sequence number (wherever it is outside the Response).
const VALUE_SLOTS: readonly [string, SlotKind][] = [
  ['id', SlotKind.String],
  ['output', SlotKind.Value],
  ['usage', SlotKind.Value],
];
const TIME_KEYS = ['"created_at":', '"completed_at":'];
/**
 * The terminal events' templates; exported for specs (TemplateList's `reset` and `matched`).
 * Eight: a few clients in turn each keep theirs, and trying one that differs costs its first piece
 * and the event's last few members (matchTemplate), not the event's length.
 */
export const terminalTemplates = new TemplateList<EventTemplate>(8);

/**
 * Whether the text `[start, end)` is known to be one JSON value (nothing before or after it) with
 * no backslash and no control character, newlines included: scanObject's walk of it would find
 * nothing more. For a value the caller reads apart anyway (the usage, by a pattern that checks
 * its whole text), so that it is not walked twice.
 */
export type ValueChecked = (text: string, start: number, end: number) => boolean;

/**
 * scanTerminalEvent of an event that matches the template: the values of kind Value walked
 * together, as the members of one object made of them. JSON text so made is the template's with
 * other values in the same places, and reads as the template read. The usage is left out of the
 * walk when `usageChecked` says its text is valid: it would add nothing to the walk's result.
 * `plain` holds for the whole Response though only the walked values are walked: the rest is the
 * template's text, made only from a plain Response (newTemplate), with String slots that
 * matchTemplate accepts only plain and Digits slots; a checked usage has no backslash, newline or
 * other control character either (ValueChecked).
 * Callers rely on it for the whole text (stored-text's trustedOutputIds).
 */
function fromTemplate(data: string, t: EventTemplate, usageChecked?: ValueChecked): TerminalResponseScan | null {
  const spans: number[] = [];
  const { template, keys } = t;
  if (!matchTemplate(data, template, spans)) return null;
  const kinds = template.kinds;
  let walked = '{';
  const walkedAt: number[] = [];
  let usageLeftOut = false;
  let elementsOf = -1;
  for (let k = 0; k < kinds.length; k++) {
    if (kinds[k] !== SlotKind.Value) continue;
    if (keys[k] === 'usage' && usageChecked !== undefined && usageChecked(data, spans[2 * k], spans[2 * k + 1])) {
      usageLeftOut = true;
      continue;
    }
    if (keys[k] === 'output') elementsOf = walkedAt.length / 2;
    walked += `${walkedAt.length === 0 ? '' : ','}"${keys[k]}":`;
    walkedAt.push(walked.length, k);
    walked += data.slice(spans[2 * k], spans[2 * k + 1]);
  }
  walked += '}';
  const walkedKeys = usageLeftOut ? t.walkedKeysWithoutUsage : t.walkedKeys;
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
  const members = movedAll(t.members, spans);
  const [start, end] = movedAll(t.bounds, spans);
  return { start, end, members, itemIds, plain: found.plain };
}

/**
 * The walked event as a template: when its Response is plain and its id a string, found without
 * walking it again (the walk's members, a search for the times and the sequence number): any
 * digits in valid JSON can stand for others, wherever they are.
 */
function newTemplate(data: string, scan: TerminalResponseScan): EventTemplate | null {
  const { members, start, end } = scan;
  if (!scan.plain) return null;
  // Each slot with its member's key.
  const slots: [number, number, SlotKind, string][] = [];
  for (const [key, kind] of VALUE_SLOTS) {
    const m = 2 * RESPONSE_MEMBERS.indexOf(key);
    if (members[m] === -1) return null;
    slots.push([members[m], members[m + 1], kind, key]);
  }
  for (const key of TIME_KEYS) {
    const at = data.indexOf(key, start);
    const to = at === -1 || at >= end ? -1 : digitsEnd(data, at + key.length);
    if (to !== -1) slots.push([at + key.length, to, SlotKind.Digits, key]);
  }
  const sequence = sequenceSlot(data, start, end);
  if (sequence !== null) slots.push([sequence[0], sequence[1], SlotKind.Digits, 'sequence_number']);
  const template = slotTemplate(data, slots);
  if (template === null) return null;
  const keys = slots.map((s) => s[3]);
  const walkedKeys = keys.filter((_, k) => template.kinds[k] === SlotKind.Value);
  return {
    template,
    keys,
    members: moves(members, template),
    bounds: moves([start, end], template),
    walkedKeys,
    walkedKeysWithoutUsage: walkedKeys.filter((key) => key !== 'usage'),
  };
}
