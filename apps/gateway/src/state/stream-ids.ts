import { JSON_BYTE } from '@app/common';
import { depthAt, findMembers, firstNonSpace, isDigit, membersSet, ownCopy, skipSpace, stringAt, uniqueObjectAt, valueEnd, withMembers } from '@app/providers';
import { gatewayItemId, isJson, isTrustedItemId, type Json } from './stored-response';
import type { Turn } from '../conversation/turn';

/** Members of a Response object as JSON text: `values[k]` is the value of `keys[k]`. */
export interface StateFieldsText {
  keys: readonly string[];
  values: readonly string[];
}

const ITEM = ['output_index', 'item'];
const ID = ['id'];
const { OPEN_BRACE, QUOTE, COLON } = JSON_BYTE;

/**
 * Gives a relayed stream the gateway's ids as the events pass: the Response id in the
 * start events, and the gateway's item id for any item whose upstream id cannot be trusted
 * to be unique (then every later event naming that item). The start events get the state
 * fields spliced into their text, and a trusted item id is read off the text: an upstream
 * with trustworthy ids (OpenAI, the gateway's translators) has no event parsed. Text that is
 * not plain enough to edit so is parsed and re-serialised.
 */
export class StreamIdRewriter {
  private readonly seen = new Set<string>();
  private readonly renames = new Map<string, string>();
  /** Where `findMembers` puts what it found (one event at a time). */
  private readonly at: number[] = [];
  /** The last start event's Response object as the upstream wrote it, and with the state fields. */
  private lastStart: { upstream: string; spliced: string } | null = null;
  /**
   * The last event rewritten was parsed and serialised again, not edited as text: JSON.stringify
   * writes the characters an upstream's escapes stand for, so what was ASCII may be no longer.
   * About the last call only: read it right after `rewrite`.
   */
  serialised = false;

  constructor(
    private readonly turn: Turn,
    /** The state fields of the Response object (id, previous_response_id, store, background), set from the turn alone. */
    private readonly applyStateFields: (response: Json) => void,
    /** The same fields as JSON text, spliced into the start events' text. */
    private readonly stateFields: StateFieldsText,
  ) {
    turn.streamedIds = [];
  }

  rewrite(type: string, data: string): string {
    this.serialised = false;
    if (isStartEvent(type)) return this.onStart(data);
    if (type === 'response.output_item.added') return this.trustedItemAdded(data) ? data : this.edit(data, (ev) => this.onItemAdded(ev));
    if (this.renames.size === 0) return data;
    return this.edit(data, (ev) => {
      let changed = false;
      if (typeof ev.item_id === 'string' && this.renames.has(ev.item_id)) {
        ev.item_id = this.renames.get(ev.item_id);
        changed = true;
      }
      if (isJson(ev.item) && typeof ev.item.id === 'string' && this.renames.has(ev.item.id)) {
        ev.item.id = this.renames.get(ev.item.id);
        changed = true;
      }
      return changed;
    });
  }

  private onStart(data: string): string {
    const response = uniqueObjectAt(data, 'response', 1);
    if (response !== -1) {
      // The start events of a stream mostly carry the same Response: spliced once. (Compared as
      // a slice: startsWith reads a sliced string, as events are, several times slower.)
      const last = this.lastStart;
      if (last !== null && data.slice(response, response + last.upstream.length) === last.upstream) {
        return data.slice(0, response) + last.spliced + data.slice(response + last.upstream.length);
      }
      const fields = this.stateFields;
      const edited = fromTemplate(data, response, fields) ?? withMembers(data, response, fields.keys, fields.values);
      if (edited !== undefined) {
        this.lastStart = { upstream: data.slice(response, edited.end), spliced: edited.json };
        return data.slice(0, response) + edited.json + data.slice(edited.end);
      }
    }
    return this.edit(data, (ev) => isJson(ev.response) && (this.applyStateFields(ev.response), true));
  }

