import { JSON_BYTE, randomHex } from '@app/common';
import { elementSpans, findMembers, firstNonSpace, isEmptyObjectAt, plainJsonString } from '@app/providers/responses/json-text';

import { isJson, type Json } from '@app/common';

// Re-exported for the state files that import them from here.
export { isJson, type Json };

export type StoredStatus = 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled';

export const UNFINISHED: ReadonlySet<StoredStatus> = new Set(['queued', 'in_progress']);

/** One stored Response as the gateway keeps it (in memory and in `stored_responses`). */
export interface StoredResponse {
  id: string;
  keyId: string;
  status: StoredStatus;
  background: boolean;
  model: string;
  previousResponseId: string | null;
  /** This turn's own input, item references resolved, every item with an id. */
  inputItems: Json[];
  /** The Response object as the client saw it, `output` included. */
  response: Json;
  expiresAt: number;
}

/** A new row for the group-commit writer: the JSON columns already serialised. */
export interface StoredResponseRow {
  id: string;
  keyId: string;
  /** Whole milliseconds since the epoch, as Date.now(): no Date object made per stored turn. */
  createdAt: number;
  /** Whole milliseconds since the epoch (createdAt plus whole days of retention). */
  expiresAt: number;
  status: StoredStatus;
  background: boolean;
  model: string;
  previousResponseId: string | null;
  requestJson: string;
  inputItemsJson: string;
  responseJson: string;
  errorJson: string | null;
  /** Where each item lives that its id does not locate, for item_reference lookups (storedItemsOf). */
  items: StoredItem[];
}

/** Where one item of a stored response lives (a `stored_items` row). */
export interface StoredItem {
  source: 'input' | 'output';
  position: number;
  itemId: string;
}

/** The objects of a Response's `output`, in order (anything else there is not an item). */
export function outputOf(response: Json): Json[] {
  const output = response.output;
  return Array.isArray(output) ? (output as unknown[]).filter(isJson) : [];
}

/**
 * The items of a stored turn that need a `stored_items` row: its input items, then the objects
 * of its output, each at its index in the output array (where `response -> 'output' -> n` reads
 * it; anything else there is not an item). Items without an id cannot be referenced; an id the
 * turn minted itself names its place (mintedPlace) and needs none. `stem`: the turn's (Turn.stem,
 * or mintingStemOf its response id); null when it minted none.
 */
export function storedItemsOf(stem: string | null, inputItems: readonly Json[], response: Json): StoredItem[] {
  const items = inputStoredItems(stem, inputItems);
  const output = response.output;
  if (Array.isArray(output)) {
    for (let i = 0; i < output.length; i++) {
      const item: unknown = output[i];
      if (isJson(item)) addStoredItem(items, stem, 'output', i, item.id);
    }
  }
  return items;
}

/** The stored items of a turn's input (storedItemsOf without the output). */
export function inputStoredItems(stem: string | null, inputItems: readonly Json[]): StoredItem[] {
  const items: StoredItem[] = [];
  for (let i = 0; i < inputItems.length; i++) addStoredItem(items, stem, 'input', i, inputItems[i].id);
  return items;
}

/** Adds to `items` the stored items of a turn's output item ids, given in output order (storedItemsOf's output part). */
export function addOutputStoredItems(items: StoredItem[], stem: string | null, outputIds: readonly unknown[]): void {
  for (let i = 0; i < outputIds.length; i++) addStoredItem(items, stem, 'output', i, outputIds[i]);
}

/**
 * The stem of the ids a stored response minted (idStemOf), or null for an id not of
 * newResponseId's shape (the gateway makes no other): its items all need rows.
 */
export function mintingStemOf(responseId: string): string | null {
  return responseId.length === RESPONSE_PREFIX.length + STEM_LENGTH && responseId.startsWith(RESPONSE_PREFIX) && isHexAt(responseId, RESPONSE_PREFIX.length, STEM_LENGTH)
    ? idStemOf(responseId)
    : null;
}

/** A row for the item unless its id names exactly this place (mintedAt). */
function addStoredItem(items: StoredItem[], stem: string | null, source: StoredItem['source'], position: number, itemId: unknown): void {
  if (typeof itemId === 'string' && (stem === null || !mintedAt(itemId, stem, source, position))) items.push({ source, position, itemId });
}

/**
 * Whether mintedPlace(itemId) is this place of the response with this stem (48 hex digits, as
 * mintingStemOf gives): the same reading of the id, compared in place (most ids differ at the
 * stem), with no regex and nothing allocated for the many items of every stored turn.
 */
export function mintedAt(itemId: string, stem: string, source: StoredItem['source'], position: number): boolean {
  const at = stemStart(itemId);
  // One native search, not startsWith at an offset, which compares a match this long character by character.
  if (at === -1 || itemId.indexOf(stem, at) !== at) return false;
  const tag = source === 'input' ? 'in' : 'out';
  const tagAt = at + stem.length;
  return itemId.startsWith(tag, tagAt) && positionAt(itemId, tagAt + tag.length) === position;
}

