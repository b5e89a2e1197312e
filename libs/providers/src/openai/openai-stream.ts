import { JSON_BYTE } from '@app/common';
import type { ResponsesStreamEvent, SseEvent, StreamTranslator, TerminalEventAt, TerminalStatus, Usage, UpstreamErrorInfo } from '../types';
import { RESPONSE_MEMBERS, ZERO_USAGE } from '../types';
import { errorEventFields } from '../responses/response-builder';
import { ANY_DEPTH, depthAt, indexOfAfter, objectEnd, uniqueObjectsAt } from '../responses/json-text';
import { scanTerminalEvent, type ValueChecked } from '../responses/response-scan';
import { compactUsageFromText, type UsageText, usageFromResponses, usageFromText } from './openai-usage';

/**
 * The status a terminal event's type ends the stream with. Compared, not looked up in a Map:
 * each event's type is a fresh string, which a Map would hash, where a comparison mostly stops
 * at the length.
 */
function terminalStatus(type: string): TerminalStatus | undefined {
  switch (type) {
    case 'response.completed':
      return 'completed';
    case 'response.incomplete':
      return 'incomplete';
    case 'response.failed':
      return 'failed';
    case 'error':
      return 'error';
    default:
      return undefined;
  }
}

const USAGE = 2 * RESPONSE_MEMBERS.indexOf('usage');
const { OPEN_BRACE } = JSON_BYTE;

// The terminal event's Response, and that Response's own usage (its depth checked from its end by readUsage).
const RESPONSE_AND_USAGE = ['response', 'usage'];
const RESPONSE_AND_USAGE_DEPTHS = [1, ANY_DEPTH];

/**
 * Providers that speak the Responses API already send the exact event sequence, so events
 * pass through untouched: only the terminal one is parsed, for usage and errors.
 */
export class ResponsesPassthroughTranslator implements StreamTranslator {
  terminal: TerminalStatus | null = null;
  usage: Usage = ZERO_USAGE;
  streamError: UpstreamErrorInfo | null = null;
  streamedChars = 0;
  readonly passesText = true;
  /**
   * What a `response.failed` of our own needs, kept as the upstream's text and parsed only
   * if the stream fails: the `response.created` event and each finished item.
   */
  private created: string | null = null;
  private readonly doneItems: string[] = [];
  private events = 0;
  /** Where uniqueObjectsAt puts what it found. */
  private readonly at: number[] = [];
  /** The usage usageChecked read in this terminal event, and where it starts. */
  private usageRead: UsageText | undefined = undefined;
  private usageReadAt = -1;
  /**
   * scanTerminalEvent's check of the usage's text (ValueChecked), the usage read there kept:
   * read by the pattern, which checks its whole text, the usage is not walked as well.
   */
  private readonly usageChecked: ValueChecked = (text, start, end) => {
    const read = compactUsageFromText(text, start);
    if (read === undefined || read.end !== end) return false;
    this.usageRead = read;
    this.usageReadAt = start;
    return true;
  };

  constructor(
    /** The caller parses the terminal event whole anyway (CallContext.needsResponse): it is parsed here, once, and handed over. */
    private readonly needsResponse = false,
    /** The caller stores the Response as text (CallContext.memberSpans): the terminal event is walked for it here, once, and the walk handed over. */
    private readonly memberSpans = false,
  ) {}

  push(ev: SseEvent): ResponsesStreamEvent[] {
    const data = ev.data;
    if (data === '[DONE]') return [];
    // OpenAI names every event; some compatible servers only put the type inside the JSON.
    const type = ev.event ?? typeFromData(data);
    if (type === null) return [];
    this.events++;
    // The deltas first: most events are deltas, and no terminal type ends so.
    if (isDeltaType(type)) {
      this.streamedChars += deltaLength(data);
      return [{ type, data, head: ev.head }];
    }
    const terminal = terminalStatus(type);
    if (terminal === undefined) {
      if (type === 'response.output_item.done') this.doneItems.push(data);
      else if (type === 'response.created') this.created = data;
      return [{ type, data, head: ev.head }];
    }
    if (terminal === 'error') return this.onError(data);
    const finished = terminal === 'completed' || terminal === 'incomplete';
    const at = finished && !this.needsResponse ? (this.memberSpans ? this.readStored(terminal, data) : this.readUsage(terminal, data)) : null;
    if (at !== null) return [{ type, data, at, head: ev.head }];
    const parsed = this.onTerminal(terminal, data);
    // Text that is not JSON still reports the usage it shows plainly.
    if (parsed === undefined && finished && this.needsResponse) this.readUsage(terminal, data);
    return [{ type, data, parsed }];
  }