  /**
   * Whether an `output_item.added` event's text plainly names an item whose id can be trusted
   * (then recorded, the event left as it is); false sends the event through `onItemAdded`.
   */
  private trustedItemAdded(data: string): boolean {
    const at = this.at;
    let indexAt: number;
    let indexEnd: number;
    let id: string | undefined;
    const first = firstItemId(data, at);
    if (first !== null) {
      indexAt = at[0];
      indexEnd = at[1];
      id = first;
    } else {
      if (findMembers(data, firstNonSpace(data), ITEM, at) === -1) return false;
      indexAt = at[0];
      indexEnd = at[1];
      const item = at[2];
      if (item === -1 || data.charCodeAt(item) !== OPEN_BRACE || findMembers(data, item, ID, at) === -1) return false;
      id = stringAt(data, at[0], at[1]);
    }
    if (!isTrustedItemId(id, this.seen)) return false;
    // A number's text reads as JSON.parse reads it; anything else is not an index.
    const c = indexAt === -1 ? 0 : data.charCodeAt(indexAt);
    const index = c === 0x2d || (c >= 0x30 && c <= 0x39) ? Number(data.slice(indexAt, indexEnd)) : this.turn.streamedIds.length;
    if (Number.isNaN(index)) return false;
    this.seen.add(id);
    this.turn.streamedIds[index] = id;
    return true;
  }

  private onItemAdded(ev: Json): boolean {
    const item = ev.item;
    const index = typeof ev.output_index === 'number' ? ev.output_index : this.turn.streamedIds.length;
    if (!isJson(item)) return false;
    if (isTrustedItemId(item.id, this.seen)) {
      this.seen.add(item.id);
      this.turn.streamedIds[index] = item.id;
      return false;
    }
    const id = gatewayItemId(item.type, this.turn.stem, index, 'out');
    if (typeof item.id === 'string') this.renames.set(item.id, id);
    item.id = id;
    this.seen.add(id);
    this.turn.streamedIds[index] = id;
    return true;
  }

  /** Re-serialises the event only when `change` changed it. */
  private edit(data: string, change: (ev: Json) => boolean): string {
    let ev: unknown;
    try {
      ev = JSON.parse(data);
    } catch {
      return data;
    }
    if (!isJson(ev) || !change(ev)) return data;
    this.serialised = true;
    return JSON.stringify(ev);
  }
}

const ITEM_KEY = '"item"';
const ID_KEY = '"id"';
const OUTPUT_INDEX_KEY = '"output_index"';

/**
 * The id of an `output_item.added` event's item found by searching the text, not walking it,
 * where the event plainly allows it (else null: the caller walks it): no backslash anywhere (no
 * escaped key could spell one of these keys, no escaped quote ends a string early), `"item"` once
 * in the event and as `"item":{` at the top level, the id the item's first member and `"id"`
 * nowhere after it (JSON.parse keeps a key's last value), and `"output_index"` at most once, at the
 * top level. Keys are searched without their colon, so that one spaced before it (`"id" :`) is
 * still seen; a string value that spells a key only sends the event to the walk. `at[0]` and
 * `at[1]` become where the output index's value starts and ends (-1: absent). stringAt, which
 * copies (ids are longer than the strings it slices): the id outlives the stream (the stored
 * Response and the cache keep it), and a slice would keep the whole upstream chunk alive.
 */
function firstItemId(data: string, at: number[]): string | null {
  if (data.indexOf('\\') !== -1) return null;
  const item = uniqueObjectAt(data, 'item', 1);
  if (item === -1 || data.indexOf(ITEM_KEY, data.indexOf(ITEM_KEY) + ITEM_KEY.length) !== -1) return null;
  if (!data.startsWith(ID_KEY, item + 1) || data.charCodeAt(item + 1 + ID_KEY.length) !== COLON) return null;
  const open = item + 2 + ID_KEY.length;
  if (data.charCodeAt(open) !== QUOTE) return null;
  const close = data.indexOf('"', open + 1);
  if (close === -1 || data.indexOf(ID_KEY, close) !== -1) return null;
  const key = data.indexOf(OUTPUT_INDEX_KEY);
  at[0] = at[1] = -1;
  if (key !== -1) {
    if (data.indexOf(OUTPUT_INDEX_KEY, key + OUTPUT_INDEX_KEY.length) !== -1 || depthAt(data, key) !== 1) return null;
    const colon = skipSpace(data, key + OUTPUT_INDEX_KEY.length);
    if (data.charCodeAt(colon) !== COLON) return null;
    // The value's span as the walk (findMembers) gives it: the caller reads a number from it.
    const start = skipSpace(data, colon + 1);
    const end = valueEnd(data, start);
    if (end === -1) return null;
    at[0] = start;
    at[1] = end;
  }
  return stringAt(data, open, close + 1) ?? null;
}

/**
 * Compared, not looked up in a Set: most events are deltas, whose type (a new string each time)
 * a Set would hash, where a comparison stops at its length.
 */
function isStartEvent(type: string): boolean {
  return type === 'response.created' || type === 'response.in_progress' || type === 'response.queued';
}

