// Per-request imports from their own modules: a barrel's re-export is a getter, megamorphic across its names.
import type { CostBreakdown } from '@app/pricing/price-spec';
import { usageCostJson } from '@app/pricing/pricing';
import { closingBrace, firstNonSpace, indexOfAfter, isEmptyObjectAt, objectEnd, uniqueObjectAt } from '@app/providers/responses/json-text';
import { dataLines, sseFrame } from '@app/providers/sse/sse-parser';
import type { ParsedResponse, TerminalEventAt } from '@app/providers/types';
import type { RequestType } from '../formats/wire-format';
import type { Candidate } from '../routing/route-planner.service';

/** The gateway's additions to every Response object and stream event (`extra_fields`). */
export interface ExtraFields {
  request_type: RequestType;
  provider: string;
  model_requested: string;
  model_deployment: string;
  fallback_index: number;
  latency?: number;
  chunk_index?: number;
  cache_debug: null;
  /** Tools the request offered that this provider has no equivalent for, left out (absent when none). */
  dropped_tools?: string[];
  /** Only with `x-bf-send-raw: true` from a key allowed to see them. */
  raw_request?: unknown;
  raw_response?: unknown;
}

export function extraFields(requestType: RequestType, c: Candidate, modelRequested: string, fallbackIndex: number, droppedTools?: string[]): ExtraFields {
  const extra: ExtraFields = {
    request_type: requestType,
    provider: c.provider.name,
    model_requested: modelRequested,
    model_deployment: c.upstreamModel,
    fallback_index: fallbackIndex,
    cache_debug: null,
  };
  if (droppedTools !== undefined && droppedTools.length > 0) extra.dropped_tools = droppedTools;
  return extra;
}

const PREFIX_KEY = ',"extra_fields":';
/** Whether a text is ASCII: its UTF-8 is as long as it. */
const isAsciiText = (text: string): boolean => Buffer.byteLength(text) === text.length;
// Chunk indices whose frame tails are kept (FrameText.tails): a stream's first events.
const KEPT_TAILS = 64;

/** What EventFieldInjector writes into every frame, made once per fields' JSON (kept in frameTexts). */
class FrameText {
  /** `,"extra_fields":` and the fields' JSON up to the chunk index. */
  readonly prefix: string;
  /** The fields' JSON is ASCII. */
  readonly ascii: boolean;
  /** `tail(i)` for the first indices, each a flat string (a rope's pieces are walked at every write). */
  private readonly tails: string[] = [];

  constructor(
    /** The fields' JSON. */
    readonly json: string,
  ) {
    this.prefix = `${PREFIX_KEY}${json.slice(0, -1)},"chunk_index":`;
    this.ascii = isAsciiText(json);
  }

  /** What follows an event's JSON less its closing brace: the fields with `chunk_index`, both braces, the frame's blank line. */
  tail(chunkIndex: number): string {
    const tails = this.tails;
    if (chunkIndex < tails.length) return tails[chunkIndex];
    const text = this.prefix + chunkIndex + '}}\n\n';
    if (chunkIndex === tails.length && chunkIndex < KEPT_TAILS) tails.push(Buffer.from(text).toString());
    return text;
  }
}

/**
 * Appends `"extra_fields":{..., "chunk_index": N}` to an event's JSON text without
 * re-parsing it: the constant part is serialised once per stream, or kept by its JSON (frameText).
 */
export class EventFieldInjector {
  private readonly text: FrameText;
  /** The fields' JSON is ASCII. */
  readonly ascii: boolean;

  constructor(
    /** The fields as an object, for events that are parsed (another format's, a terminal event that must change). */
    readonly extra: ExtraFields,
    /** What `JSON.stringify(extra)` writes, when already made. */
    text: FrameText | string = JSON.stringify(extra),
  ) {
    this.text = typeof text === 'string' ? new FrameText(text) : text;
    this.ascii = this.text.ascii;
  }

  /** `extra_fields` as JSON with the latency and chunk index of the terminal event. */
  terminalFields(latency: number, chunkIndex: number): string {
    return `${this.text.prefix.slice(PREFIX_KEY.length)}${chunkIndex},"latency":${latency}}`;
  }