  abort(err: { message: string; code: string }): ResponsesStreamEvent[] {
    return this.failWith({ message: err.message, code: err.code, type: 'server_error', param: null }, this.events);
  }

  /**
   * An upstream `error` event. Once the response started, the Open Responses spec wants every
   * stream error followed by `response.failed`, which OpenAI's stream does not always send:
   * the gateway adds it. The event itself carries the error both flat and nested.
   */
  private onError(data: string): ResponsesStreamEvent[] {
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(data) as Record<string, unknown>;
    } catch {
      // not JSON: reported with a generic message
    }
    const nested = typeof parsed.error === 'object' && parsed.error !== null ? (parsed.error as Record<string, unknown>) : parsed;
    const pick = (field: string): string | null => {
      const v = parsed[field] ?? nested[field];
      return typeof v === 'string' ? v : null;
    };
    // A flat event's `type` is the event's own ('error'); only a nested error has an error type.
    const errorType = nested !== parsed && typeof nested.type === 'string' ? nested.type : null;
    this.streamError = { message: pick('message') ?? 'upstream stream error', type: errorType, code: pick('code'), param: pick('param') };
    this.terminal = this.created === null ? 'error' : 'failed';
    const seq = typeof parsed.sequence_number === 'number' ? parsed.sequence_number : this.events - 1;
    return this.failWith(this.streamError, seq);
  }

  /** `error` at `seq`, then `response.failed` when a response was created. */
  private failWith(err: UpstreamErrorInfo, seq: number): ResponsesStreamEvent[] {
    const fields = errorEventFields({ message: err.message, code: err.code ?? 'server_error', type: err.type, param: err.param });
    const error = { type: 'error', sequence_number: seq, ...fields };
    const out: ResponsesStreamEvent[] = [{ type: 'error', data: JSON.stringify(error), parsed: error }];
    const response = this.failedResponse(err);
    if (response !== null) {
      const failed = { type: 'response.failed', sequence_number: seq + 1, response };
      out.push({ type: 'response.failed', data: JSON.stringify(failed), parsed: failed });
    }
    return out;
  }

  /** The created response, failed, with the items finished so far. */
  private failedResponse(err: UpstreamErrorInfo): Record<string, unknown> | null {
    if (this.created === null) return null;
    try {
      const response = (JSON.parse(this.created) as { response?: Record<string, unknown> }).response;
      if (typeof response !== 'object' || response === null) return null;
      const output = this.doneItems.map((d) => (JSON.parse(d) as { item?: unknown }).item).filter((i) => i != null);
      return { ...response, status: 'failed', completed_at: null, error: { code: err.code ?? 'server_error', message: err.message }, output, usage: null };
    } catch {
      return null;
    }
  }

  /**
   * A finished response needs only its usage: that object alone is cut out of the text and
   * parsed, which spares parsing the whole Response (output included) on every stream. Returns
   * where it and the response lie (the relay splices the event there), or null when the text does
   * not show the usage plainly (then the event is parsed).
   */
  private readUsage(status: TerminalStatus, data: string): TerminalEventAt | null {
    const at = this.at;
    uniqueObjectsAt(data, RESPONSE_AND_USAGE, RESPONSE_AND_USAGE_DEPTHS, at);
    const usage = at[1];
    if (usage === -1) return null;
    // Written as OpenAI writes it, the usage is read, and its end found, in one walk.
    const read = usageFromText(data, usage);
    const usageEnd = read === undefined ? objectEnd(data, usage) : read.end;
    // The Response's own usage, at depth 2. Counted at the object's end, the same depth as at its
    // key: from the end of the event, where OpenAI writes the usage, that scan skips the object.
    if (usageEnd === -1 || depthAt(data, usageEnd) !== 2) return null;
    try {
      this.usage = read === undefined ? usageFromResponses(JSON.parse(data.slice(usage, usageEnd))) : read.usage;
    } catch {
      return null;
    }
    this.terminal = status;
    return { response: at[0], usage, usageEnd };
  }

  /**
   * readUsage for a Response stored as text: the event walked whole as storing needs it
   * (scanTerminalEvent), the usage read at the span the walk found, and the walk handed on
   * (`stored`). When the walk cannot read the event, readUsage, marked so (`stored` null).
   */
  private readStored(status: TerminalStatus, data: string): TerminalEventAt | null {
    // Not an earlier terminal event's read (the same translator given another): only this one's.
    this.usageRead = undefined;
    const stored = scanTerminalEvent(data, this.usageChecked);
    if (stored === null) {
      const at = this.readUsage(status, data);
      if (at !== null) at.stored = null;
      return at;
    }
    const { start, members } = stored;
    const usage = members[USAGE];
    // The walk checked the text: any value's slice parses. Anything but an object reads as no usage, as usageFromResponses reads it.
    const object = usage !== -1 && data.charCodeAt(usage) === OPEN_BRACE;
    const usageEnd = object ? members[USAGE + 1] : -1;
    // The checked read is taken only where the walk puts the usage. Defensive: the slot usageChecked
    // was given always starts there (a template that matched reads as the walk would), so no spec
    // can reach the other case.
    const read = object ? (this.usageReadAt === usage && this.usageRead !== undefined ? this.usageRead : usageFromText(data, usage)) : undefined;
    this.usage = read !== undefined ? read.usage : usageFromResponses(object ? JSON.parse(data.slice(usage, usageEnd)) : null);
    this.terminal = status;
    return { response: start, usage: object ? usage : -1, usageEnd, stored };
  }

  /** Reads usage and errors off the terminal event, parsed whole; returns it parsed, if it is JSON. */
  private onTerminal(status: TerminalStatus, data: string): Record<string, unknown> | undefined {
    this.terminal = status;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const response = parsed.response as Record<string, unknown> | undefined;
    this.usage = usageFromResponses(response?.usage);
    if (status === 'failed') {
      const err = response?.error as Record<string, unknown> | null | undefined;
      this.streamError = {
        message: typeof err?.message === 'string' ? err.message : 'upstream response failed',
        type: null,
        code: typeof err?.code === 'string' ? err.code : null,
        param: null,
      };
    }
    return parsed;
  }
}