/**
 * The place an item id minted with idStemOf names (`<a-z>+_<stem><in|out><position>`), or null
 * for any other id (an upstream's, a client's, one minted before stems were response ids). An id
 * can look minted without being so: the item at the place must still carry the id. Minted ids
 * can be worked out from the response id, so a key can plant a newer copy of one its own
 * background response will mint before the outcome is written (the newest copy answers): only
 * that key's own items are affected, as when it echoes any item it has under its id.
 */
export function mintedPlace(itemId: string): MintedPlace | null {
  const at = stemStart(itemId);
  if (at === -1 || !isHexAt(itemId, at, STEM_LENGTH)) return null;
  const tagAt = at + STEM_LENGTH;
  const source = itemId.startsWith('in', tagAt) ? 'input' : itemId.startsWith('out', tagAt) ? 'output' : null;
  if (source === null) return null;
  const position = positionAt(itemId, tagAt + (source === 'input' ? 2 : 3));
  return position === -1 ? null : { responseId: RESPONSE_PREFIX + itemId.slice(at, tagAt), source, position };
}

/** Where a minted item id says its item is: its turn's response, source and position. */
export interface MintedPlace {
  responseId: string;
  source: StoredItem['source'];
  position: number;
}

const RESPONSE_PREFIX = 'resp_';
// Hex digits of a response id (newResponseId), the stem of the item ids its turn mints.
const STEM_LENGTH = 48;
// Digits of a position a minted id can name: exact as a number here, an int in SQL. A longer
// one (no turn has that many items) is not read as minted, and its item has a row.
const MAX_POSITION_DIGITS = 9;

/** Where the stem of an id of a minted id's shape starts: past its `<a-z>+_` type prefix (-1: none). */
function stemStart(itemId: string): number {
  let i = 0;
  while (i < itemId.length && itemId.charCodeAt(i) >= 0x61 && itemId.charCodeAt(i) <= 0x7a) i++;
  return i > 0 && itemId.charCodeAt(i) === 0x5f ? i + 1 : -1;
}