  /**
   * The event's SSE frame, its JSON given `extra_fields`, built in one concatenation; from the
   * upstream's own text (`head`, SseEvent.head of this type and data) when it has it.
   */
  frame(type: string, data: string, chunkIndex: number, head?: string): string {
    const end = data.length - 1;
    // Only a JSON object can take another field; anything else passes as it came.
    if (end < 2 || data.charCodeAt(end) !== 125 /* } */) return sseFrame(type, data);
    // One line of data has no newline for dataLines to split.
    if (head !== undefined) return head + this.text.tail(chunkIndex);
    return 'event: ' + type + '\ndata: ' + dataLines(data.slice(0, end)) + this.text.tail(chunkIndex);
  }
}

// The JSON of a candidate's `extra_fields`, for the last request it answered.
interface FieldsText {
  requestType: RequestType;
  modelRequested: string;
  fallbackIndex: number;
  /** `JSON.stringify(extraFields(...))` without dropped tools. */
  json: string;
  /** The text up to the latency of a JSON answer's `extra_fields`. */
  answer: string;
  /** `json` is ASCII. */
  ascii: boolean;
}

const texts = new WeakMap<Candidate, FieldsText>();
// Frame texts kept at once: a few per candidate that streams (its primary and fallback fields,
// aliases of its model). A candidate holds one of its own only by this bound: the planner keeps
// thousands of candidates, for model names a client chooses.
const MAX_FRAME_TEXTS = 64;
/** Frame texts by their fields' JSON, cleared when full. */
const frameTexts = new Map<string, FrameText>();

function frameText(json: string): FrameText {
  let text = frameTexts.get(json);
  if (text === undefined) {
    if (frameTexts.size >= MAX_FRAME_TEXTS) frameTexts.clear();
    frameTexts.set(json, (text = new FrameText(json)));
  }
  return text;
}

/** How many frame texts are kept (for specs: MAX_FRAME_TEXTS at most). */
export function keptFrameTexts(): number {
  return frameTexts.size;
}

/**
 * The JSON of extraFields(...) without dropped tools: all but the request's own latency and
 * chunk index is the same for every answer of a candidate, so its text is kept with the candidate.
 */
function fieldsText(requestType: RequestType, c: Candidate, modelRequested: string, fallbackIndex: number): FieldsText {
  let text = texts.get(c);
  if (text === undefined || text.requestType !== requestType || text.modelRequested !== modelRequested || text.fallbackIndex !== fallbackIndex) {
    const json = JSON.stringify(extraFields(requestType, c, modelRequested, fallbackIndex));
    text = { requestType, modelRequested, fallbackIndex, json, answer: `${json.slice(0, -1)},"latency":`, ascii: isAsciiText(json) };
    texts.set(c, text);
  }
  return text;
}

/** `JSON.stringify` of extraFields(...) (no dropped tools) with `latency` set. */
export function extraFieldsJson(requestType: RequestType, c: Candidate, modelRequested: string, fallbackIndex: number, latency: number): string {
  return `${fieldsText(requestType, c, modelRequested, fallbackIndex).answer}${latency}}`;
}

/** Whether extraFieldsJson(...) is ASCII (whatever the latency). */
export function extraFieldsAscii(requestType: RequestType, c: Candidate, modelRequested: string, fallbackIndex: number): boolean {
  return fieldsText(requestType, c, modelRequested, fallbackIndex).ascii;
}

/** A stream's injector of extraFields(...), its text taken from the candidate's when no tools were dropped. */
export function eventFieldInjector(requestType: RequestType, c: Candidate, modelRequested: string, fallbackIndex: number, droppedTools?: string[]): EventFieldInjector {
  const extra = extraFields(requestType, c, modelRequested, fallbackIndex, droppedTools);
  if (extra.dropped_tools !== undefined) return new EventFieldInjector(extra);
  return new EventFieldInjector(extra, frameText(fieldsText(requestType, c, modelRequested, fallbackIndex).json));
}

// usageAt of a body whose usage object is not where the text can say (it is spelled twice, or spaced).
const USAGE_UNPLACED = -2;

/**
 * The Response object's JSON as the upstream sent it, with `extra_fields` (`fieldsJson`) and
 * `usage.cost` spliced in, sparing a parse and a re-serialisation of the whole response.
 * Undefined when there is no such text (a translated response) or it cannot take them (it
 * already has `extra_fields`, or a cost has no place): the caller serialises the object.
 */
