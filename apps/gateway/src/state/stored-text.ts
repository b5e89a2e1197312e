import { JSON_BYTE } from '@app/common';
import type { CostBreakdown } from '@app/pricing/price-spec';
import { usageCostJson } from '@app/pricing/pricing';
import { closingBrace, findMembers, indexOfAfter, membersSet, stringAt } from '@app/providers/responses/json-text';
import { scanTerminalEvent } from '@app/providers/responses/response-scan';
import { type ParsedResponse, RESPONSE_MEMBERS, type ResponseScan, type TerminalEventAt } from '@app/providers/types';
import type { Turn } from '../conversation/turn';
import { hasTrustedIdLength, isJsonbAsIs, type StoredStatus } from './stored-response';
import { previousIdJson, storedStatus, turnIdJson } from './stored-turn';

/**
 * A stored turn's Response as text: the upstream's own, the gateway's fields spliced in (what
 * finalizeTurn and withExtraFields set, the upstream's spacing kept), with what its row needs.
 */
export interface StoredText {
  json: string;
  status: StoredStatus;
  /** The Response's `model`, null when it is not a string. */
  model: string | null;
  /** The Response's `error` as JSON text when it is an object, else null. */
  errorJson: string | null;
  /** The output items' ids in order (every item is an object, its position its index). */
  outputIds: string[];
  /** `json` holds no `\u` escape, which toJsonb may rewrite: it is its own column value, which StoredRowEncoder copies as it is. */
  plain: boolean;
  /** `json` is known to be ASCII (made of the upstream's ASCII text and the gateway's): its UTF-8 is as long as it. */
  ascii: boolean;
}

const member = (key: string) => 2 * RESPONSE_MEMBERS.indexOf(key);
const USAGE = member('usage');
const STATUS = member('status');
const MODEL = member('model');
const ERROR = member('error');
const OUTPUT = member('output');
// Set in this order, as finalizeTurn then withExtraFields assign them (absent ones go last in it).
const SET = ['id', 'previous_response_id', 'store', 'background', 'extra_fields'];
const SET_AT = SET.map(member);
const SET_WITH_USAGE = [...SET, 'usage'];
const COST = ['cost'];
const NO_COST: readonly number[] = [-1, -1];
// Past this many ids, the ones seen are looked up in a Set rather than compared one by one.
const MANY_IDS = 16;

/**
 * Whether a turn's answer may be stored as text, decided before the upstream answers (its body
 * is then walked, not parsed): a background response's row is finished from the object.
 */
export function storesAsText(turn: Turn): boolean {
  return turn.store && !turn.background;
}

/**
 * finalizeTurn, withExtraFields (`fieldsJson`, `cost`) and JSON.stringify of a stored turn's
 * Response, done on the upstream's text: the members the turn sets and `usage.cost` take their
 * new values in place or go last, as when assigned to the parsed object. Undefined when the
 * adapter did not walk the text for its members, or an output item is not an object or has an
 * id the gateway would replace (missing, short, repeated, not a string, not the one streamed):
 * the caller then parses it. `ascii`: the upstream's text, `fieldsJson` and the turn's ids are
 * known to be ASCII (StoredText.ascii).
 */
export function storedText(turn: Turn, parsed: ParsedResponse, fieldsJson: string, cost: CostBreakdown | null, ascii = false): StoredText | undefined {
  const { json, scan } = parsed;
  if (json === undefined || scan === undefined || !storesAsText(turn)) return undefined;
  return storedObject(turn, json, 0, closingBrace(json), scan, fieldsJson, cost, ascii);
}

/**
 * storedText for a stream's terminal event (`response.completed` and the like), and the event
 * with `extra_fields` (`fieldsJson`) on it too and its Response stored: what the relay's parse
 * path makes of it. Undefined when the text is not plainly one JSON event with a Response
 * object and no `extra_fields` of its own, or storedText would refuse the Response. `at`: what
 * the translator found in the text, its walk (`at.stored`) taken instead of walking it again,
 * and a walk it found unreadable (null) not made again. `ascii`: the event's text, `fieldsJson`
 * and the turn's ids are known to be ASCII (StoredText.ascii).
 */
export function storedEvent(
  turn: Turn, data: string, fieldsJson: string, cost: CostBreakdown | null, at?: TerminalEventAt, ascii = false,
): { data: string; stored: StoredText } | undefined {
  if (!storesAsText(turn)) return undefined;
  const found = at?.stored === undefined ? scanTerminalEvent(data) : at.stored;
  if (found === null) return undefined;
  const { start, end } = found;
  const stored = storedObject(turn, data, start, end - 1, found, fieldsJson, cost, ascii);
  if (stored === undefined) return undefined;
  return { data: `${data.slice(0, start)}${stored.json}${data.slice(end, closingBrace(data))},"extra_fields":${fieldsJson}}`, stored };
}