/**
 * `type.endsWith('.delta')`, compared in place from the last letter: endsWith is a call into a
 * builtin, which most of a stream's events (its deltas) would make.
 */
export function isDeltaType(type: string): boolean {
  const n = type.length;
  return (
    n >= 6 &&
    type.charCodeAt(n - 1) === 97 /* a */ &&
    type.charCodeAt(n - 2) === 116 /* t */ &&
    type.charCodeAt(n - 3) === 108 /* l */ &&
    type.charCodeAt(n - 4) === 101 /* e */ &&
    type.charCodeAt(n - 5) === 100 /* d */ &&
    type.charCodeAt(n - 6) === 46 /* . */
  );
}

function typeFromData(data: string): string | null {
  try {
    const t = (JSON.parse(data) as { type?: unknown }).type;
    return typeof t === 'string' ? t : null;
  } catch {
    return null;
  }
}

/** Length of the `delta` string in an event's JSON, found without parsing it (escapes count as written). */
function deltaLength(data: string): number {
  const key = indexOfAfter(data, '"', 'delta":"', 0);
  if (key === -1) return 0;
  const start = key + 9;
  let i = start;
  while (i < data.length) {
    const c = data.charCodeAt(i);
    if (c === 92 /* \ */) i += 2;
    else if (c === 34 /* " */) break;
    else i++;
  }
  return i - start;
}
