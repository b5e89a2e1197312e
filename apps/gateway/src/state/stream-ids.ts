import { JSON_BYTE } from '@app/common';
import { depthAt, findMembers, firstNonSpace, membersSet, ownCopy, skipSpace, stringAt, uniqueObjectAt, valueEnd, withMembers } from '@app/providers';
import { digitsEnd, matchTemplate, movedAll, moves, sequenceSlot, type Slot, SlotKind, slotTemplate, TemplateList, type TextTemplate } from '@app/providers/responses/text-template';
import { gatewayItemId, isJson, isTrustedItemId, type Json } from './stored-response';
import type { Turn } from '../conversation/turn';

/** The state fields' keys, in the order stateFieldsText writes them. */
export const STATE_KEYS = ['id', 'previous_response_id', 'store', 'background'];

/** Members of a Response object as JSON text: `values[k]` is the value of `keys[k]` (some of STATE_KEYS). */
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
  /** The stream's first start event as edited, for the later ones (StartEcho). */
  private firstStart: StartEcho | null = null;
  /**
   * The last event rewritten was parsed and serialised again, not edited as text: JSON.stringify
   * writes the characters an upstream's escapes stand for, so what was ASCII may be no longer.
   * About the last call only: read it right after `rewrite`.
   */
  serialised = false;
  /** Start events edited as the stream's first was (StartEcho): for specs, which check that it is used. */
  echoed = 0;

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
    if (isStartEvent(type)) return this.onStart(type, data);
    if (isItemAdded(type)) return this.trustedItemAdded(data) ? data : this.edit(data, (ev) => this.onItemAdded(ev));
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

  private onStart(type: string, data: string): string {
    const echoed = this.firstStart?.of(type, data);
    if (echoed !== undefined) {
      this.echoed++;
      return echoed;
    }
    const fields = this.stateFields;
    const templated = fromStartTemplates(data, fields);
    if (templated !== undefined) return this.started(type, data, templated);
    const response = uniqueObjectAt(data, 'response', 1);
    if (response !== -1) {
      // Not while templates are made: then each start event (in_progress too, when the first
      // could not be echoed) is walked for its template, which later streams' match.
      const edited = (startTemplates.missed() ? startTemplateEdit(data, response, fields) : undefined) ?? withMembers(data, response, fields.keys, fields.values);
      if (edited !== undefined) return this.started(type, data, { response, end: edited.end, json: edited.json });
    }
    return this.edit(data, (ev) => isJson(ev.response) && (this.applyStateFields(ev.response), true));
  }

  /** A start event edited as text: `edit.json`, its Response with the state fields, in place of `[edit.response, edit.end)`; the first is kept for the later ones. */
  private started(type: string, data: string, edit: StartEdit): string {
    if (this.firstStart === null) this.firstStart = StartEcho.of(type, data, edit);
    return data.slice(0, edit.response) + edit.json + data.slice(edit.end);
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
    const first = itemIdFromTemplates(data, at) ?? firstItemId(data, at);
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
  const id = stringAt(data, open, close + 1) ?? null;
  if (id !== null && itemTemplates.missed()) keepItemTemplate(data, open, close + 1, at);
  return id;
}

/**
 * Compared, not looked up in a Set: most events are deltas, whose type (a new string each time)
 * a Set would hash, where a comparison stops at its length.
 */
function isStartEvent(type: string): boolean {
  return type === 'response.created' || type === 'response.in_progress' || type === 'response.queued';
}

/**
 * `type === 'response.output_item.added'`, told by its last letter first: the text deltas'
 * type (`response.output_text.delta`) is as long, and V8 compares two strings of one length
 * through a call into its runtime, which every delta of a stored stream would make.
 */
function isItemAdded(type: string): boolean {
  return type.length === ITEM_ADDED.length && type.charCodeAt(ITEM_ADDED.length - 1) === ITEM_ADDED_LAST && type === ITEM_ADDED;
}

const ITEM_ADDED = 'response.output_item.added';
const ITEM_ADDED_LAST = ITEM_ADDED.charCodeAt(ITEM_ADDED.length - 1);