/** storedText of the Response object from `start` to its closing brace `close`, read as `scan` says. */
function storedObject(
  turn: Turn, json: string, start: number, close: number, scan: ResponseScan, fieldsJson: string, cost: CostBreakdown | null, ascii: boolean,
): StoredText | undefined {
  const { members } = scan;
  const outputIds = trustedOutputIds(json, members[OUTPUT], scan.itemIds, turn.streamedIds, scan.plain);
  if (outputIds === undefined) return undefined;
  let keys = SET;
  const at: number[] = [];
  for (let k = 0; k < SET_AT.length; k++) at.push(members[SET_AT[k]], members[SET_AT[k] + 1]);
  const values = [turnIdJson(turn), previousIdJson(turn), String(turn.store), String(turn.background), fieldsJson];
  const usage = members[USAGE];
  if (cost !== null && usage !== -1 && json.charCodeAt(usage) === JSON_BYTE.OPEN_BRACE) {
    const usageEnd = members[USAGE + 1];
    let costAt = NO_COST;
    let usageClose = usageEnd - 1;
    // Walked only when it may have a cost already: a search of the text usually says it has none.
    const costKey = indexOfAfter(json, '"', 'cost"', usage);
    if (costKey !== -1 && costKey < usageEnd) {
      const found: number[] = [];
      usageClose = findMembers(json, usage, COST, found);
      costAt = found;
      if (usageClose === -1) return undefined;
    }
    keys = SET_WITH_USAGE;
    at.push(usage, usageEnd);
    values.push(membersSet(json, usage, usageClose, COST, costAt, [usageCostJson(cost)]));
  }
  const error = members[ERROR];
  const stored = membersSet(json, start, close, keys, at, values);
  // One string, as JSON.stringify's: the pieces joined are slices of the upstream's text, which
  // the cache would otherwise keep alive with them. V8 flattens a joined string when it first
  // reads a character of it (a stream's frame only reads a copy).
  stored.charCodeAt(0);
  // It holds no raw U+0000, which toPgText would rewrite: the scan refused control characters in
  // the upstream's strings, and the values set are JSON.stringify's, which escapes them, or the
  // turn's id (prefix and hex digits).
  const plain = isJsonbAsIs(stored);
  return {
    json: stored,
    status: storedStatus(stringAt(json, members[STATUS], members[STATUS + 1])),
    model: stringAt(json, members[MODEL], members[MODEL + 1]) ?? null,
    // Rare (a failed response): serialised as the parse path does, not a slice of the text.
    errorJson: error !== -1 && json.charCodeAt(error) === JSON_BYTE.OPEN_BRACE ? JSON.stringify(JSON.parse(json.slice(error, members[ERROR + 1]))) : null,
    outputIds,
    plain,
    ascii,
  };
}

/**
 * The ids of the output array at `start` (`spans`: where each item's id lies, ResponseScan.itemIds),
 * when every item is an object whose id ensureUniqueOutputIds keeps: the one it was streamed under
 * (`streamed[i]`), else a trusted one. `plain`: the text holds no backslash (ResponseScan.plain),
 * so a string's value is the text between its quotes.
 */
function trustedOutputIds(
  json: string, start: number, spans: readonly number[] | null, streamed: readonly (string | undefined)[], plain: boolean,
): string[] | undefined {
  if (start === -1 || spans === null) return undefined;
  const ids: string[] = [];
  // Most outputs hold an item or two: their ids are compared with the earlier ones, a Set made only for many.
  let seen: Set<string> | null = null;
  for (let i = 0; 2 * i < spans.length; i++) {
    const fixed = streamed[i];
    const from = spans[2 * i];
    const to = spans[2 * i + 1];
    // The id it was streamed under, when the text spells it plainly: compared with the text
    // between its quotes, where stringAt would parse a copy of it (ids are longer than the
    // slices it copies). Another id of a plain text is the text between its quotes (the scan
    // refused control characters in strings): a slice, which the row and the cache write out
    // as bytes and do not keep.
    let id: string | undefined;
    if (plain && fixed !== undefined && isStringText(json, from, to, fixed)) id = fixed;
    else if (plain && isQuotedAt(json, from, to)) id = json.slice(from + 1, to - 1);
    else id = stringAt(json, from, to);
    if (id === undefined || (fixed === undefined ? !hasTrustedIdLength(id) || seenBefore(ids, seen, id) : id !== fixed)) return undefined;
    if (seen !== null) seen.add(id);
    else if (ids.length === MANY_IDS) seen = new Set([...ids, id]);
    ids.push(id);
  }
  return ids;
}

/** Whether `id` is among the ids before it: `seen` holds them all once there are more than MANY_IDS (else it is null). */
function seenBefore(ids: readonly string[], seen: ReadonlySet<string> | null, id: string): boolean {
  return seen !== null ? seen.has(id) : ids.includes(id);
}

/** Whether `[from, to)` is a string's JSON text, quote to quote (its content, in a plain text, the string itself). */
function isQuotedAt(json: string, from: number, to: number): boolean {
  return from !== -1 && to - from >= 2 && json.charCodeAt(from) === JSON_BYTE.QUOTE && json.charCodeAt(to - 1) === JSON_BYTE.QUOTE;
}

/** Whether the JSON value at `[from, to)` of a text without escapes is the string `s`. */
function isStringText(json: string, from: number, to: number, s: string): boolean {
  return isQuotedAt(json, from, to) && to - from === s.length + 2 && json.startsWith(s, from + 1);
}