/** Whether `length` characters from `at` are lower-case hex digits. */
function isHexAt(s: string, at: number, length: number): boolean {
  if (s.length < at + length) return false;
  for (let i = at; i < at + length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** The position that the rest of the id from `at` writes in decimal as gatewayItemId does (-1: none). */
function positionAt(itemId: string, at: number): number {
  const digits = itemId.length - at;
  if (digits < 1 || digits > MAX_POSITION_DIGITS || (digits > 1 && itemId.charCodeAt(at) === 0x30)) return -1;
  let position = 0;
  for (let i = at; i < itemId.length; i++) {
    const d = itemId.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    position = position * 10 + d;
  }
  return position;
}

let lastTime = -1;
let lastTimeHex = '';

/**
 * Milliseconds since the epoch as 12 hex digits (good until the year 10889). The last one is
 * kept: a busy process starts several stored turns within the same millisecond. Written as two
 * halves of 24 bits: a number past 2^31 in base 16 takes V8's slow path.
 */
function timeHex(now: number): string {
  if (now !== lastTime) {
    const high = Math.floor(now / 0x1000000);
    lastTimeHex = high.toString(16).padStart(6, '0') + (now - high * 0x1000000).toString(16).padStart(6, '0');
    lastTime = now;
  }
  return lastTimeHex;
}

/**
 * `resp_` + 48 hex digits, the shape of OpenAI's ids: the creation time in milliseconds (12),
 * then 144 random bits. The time tells a replica that cannot find the id whether its write may
 * still be on its way (recent-writes.ts).
 */
export function newResponseId(now = Date.now()): string {
  return `${RESPONSE_PREFIX}${timeHex(now)}${randomHex(18)}`;
}

/**
 * The stem of the item ids a turn mints: its response id's 48 hex digits, so that such an id
 * names the response holding it (mintedPlace). Items append their source and position.
 */
export function idStemOf(responseId: string): string {
  return responseId.slice(RESPONSE_PREFIX.length);
}

const RESPONSE_ID = /^resp_([0-9a-f]{12})[0-9a-f]{36}$/;
// A minted item id: its stem is its response's (idStemOf) or, in ids minted before that, the
// creation time and 48 random bits.
const ITEM_ID = /^[a-z]+_([0-9a-f]{12})(?:[0-9a-f]{36}|[0-9a-f]{12})(?:in|out)\d+$/;

/**
 * When the gateway made this response or item id (ms since the epoch), or null for an id it did
 * not make the way newResponseId/idStemOf do (an upstream's item id, an older random id).
 */
export function createdAtOfId(id: string): number | null {
  const m = RESPONSE_ID.exec(id) ?? ITEM_ID.exec(id);
  return m === null ? null : parseInt(m[1], 16);
}

const ID_PREFIX: Record<string, string> = {
  message: 'msg',
  function_call: 'fc',
  function_call_output: 'fco',
  reasoning: 'rs',
};

function idPrefix(type: unknown): string {
  // The type comes from the client's items: never a lookup on the prototype (`constructor`).
  return (typeof type === 'string' && Object.hasOwn(ID_PREFIX, type) && ID_PREFIX[type]) || 'item';
}

/**
 * Shorter upstream ids (`msg_1` from some OpenAI-compatible servers) are not trusted to be
 * unique across responses; ids as long as OpenAI's or our translators' (24+ random characters) are.
 */
const MIN_TRUSTED_ID_LENGTH = 20;

/** Whether `id` is long enough to be trusted unique (its repeats are the caller's to find). */
export function hasTrustedIdLength(id: string): boolean {
  return id.length >= MIN_TRUSTED_ID_LENGTH;
}

export function isTrustedItemId(id: unknown, seen: ReadonlySet<string>): id is string {
  return typeof id === 'string' && hasTrustedIdLength(id) && !seen.has(id);
}

export function gatewayItemId(type: unknown, stem: string, index: number, source: 'in' | 'out'): string {
  return `${idPrefix(type)}_${stem}${source}${index}`;
}

/**
 * Output items keep the upstream's ids when they can be trusted to be unique; the rest get
 * the gateway's. `fixed[i]`, when set, is the id output item i was already streamed under.
 */
export function ensureUniqueOutputIds(output: unknown, stem: string, fixed: readonly (string | undefined)[] = []): void {
  if (!Array.isArray(output)) return;
  const seen = new Set<string>();
  output.forEach((item: unknown, i) => {
    if (!isJson(item)) return;
    const streamed = fixed[i];
    if (streamed !== undefined) item.id = streamed;
    else if (!isTrustedItemId(item.id, seen)) item.id = gatewayItemId(item.type, stem, i, 'out');
    seen.add(item.id as string);
  });
}

/**
 * The client's `input` as stored items: a string becomes one user message; items lacking an
 * id get one (input_items lists and item references need them).
 */
export function toInputItems(input: unknown, stem: string): Json[] {
  if (typeof input === 'string') {
    return [{ type: 'message', id: gatewayItemId('message', stem, 0, 'in'), role: 'user', content: [{ type: 'input_text', text: input }] }];
  }
  if (!Array.isArray(input)) return [];
  return input.map((raw: unknown, i) => {
    const item = isJson(raw) ? raw : {};
    const type = item.type ?? 'message';
    if (typeof item.id === 'string' && item.id !== '') return item.type === undefined ? { type, ...item } : item;
    return { type, ...item, id: gatewayItemId(type, stem, i, 'in') };
  });
}

/**
 * JSON text that parses to what JSON.stringify(items) does, where `items` are `toInputItems(input,
 * stem)`. A string input's one message is written out around its text's JSON: the serialiser
 * takes several times as long over that small object graph, and a string is the commonest input
 * of a stored turn. `text`: the body's JSON text, when `input` is its `input` as parsed: an
 * array is then written from it (inputItemsOfText), the client's spacing and escapes kept.
 */
export function toInputItemsJson(input: unknown, items: readonly Json[], text?: string): string {
  if (typeof input === 'string') return stringInputItemsJson(items, plainJsonString(input) ?? JSON.stringify(input));
  return (text !== undefined && Array.isArray(input) ? inputItemsOfText(text, input, items) : undefined) ?? JSON.stringify(items);
}

/**
 * toInputItemsJson of a string input that is printable ASCII without a quote or a backslash
 * (plainJsonString), undefined for any other input: its JSON is then known to be ASCII (its
 * minted id is too).
 */
export function plainInputItemsJson(input: unknown, items: readonly Json[]): string | undefined {
  const text = typeof input === 'string' ? plainJsonString(input) : undefined;
  return text === undefined ? undefined : stringInputItemsJson(items, text);
}

/** The one item of a string input, `textJson` its text as JSON. */
function stringInputItemsJson(items: readonly Json[], textJson: string): string {
  return `[{"type":"message","id":"${items[0].id as string}","role":"user","content":[{"type":"input_text","text":${textJson}}]}]`;
}

const INPUT = ['input'];
const { OPEN_BRACE } = JSON_BYTE;

/**
 * The stored items of the array `input` as the body's text `text` has them, which JSON.parse
 * made `input` of: each item's own text, and where toInputItems makes a new object of it (no
 * type, or no usable id), `"type":"message"` first (unless its own type is) and the minted id
 * last. Serialising an agent's history of long texts again cost more than the rest of storing
 * its turn. Either key may repeat one of the item's own (its type, an empty or non-string id): a
 * key given twice keeps the first one's place and the last one's value in JSON.parse, as the
 * spread in toInputItems does, and the last value in Postgres's json functions. Undefined when
 * the text is not plainly read (the caller serialises the items): `input` given twice or under
 * an escaped key, an item that is not an object or is empty, or an item holding a number (hasNumber).
 */
function inputItemsOfText(text: string, input: readonly unknown[], items: readonly Json[]): string | undefined {
  const at: number[] = [];
  if (findMembers(text, firstNonSpace(text), INPUT, at) === -1) return undefined;
  const spans = elementSpans(text, at[0]);
  if (spans === null || spans.length !== 2 * input.length) return undefined;
  let json = '[';
  for (let i = 0; i < input.length; i++) {
    const item = input[i];
    const start = spans[2 * i];
    const end = spans[2 * i + 1];
    if (!isJson(item) || text.charCodeAt(start) !== OPEN_BRACE || isEmptyObjectAt(text, start) || hasNumber(item)) return undefined;
    if (i > 0) json += ',';
    const ownId = typeof item.id === 'string' && item.id !== '';
    if (item.type !== undefined && ownId) {
      json += text.slice(start, end);
    } else {
      // `"type"` right after the brace is the item's first key: its type is first already.
      json += text.startsWith('"type"', start + 1) ? '{' : '{"type":"message",';
      json += `${text.slice(start + 1, end - 1)}${ownId ? '' : `,"id":"${items[i].id as string}"`}}`;
    }
  }
  json += ']';
  // One string, as JSON.stringify's: the pieces joined are slices of the body's text, which the
  // turn would otherwise keep alive whole (its tools and instructions too) until the answer is
  // stored. V8 flattens a joined string when it first reads a character of it.
  json.charCodeAt(0);
  return json;
}

/**
 * Whether an item holds a number. JSON.stringify writes one in its shortest form; a client's
 * spelling of it is read otherwise by Postgres's jsonb, which keeps numbers exact as written:
 * `1e-20000` (0 to JavaScript) is refused as out of range, `1e-16383` is printed back as 16,387
 * characters, digits past a double's stay. Agent histories hold texts, not numbers.
 */
function hasNumber(value: unknown): boolean {
  if (typeof value === 'number') return true;
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasNumber(value[i])) return true;
    return false;
  }
  for (const key in value) if (hasNumber((value as Json)[key])) return true;
  return false;
}

