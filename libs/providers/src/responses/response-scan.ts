import { JSON_BYTE } from '@app/common';
import { RESPONSE_MEMBERS, type ResponseScan, type TerminalResponseScan } from '../types';
import { closingBrace, type ObjectScan, scanObject } from './json-text';

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
 * a Response object and no `extra_fields`.
 */
export function scanTerminalEvent(data: string): TerminalResponseScan | null {
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