/**
 * A start event's Response as an earlier stream's upstream wrote it, its members found
 * (findMembers): an upstream answering the same kind of request writes the same text again but
 * for the Response's id and creation time, and the state fields then go where they went in it,
 * found without walking the text again. Positions are from the Response's opening brace.
 */
interface StartTemplate {
  /** The text before the id's value, between it and `created_at`'s, and after that up to the closing brace (inclusive). */
  pieces: [string, string, string];
  /** Where the id's value (a string) and `created_at`'s (digits) start and end. */
  slots: [number, number, number, number];
  /** findMembers' spans of TEMPLATE_KEYS. */
  at: number[];
  close: number;
}

// The members whose values may differ from one stream's start events to another's, then the state fields.
const TEMPLATE_KEYS = ['id', 'created_at', 'previous_response_id', 'store', 'background'];
// Templates kept, the most recently made first: enough for a few kinds of request in turn.
const MAX_TEMPLATES = 4;
const templates: StartTemplate[] = [];

/**
 * withMembers of the Response at `start` with the state fields, from a template whose text the
 * Response's text is but for its id (a string without escapes) and `created_at` (digits): the
 * same members found at the same places, moved by the difference in those two values' lengths.
 * On a miss the text is walked once, and becomes a template if it can; undefined when it cannot.
 */
function fromTemplate(data: string, start: number, fields: StateFieldsText): { json: string; end: number } | undefined {
  for (let k = 0; k < templates.length; k++) {
    const edited = fromThisTemplate(data, start, fields, templates[k]);
    if (edited !== undefined) return edited;
  }
  const template = newTemplate(data, start);
  if (template === null) return undefined;
  templates.unshift(template);
  if (templates.length > MAX_TEMPLATES) templates.pop();
  return fromThisTemplate(data, start, fields, template);
}

function fromThisTemplate(data: string, start: number, fields: StateFieldsText, t: StartTemplate): { json: string; end: number } | undefined {
  const [before, between, after] = t.pieces;
  // Compared as slices (see onStart).
  const idAt = start + before.length;
  if (data.slice(start, idAt) !== before || data.charCodeAt(idAt) !== QUOTE) return undefined;
  const idClose = data.indexOf('"', idAt + 1);
  if (idClose === -1 || data.lastIndexOf('\\', idClose) > idAt) return undefined;
  const createdAt = idClose + 1 + between.length;
  if (data.slice(idClose + 1, createdAt) !== between) return undefined;
  let createdEnd = createdAt;
  while (isDigit(data.charCodeAt(createdEnd))) createdEnd++;
  if (createdEnd === createdAt || data.slice(createdEnd, createdEnd + after.length) !== after) return undefined;
  const [idStart, idEnd, createdStart, oldCreatedEnd] = t.slots;
  // Where a position of the template lies in this text: the slots' own ends move with their values.
  const idShift = idClose + 1 - start - idEnd;
  const shift = createdEnd - start - oldCreatedEnd;
  const moved = (p: number): number => {
    if (p === -1 || p <= idStart) return p === -1 ? -1 : start + p;
    if (p <= createdStart) return start + p + idShift;
    return start + p + shift;
  };
  const keys = fields.keys;
  const at: number[] = [];
  for (let k = 0; k < keys.length; k++) {
    const m = 2 * TEMPLATE_KEYS.indexOf(keys[k]);
    at.push(moved(t.at[m]), moved(t.at[m + 1]));
  }
  const close = moved(t.close);
  return { json: membersSet(data, start, close, keys, at, fields.values), end: close + 1 };
}

/** The Response at `start` as a template, when findMembers reads it and its id and `created_at` are plain enough to stand for others. */
function newTemplate(data: string, start: number): StartTemplate | null {
  const at: number[] = [];
  const close = findMembers(data, start, TEMPLATE_KEYS, at);
  if (close === -1) return null;
  const [idStart, idEnd, createdStart, createdEnd] = at;
  if (idStart === -1 || createdStart < idEnd || data.charCodeAt(idStart) !== QUOTE || data.lastIndexOf('\\', idEnd) > idStart) return null;
  for (let i = createdStart; i < createdEnd; i++) if (!isDigit(data.charCodeAt(i))) return null;
  const rel = (p: number) => (p === -1 ? -1 : p - start);
  return {
    pieces: [ownCopy(data.slice(start, idStart)), ownCopy(data.slice(idEnd, createdStart)), ownCopy(data.slice(createdEnd, close + 1))],
    slots: [idStart - start, idEnd - start, createdStart - start, createdEnd - start],
    at: at.map(rel),
    close: close - start,
  };
}