// Ids the upstream must see only where its own input schema has them and relies on them.
const KEEPS_ID = new Set(['function_call', 'reasoning', 'computer_call', 'web_search_call', 'file_search_call']);

/**
 * A stored item as it is sent upstream again: user/system messages and tool outputs lose the
 * ids the gateway gave them (OpenAI's input schema has none there); assistant messages,
 * function calls and reasoning keep theirs, as when a client echoes `response.output`.
 * Reasoning without `encrypted_content` cannot be replayed statelessly and is left out.
 */
export function toUpstreamItem(item: Json): Json | null {
  const type = item.type ?? 'message';
  if (type === 'reasoning' && typeof item.encrypted_content !== 'string') return null;
  if (type === 'message' ? item.role === 'assistant' : KEEPS_ID.has(type as string)) return item;
  if (item.id === undefined) return item;
  const { id: _id, ...rest } = item;
  return rest;
}

// An escape in JSON text: a surrogate pair, U+0000, a lone surrogate, or any other (kept).
const JSON_ESCAPE = /\\(?:u(?:[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|0000|[dD][89a-fA-F][0-9a-fA-F]{2})|.)/g;

/**
 * Whether toJsonb leaves `json` as it is: every escape it rewrites starts `\u`. Text without a raw
 * U+0000 (JSON.stringify's, or JSON the scan checked) is then its own column value, bytes and all.
 */
export const isJsonbAsIs = (json: string): boolean => !json.includes('\\u');

/**
 * JSON text that a jsonb column accepts. JSON.stringify writes U+0000 and unpaired surrogates as
 * `\u0000` and `\udXXX` escapes, and Postgres refuses both; they become U+FFFD, everything else
 * is kept as it is. Escapes are matched left to right, so an escaped backslash is never mistaken
 * for the start of one.
 */
export function toJsonb(json: string): string;
export function toJsonb(json: string | null): string | null;
export function toJsonb(json: string | null): string | null {
  if (json === null || isJsonbAsIs(json)) return json;
  return json.replace(JSON_ESCAPE, (escape) => (escape.length === 6 ? '\\ufffd' : escape));
}

/** Text a text column accepts: U+0000 becomes U+FFFD. */
export function toPgText(text: string): string {
  return text.includes('\0') ? text.replace(/\0/g, '\ufffd') : text;
}
