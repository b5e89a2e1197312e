import type { CostBreakdown } from '@app/pricing';
import { closingBrace, isEmptyObjectAt, objectEnd, uniqueObjectAt } from '@app/providers';
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

/**
 * Appends `"extra_fields":{..., "chunk_index": N}` to an event's JSON text without
 * re-parsing it: the constant part is serialised once per stream.
 */
export class EventFieldInjector {
  private readonly prefix: string;

  constructor(extra: ExtraFields) {
    const json = JSON.stringify(extra);
    this.prefix = `${PREFIX_KEY}${json.slice(0, -1)},"chunk_index":`;
  }

  /** `extra_fields` as JSON with the latency and chunk index of the terminal event. */
  terminalFields(latency: number, chunkIndex: number): string {
    return `${this.prefix.slice(PREFIX_KEY.length)}${chunkIndex},"latency":${latency}}`;
  }

  inject(data: string, chunkIndex: number): string {
    const end = data.length - 1;
    // Only a JSON object can take another field; anything else passes as it came.
    if (end < 2 || data.charCodeAt(end) !== 125 /* } */) return data;
    return data.slice(0, end) + this.prefix + chunkIndex + '}}';
  }
}

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/**
 * The Response object's JSON with `extra_fields` set. A pass-through upstream body gets the
 * field spliced in before its closing brace, sparing a re-serialisation of the whole response;
 * anything else (a translated response, or a body that already has the field) is serialised.
 */
export function responseWithExtraFields(
  response: Record<string, unknown>,
  upstreamJson: string | undefined,
  extra: ExtraFields,
  cost: CostBreakdown | null = null,
): string {
  if (cost !== null && upstreamJson !== undefined) {
    const usage = response.usage;
    if (typeof usage !== 'object' || usage === null) cost = null;
    else upstreamJson = withUsageCost(upstreamJson, cost);
  }
  if (upstreamJson !== undefined && !Object.hasOwn(response, 'extra_fields')) {
    let end = upstreamJson.length - 1;
    while (end > 0 && isJsonSpace(upstreamJson.charCodeAt(end))) end--;
    if (upstreamJson.charCodeAt(end) === 125 /* } */) {
      let last = end - 1;
      while (last > 0 && isJsonSpace(upstreamJson.charCodeAt(last))) last--;
      const separator = upstreamJson.charCodeAt(last) === 123 /* { */ ? '' : ',';
      return `${upstreamJson.slice(0, end)}${separator}"extra_fields":${JSON.stringify(extra)}}`;
    }
  }
  return JSON.stringify(withExtraFields(response, extra, cost));
}

/** The Response object with `extra_fields` and `usage.cost` set (for serialising, or for another format's encoder). */
export function withExtraFields(response: Record<string, unknown>, extra: ExtraFields, cost: CostBreakdown | null): Record<string, unknown> {
  const usage = response.usage;
  if (cost !== null && typeof usage === 'object' && usage !== null) (usage as Record<string, unknown>).cost = cost;
  response.extra_fields = extra;
  return response;
}

const USAGE_KEY = '"usage":{';

/**
 * Puts `"cost":{...}` first inside the response's `usage` object, by splicing, when the key
 * occurs exactly once in the text (as the Response object's own field); else undefined, and
 * the caller serialises the object instead.
 */
function withUsageCost(json: string, cost: CostBreakdown): string | undefined {
  const at = json.indexOf(USAGE_KEY);
  if (at === -1 || json.indexOf(USAGE_KEY, at + 1) !== -1) return undefined;
  let next = at + USAGE_KEY.length;
  while (isJsonSpace(json.charCodeAt(next))) next++;
  const separator = json.charCodeAt(next) === 125 /* } */ ? '' : ',';
  const insertAt = at + USAGE_KEY.length;
  return `${json.slice(0, insertAt)}"cost":${JSON.stringify(cost)}${separator}${json.slice(insertAt)}`;
}

/**
 * A stream's terminal event with the gateway's fields spliced into its text: `extra_fields` on
 * the event and on its `response`, and `usage.cost`. Undefined when the text is not plainly
 * shaped for it (no single `response` object at the top, `extra_fields` or a cost already
 * there, more than one `usage`): the caller then parses and re-serialises the event.
 */
export function spliceTerminalEvent(data: string, fieldsJson: string, cost: CostBreakdown | null, usageAt?: number): string | undefined {
  const end = closingBrace(data);
  if (end === -1 || data.includes('"extra_fields":')) return undefined;
  const response = uniqueObjectAt(data, 'response', 1);
  if (response === -1) return undefined;
  let usage = -1;
  if (cost !== null && data.includes('"usage":{')) {
    // The translator may have found it already (`usageAt`), with the same checks.
    usage = usageAt ?? uniqueObjectAt(data, 'usage', 2);
    if (usage === -1) return undefined;
    const usageEnd = objectEnd(data, usage);
    if (usageEnd === -1 || data.slice(usage, usageEnd).includes('"cost":')) return undefined;
  }
  let out = data.slice(0, response + 1) + '"extra_fields":' + fieldsJson + (isEmptyObjectAt(data, response) ? '' : ',');
  let from = response + 1;
  if (usage !== -1) {
    out += data.slice(from, usage + 1) + '"cost":' + JSON.stringify(cost) + (isEmptyObjectAt(data, usage) ? '' : ',');
    from = usage + 1;
  }
  return out + data.slice(from, end) + ',"extra_fields":' + fieldsJson + data.slice(end);
}