// Templates (TextTemplate) of the events whose text is edited or read here, the values that may
// differ from one stream's events to another's as slots: the Response's id and creation time in the
// start events, the item's id and index in `output_item.added`, and each event's sequence number.

/** A start event as an earlier one was, with what findMembers found in its Response. */
interface StartTemplate {
  template: TextTemplate;
  /** Where the Response starts, its closing brace, then the spans of START_KEYS (in the template's text), as `moves` moves them. */
  moves: number[];
}

/** Where a StartTemplate's `moves` hold the spans of START_KEYS: after the Response's start and closing brace. */
const START_KEY_SPANS = 2;

const START_KEYS = [...STATE_KEYS, 'created_at'];
const CREATED_AT = 2 * STATE_KEYS.length;
// Each kind of request has two or three start events. Copied when added: a start event is short,
// and read once per stream. Exported for specs (TemplateList's `reset` and `matched`).
export const startTemplates = new TemplateList<StartTemplate>(8, true);

/** A start event's Response `[response, end)` and its text with the state fields (`json`). */
interface StartEdit {
  response: number;
  end: number;
  json: string;
}

/** onStart of an event that matches a template: the state fields spliced where the template says. */
function fromStartTemplates(data: string, fields: StateFieldsText): StartEdit | undefined {
  const spans: number[] = [];
  const edited = startTemplates.find((t) => {
    if (!matchTemplate(data, t.template, spans)) return null;
    const at = movedAll(t.moves, spans);
    const response = at[0];
    const close = at[1];
    return { response, end: close + 1, json: membersSet(data, response, close, fields.keys, keySpans(fields.keys, at, START_KEY_SPANS), fields.values) };
  });
  return edited ?? undefined;
}

/**
 * A stream's first start event as edited, for its later ones: OpenAI writes `response.created`
 * and `response.in_progress` alike but for the event's type and sequence number, around the same
 * Response. A later event whose text is the first's with only those values changed (its type the
 * one it is named, digits for digits: neither can change how the text reads, as `"response"` is
 * neither) reads as the first did, so its Response is replaced by the first's edit, with no
 * template matched or walk made. Anything else is read as the first was.
 */
class StartEcho {
  private constructor(
    /** The first event's text. */
    private readonly text: string,
    /** Where its type's text (between its quotes) starts and ends, and its sequence number's digits when it has one, in the order they come. */
    private readonly slots: readonly number[],
    /** Whether slots[0] is the type (else the sequence number). */
    private readonly typeFirst: boolean,
    private readonly edit: StartEdit,
  ) {}

  /** The echo of the first start event, when its type is plainly a string outside its Response; else null. */
  static of(type: string, data: string, edit: StartEdit): StartEcho | null {
    let typeAt = data.indexOf(type);
    if (typeAt + type.length > edit.response) typeAt = data.indexOf(type, edit.end);
    if (typeAt < 1 || data.charCodeAt(typeAt - 1) !== QUOTE || data.charCodeAt(typeAt + type.length) !== QUOTE) return null;
    const sequence = sequenceSlot(data, edit.response, edit.end);
    if (sequence === null) return new StartEcho(data, [typeAt, typeAt + type.length], true, edit);
    const typeFirst = typeAt < sequence[0];
    return new StartEcho(data, typeFirst ? [typeAt, typeAt + type.length, ...sequence] : [...sequence, typeAt, typeAt + type.length], typeFirst, edit);
  }