export function splicedResponse(parsed: ParsedResponse, fieldsJson: string, cost: CostBreakdown | null): string | undefined {
  const json = parsed.json;
  if (json === undefined) return undefined;
  const usageAt = parsed.usageAt ?? usageAtOf(parsed.response, json);
  if (usageAt === undefined || (cost !== null && usageAt === USAGE_UNPLACED)) return undefined;
  const end = closingBrace(json);
  if (end === -1) return undefined;
  const separator = isEmptyObjectAt(json, firstNonSpace(json)) ? '' : ',';
  const tail = `${separator}"extra_fields":${fieldsJson}}`;
  if (cost === null || usageAt < 0) return json.slice(0, end) + tail;
  // `cost` goes first inside `usage`; a usage with a cost of its own is left to the object path,
  // which replaces it (two `cost` keys would leave clients the upstream's).
  const inside = usageAt + 1;
  const costKey = indexOfAfter(json, '"', 'cost"', inside);
  if (costKey !== -1 && costKey < (parsed.usageEnd ?? objectEnd(json, usageAt))) return undefined;
  const costJson = `"cost":${usageCostJson(cost)}${isEmptyObjectAt(json, usageAt) ? '' : ','}`;
  return json.slice(0, inside) + costJson + json.slice(inside, end) + tail;
}

const USAGE_KEY = '"usage":{';

/**
 * usageAt of a parsed body whose adapter did not walk its text: -1 without a usage object,
 * undefined when the body has `extra_fields` already. The usage object is placed by its key
 * occurring exactly once in the text.
 */
function usageAtOf(response: Record<string, unknown>, json: string): number | undefined {
  if (Object.hasOwn(response, 'extra_fields')) return undefined;
  const usage = response.usage;
  if (typeof usage !== 'object' || usage === null) return -1;
  const at = json.indexOf(USAGE_KEY);
  if (at === -1 || json.indexOf(USAGE_KEY, at + 1) !== -1) return USAGE_UNPLACED;
  return at + USAGE_KEY.length - 1;
}

/** The Response object with `extra_fields` and `usage.cost` set (for serialising, or for another format's encoder). */
export function withExtraFields(response: Record<string, unknown>, extra: ExtraFields, cost: CostBreakdown | null): Record<string, unknown> {
  const usage = response.usage;
  if (cost !== null && typeof usage === 'object' && usage !== null) (usage as Record<string, unknown>).cost = cost;
  response.extra_fields = extra;
  return response;
}

/**
 * A stream's terminal event with the gateway's fields spliced into its text: `extra_fields` on
 * the event and on its `response`, and `usage.cost`. Undefined when the text is not plainly
 * shaped for it (no single `response` object at the top, `extra_fields` or a cost already
 * there, more than one `usage`): the caller then parses and re-serialises the event. `at`: what
 * the translator found in the text already, with the same checks (it is not searched again).
 */
export function spliceTerminalEvent(data: string, fieldsJson: string, cost: CostBreakdown | null, at?: TerminalEventAt): string | undefined {
  const end = closingBrace(data);
  if (end === -1 || indexOfAfter(data, '"e', 'xtra_fields":', 0) !== -1) return undefined;
  const response = at === undefined ? uniqueObjectAt(data, 'response', 1) : at.response;
  if (response === -1) return undefined;
  let usage = -1;
  if (cost !== null && (at !== undefined || data.includes('"usage":{'))) {
    usage = at === undefined ? uniqueObjectAt(data, 'usage', 2) : at.usage;
    if (usage === -1) return undefined;
    const usageEnd = at === undefined ? objectEnd(data, usage) : at.usageEnd;
    if (usageEnd === -1) return undefined;
    const costKey = indexOfAfter(data, '"', 'cost":', usage);
    if (costKey !== -1 && costKey < usageEnd) return undefined;
  }
  let out = data.slice(0, response + 1) + '"extra_fields":' + fieldsJson + (isEmptyObjectAt(data, response) ? '' : ',');
  let from = response + 1;
  if (usage !== -1) {
    out += data.slice(from, usage + 1) + '"cost":' + usageCostJson(cost!) + (isEmptyObjectAt(data, usage) ? '' : ',');
    from = usage + 1;
  }
  return out + data.slice(from, end) + ',"extra_fields":' + fieldsJson + data.slice(end);
}