  /** The later start event `data` (of `type`) edited as the first was, or undefined when its text is not the first's echo. */
  of(type: string, data: string): string | undefined {
    const { text, slots, edit } = this;
    // Where the Response is in `data`: moved by the slots before it.
    let shift = 0;
    let at = 0;
    let from = 0;
    for (let k = 0; k < slots.length; k += 2) {
      const piece = text.slice(from, slots[k]);
      // Compared as slices: startsWith reads a sliced string several times slower.
      if (data.slice(at, at + piece.length) !== piece) return undefined;
      at += piece.length;
      let end: number;
      if ((k === 0) === this.typeFirst) {
        end = at + type.length;
        if (data.slice(at, end) !== type) return undefined;
      } else {
        end = digitsEnd(data, at);
        if (end === -1) return undefined;
      }
      if (slots[k] < edit.response) shift += end - at - (slots[k + 1] - slots[k]);
      at = end;
      from = slots[k + 1];
    }
    if (data.length - at !== text.length - from || data.slice(at) !== text.slice(from)) return undefined;
    return data.slice(0, edit.response + shift) + edit.json + data.slice(edit.end + shift);
  }
}

/**
 * withMembers of a start event's Response, walked for the template's members too, and kept as a
 * template when its id and times can be slots; undefined when that walk cannot read it.
 */
function startTemplateEdit(data: string, response: number, fields: StateFieldsText): { json: string; end: number } | undefined {
  const at: number[] = [];
  const close = findMembers(data, response, START_KEYS, at);
  if (close === -1) return undefined;
  if (at[0] !== -1) {
    const slots: Slot[] = [[at[0], at[1], SlotKind.String]];
    if (at[CREATED_AT] !== -1) slots.push([at[CREATED_AT], at[CREATED_AT + 1], SlotKind.Digits]);
    const sequence = sequenceSlot(data, response, close + 1);
    if (sequence !== null) slots.push([sequence[0], sequence[1], SlotKind.Digits]);
    const template = slotTemplate(data, slots);
    if (template !== null) startTemplates.add({ template, moves: moves([response, close, ...at], template) });
  }
  return { json: membersSet(data, response, close, fields.keys, keySpans(fields.keys, at), fields.values), end: close + 1 };
}

/** The spans of `keys` (some of START_KEYS) out of `at`, the spans of all START_KEYS from `from` on. */
function keySpans(keys: readonly string[], at: readonly number[], from = 0): number[] {
  const spans: number[] = [];
  for (let m = 0; m < keys.length; m++) {
    const i = from + 2 * START_KEYS.indexOf(keys[m]);
    spans.push(at[i], at[i + 1]);
  }
  return spans;
}

/** An `output_item.added` event as an earlier one was, read plainly (firstItemId): its item id is slot `id`, its output index slot `index` (-1: none). */
interface ItemTemplate {
  template: TextTemplate;
  id: number;
  index: number;
}

// Copied when added: the event is short, the item after a long one in the same read. Exported for
// specs (TemplateList's `reset` and `matched`).
export const itemTemplates = new TemplateList<ItemTemplate>(4, true);

/** firstItemId of an event that matches a template: the id's text is the string (it has no escapes), the index the digits there. */
function itemIdFromTemplates(data: string, at: number[]): string | null {
  const spans: number[] = [];
  return itemTemplates.find((t) => {
    if (!matchTemplate(data, t.template, spans)) return null;
    at[0] = t.index === -1 ? -1 : spans[2 * t.index];
    at[1] = t.index === -1 ? -1 : spans[2 * t.index + 1];
    // A copy, as stringAt's (the id outlives the stream).
    return ownCopy(data.slice(spans[2 * t.id] + 1, spans[2 * t.id + 1] - 1));
  });
}

/** Keeps an event firstItemId read (the id's string at `[open, end)`, the index at `at`) as a template, when its values can be slots. */
function keepItemTemplate(data: string, open: number, end: number, at: readonly number[]): void {
  const slots: Slot[] = [[open, end, SlotKind.String]];
  if (at[0] !== -1) slots.push([at[0], at[1], SlotKind.Digits]);
  const sequence = sequenceSlot(data);
  if (sequence !== null) slots.push([sequence[0], sequence[1], SlotKind.Digits]);
  const template = slotTemplate(data, slots);
  if (template === null) return;
  const order = template.spans;
  itemTemplates.add({ template, id: order.indexOf(open) / 2, index: at[0] === -1 ? -1 : order.indexOf(at[0]) / 2 });
}

