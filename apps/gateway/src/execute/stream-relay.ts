import type { ServerResponse } from 'node:http';
import { ErrorCode, internalErrorBody, isJson } from '@app/common';
import {
  type BodyConsumer,
  errorEventFields,
  type ResponsesRequest,
  type ResponsesStreamEvent,
  type StreamDecoder,
  SseParser,
  sseFrame,
  type StreamTranslator,
  type TerminalEventAt,
  internalFailure,
  UpstreamFailure,
  type UpstreamBody,
  type UpstreamResponse,
} from '@app/providers';
import type { CostBreakdown } from '@app/pricing';
import type { Cancellation } from '@app/providers';
import type { StreamEncoder } from '../formats/wire-format';
import type { Candidate } from '../routing/route-planner.service';
import { type EventFieldInjector, type ExtraFields, spliceTerminalEvent } from './extra-fields';

/** A stream whose first events have arrived: from here on it belongs to the client. */
export interface PrimedStream {
  candidate: Candidate;
  body: UpstreamBody;
  parser: StreamDecoder;
  translator: StreamTranslator;
  first: ResponsesStreamEvent[];
}

export interface RelayOutcome {
  /** Set when the stream did not finish well after bytes reached the client. */
  failure: UpstreamFailure | null;
  ttftMs: number | null;
  /** The gateway cut the stream off before its terminal event (its usage is then an estimate). */
  cutOff: boolean;
}

/** Any character past ASCII: a stream's text is written as Latin-1 only without one. */
export const NOT_ASCII = /[^\x00-\x7f]/;

/**
 * Compared, not looked up in a Set: most events are deltas, whose type (a new string each time) a
 * Set would hash. By length first: V8 calls out to compare a type that is a slice of the stream.
 */
function isTerminalType(type: string): boolean {
  switch (type.length) {
    case 18:
      return type === 'response.completed';
    case 19:
      return type === 'response.incomplete';
    case 15:
      return type === 'response.failed';
    default:
      return false;
  }
}

/**
 * Reads until the upstream produced its first event, so that a stream which fails before
 * anything reached the client can still be retried or fall back. `needsResponse`: the relay
 * will parse the terminal event (CallContext.needsResponse); `memberSpans`: it will store the
 * terminal Response as text (CallContext.memberSpans).
 */
export async function primeStream(up: UpstreamResponse, candidate: Candidate, body: ResponsesRequest, needsResponse = false, memberSpans = false): Promise<PrimedStream> {
  // SSE unless the provider frames its stream otherwise (Bedrock's binary event-stream).
  const parser = candidate.adapter.createStreamDecoder?.() ?? new SseParser();
  const translator = candidate.adapter.createStreamTranslator({ requestBody: body, upstreamModel: candidate.upstreamModel, needsResponse, memberSpans });
  for (;;) {
    const chunk = await up.body.next();
    if (chunk === null) throw new UpstreamFailure('truncated', 0, `${candidate.provider.name} ended the stream before its first event`);
    const first: ResponsesStreamEvent[] = [];
    const events = parser.push(chunk);
    for (let i = 0; i < events.length; i++) {
      const translated = translator.push(events[i]);
      for (let j = 0; j < translated.length; j++) first.push(translated[j]);
    }
    if (first.length === 0) continue;
    if (translator.streamError !== null && first.length === 1) {
      // The upstream failed before producing anything: nothing is lost by trying elsewhere.
      up.body.destroy();
      throw new UpstreamFailure('stream_error', 0, translator.streamError.message, translator.streamError);
    }
    return { candidate, body: up.body, parser, translator, first };
  }
}

/**
 * The end of a relayed stream, in one place: what the terminal event needs from the stages
 * after the relay (its priced usage; the stored turn settled before the client sees it).
 */
export interface StreamEnd {
  /** The terminal Response must be parsed (a stored turn's ids unless `settleText` takes it, the raw request); else it is spliced as text. */
  readonly needsResponse: boolean;
  /** `usage.cost` of the terminal event: the usage the stream reported, priced (null: not priced). */
  cost(): CostBreakdown | null;
  /**
   * The parsed terminal Response, the gateway's fields and cost already on it: finished (ids, raw
   * request) and, unless `failed` (the closing `response.failed` of a cut stream), settled
   * (budget, stored turn) before the event is written. Returns the Response's JSON when it had to
   * serialise it (a stored turn's text), which the terminal event then carries as it is.
   */
  settle(response: Record<string, unknown>, failed: boolean): string | null;
  /**
   * `settle` for a stored turn's terminal event as text (storedEvent), which the relay tries
   * first when it has the gateway's fields (`fieldsJson`) as text: the event's text, its turn
   * settled; undefined when the Response must be parsed (the relay then calls `settle`). `at`:
   * what the translator found in the text; `ascii`: `data` and `fieldsJson` are known to be ASCII.
   * It adds no newline to `data` (what it adds is JSON of the gateway's own).
   */
  settleText?(data: string, fieldsJson: string, at: TerminalEventAt | undefined, ascii: boolean): string | undefined;
  /** What settleText adds to the upstream's text besides `fieldsJson` (the turn's ids) is ASCII: the event stays as ASCII as the upstream's. */
  readonly settledAscii?: boolean;
  /** Rewrites a non-terminal event's JSON (the gateway's ids for stored responses). */
  rewrite?(type: string, data: string): string;
  /** The last `rewrite` added only ASCII to the upstream's text (ASCII ids spliced in): an ASCII event stays ASCII. */
  rewroteAscii?(): boolean;
  /** Clears upstream error text of credentials before the client sees it. */
  redact(text: string): string;
}

/** Where a stream goes: the client's connection, and when it left. */
export interface RelayTarget {
  res: ServerResponse;
  cancel: Cancellation;
  /** When the request arrived (latency and time to first token count from here). */
  t0: number;
  /** Named by the generic internal error a stream that the gateway's own fault cut off ends with. */
  requestId: string;
}

/**
 * Relays a primed stream to the client as events arrive. In the canonical format each event
 * keeps its upstream JSON and gains `extra_fields` by string splicing, and only a terminal event
 * that must change is re-serialised; another format's encoder gets each event parsed. A stream
 * that breaks off ends with an `error` event, then `response.failed` once the response had
 * started (Open Responses); one cut off by the gateway's own fault (a settle or an encoder
 * throwing) ends with the generic internal error, its outcome's failure `internal`. Resolves once
 * the client's answer has ended; a fault of the gateway's own that leaves the answer unfinished (a
 * settle throwing while the stream is closed) rejects instead, the answer left as it is for the
 * caller to destroy.
 */
export function relayStream(
  target: RelayTarget,
  primed: PrimedStream,
  fields: EventFieldInjector,
  headers: Record<string, string>,
  end: StreamEnd,
  /** Null: the canonical format, relayed as text. */
  encoder: StreamEncoder | null,
): Promise<RelayOutcome> {
  return new Promise((resolve, reject) => {
    new StreamRelay(target, primed, fields, end, encoder, resolve, reject).start(headers);
  });
}

/**
 * One stream's relay, driven by its upstream body (`UpstreamBody.pipe`): each chunk's frames are
 * written from the executor's socket callback, as a bare proxy writes them, with no promise per
 * chunk. While the client's socket is full the upstream is held, until the socket drains. A
 * client that leaves meanwhile is heard through the body (its Cancellation aborts the upstream).
 */
class StreamRelay implements BodyConsumer {
  private readonly writer: EventWriter;
  /** The 'drain' listener, made at the stream's first full write and kept to its end. */
  private onDrain: (() => void) | null = null;
  /** The body is held until the client's socket drains. */
  private waiting = false;
  private over = false;

  constructor(
    private readonly target: RelayTarget,
    private readonly primed: PrimedStream,
    fields: EventFieldInjector,
    private readonly end: StreamEnd,
    private readonly encoder: StreamEncoder | null,
    private readonly resolve: (outcome: RelayOutcome) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.writer = new EventWriter(target, primed, fields, end, encoder);
  }

  // `start`, BodyConsumer's methods and `drained` (a 'drain' listener) must not throw: each ends
  // the relay through `fault` on anything its own handling of errors let through.

  /** The answer's head and the first events (whose settle runs here when they end the stream), then the rest as it comes. */
  start(headers: Record<string, string>): void {
    try {
      this.target.res.writeHead(200, headers);
      this.writer.write(this.writer.framesOf(this.primed.first));
      this.primed.body.pipe(this);
    } catch (err) {
      this.fault(err);
    }
  }

  bodyChunk(chunk: Buffer): boolean {
    if (this.over) return true;
    try {
      return this.relayChunk(chunk);
    } catch (err) {
      this.fault(err);
      return true;
    }
  }

  bodyEnd(failure: UpstreamFailure | null): void {
    if (this.over) return;
    try {
      if (failure !== null) return this.cut(failure);
      const { translator, candidate } = this.primed;
      if (translator.terminal === null) return this.cut(new UpstreamFailure('truncated', 0, `${candidate.provider.name} ended the stream before its terminal event`));
      const error = translator.streamError;
      this.finish(error === null ? null : new UpstreamFailure('stream_error', 0, error.message, error), false);
    } catch (err) {
      this.fault(err);
    }
  }

  /** Writes the chunk's frames; false (the body held) when the client's socket is full. */
  private relayChunk(chunk: Buffer): boolean {
    let written: boolean;
    try {
      written = this.writer.write(this.writer.framesOfChunk(chunk));
    } catch (err) {
      // The gateway's own code threw (a settle, an encoder): the stream is cut off with it.
      this.cut(internalFailure(err));
      return true;
    }
    // A closed socket has no drain to wait for.
    if (!written && !this.target.res.destroyed) {
      this.hold();
      return false;
    }
    this.checkClient();
    return true;
  }

  private hold(): void {
    this.waiting = true;
    if (this.onDrain !== null) return;
    // Made in a variable first: a function literal assigned to a property is allocated in the old
    // generation (closures.spec).
    const onDrain = () => this.drained();
    this.onDrain = onDrain;
    this.target.res.on('drain', onDrain);
  }

  private drained(): void {
    if (!this.waiting || this.over) return;
    this.waiting = false;
    try {
      if (this.checkClient()) this.primed.body.resume();
    } catch (err) {
      this.fault(err);
    }
  }

  /** False (the stream cut off) once the client has left. */
  private checkClient(): boolean {
    if (!this.target.cancel.aborted) return true;
    this.cut(new UpstreamFailure('aborted', 0, 'client closed the connection'));
    return false;
  }

  /**
   * The stream broke off: the upstream body destroyed, and the client told why unless it left (a
   * fault of the gateway's own only as the generic internal error, its text kept for the log).
   */
  private cut(failure: UpstreamFailure): void {
    this.over = true;
    const { res, requestId } = this.target;
    const { body, translator, candidate } = this.primed;
    const cutOff = translator.terminal === null;
    try {
      body.destroy();
      if (failure.kind !== 'aborted' && !res.destroyed) {
        const error = failure.kind === 'internal'
          ? { code: ErrorCode.InternalError as string, message: internalErrorBody(requestId).error.message }
          : { code: failure.kind === 'timeout' ? 'upstream_timeout' : 'upstream_error', message: `${candidate.provider.name}: ${this.end.redact(failure.message)}` };
        res.write(this.writer.closingFrames(translator.abort?.(error) ?? [], error));
      }
    } catch (fault) {
      this.fault(fault);
      return;
    }
    this.finish(failure, cutOff);
  }

  /** The client's answer ended, and the relay's outcome settled. */
  private finish(failure: UpstreamFailure | null, cutOff: boolean): void {
    this.over = true;
    const res = this.target.res;
    if (this.onDrain !== null) res.off('drain', this.onDrain);
    if (!res.destroyed) {
      try {
        const tail = this.encoder?.end() ?? '';
        if (tail !== '') res.write(tail);
        res.end();
      } catch (fault) {
        this.fault(fault);
        return;
      }
    }
    this.resolve({ failure, ttftMs: this.writer.ttftMs, cutOff });
  }

  /**
   * A fault of the gateway's own while ending the stream: the upstream body destroyed, and the
   * relay's promise rejects with it, the client's answer not ended (its caller destroys it).
   */
  private fault(err: unknown): void {
    this.over = true;
    if (this.onDrain !== null) this.target.res.off('drain', this.onDrain);
    this.primed.body.destroy();
    this.reject(err);
  }
}

/**
 * Turns a stream's events into the client's frames, numbering them (`chunk_index`), and writes
 * them: one object per stream, one string and one socket write per upstream chunk.
 *
 * Frames known to be ASCII without reading them (the upstream's ASCII text, the gateway's ASCII
 * fields, a stored turn's ids when `settledAscii`) are written as Latin-1: node:http then takes
 * their length as their byte count, where for UTF-8 it flattens the frames' string and counts its
 * bytes first.
 */
class EventWriter {
  private readonly res: ServerResponse;
  private readonly t0: number;
  private readonly parser: StreamDecoder;
  private readonly translator: StreamTranslator;
  /** The frames built since the last write are all known to be ASCII. */
  private ascii = false;
  /** The last event type found to be ASCII. */
  private asciiType = '';
  chunkIndex = 0;
  ttftMs: number | null = null;

  constructor(
    target: RelayTarget,
    primed: PrimedStream,
    private readonly injector: EventFieldInjector,
    private readonly end: StreamEnd,
    private readonly encoder: StreamEncoder | null,
  ) {
    this.res = target.res;
    this.t0 = target.t0;
    this.parser = primed.parser;
    this.translator = primed.translator;
  }

  /** Writes the frames; false when the socket wants a drain first. */
  write(text: string): boolean {
    if (text === '') return true;
    const ok = this.res.write(text, this.ascii ? 'latin1' : 'utf8');
    this.ttftMs ??= Math.round(performance.now() - this.t0);
    return ok;
  }

  framesOf(events: ResponsesStreamEvent[]): string {
    this.ascii = this.asciiStream();
    let out = '';
    for (let i = 0; i < events.length; i++) out += this.eventFrame(events[i]);
    return out;
  }

  /** The frames of the events an upstream chunk completes ('' when it completes none). */
  framesOfChunk(chunk: Buffer): string {
    const events = this.parser.push(chunk);
    this.ascii = this.asciiStream();
    let out = '';
    for (let i = 0; i < events.length; i++) {
      const translated = this.translator.push(events[i]);
      for (let j = 0; j < translated.length; j++) out += this.eventFrame(translated[j]);
    }
    return out;
  }

  /**
   * The frames that end a stream the gateway cut off: the translator's closing events (its
   * `response.failed` is not the turn's answer: the attempt failed), else an `error` event.
   */
  closingFrames(closing: ResponsesStreamEvent[], error: { code: string; message: string }): string {
    let out = '';
    if (closing.length === 0) {
      const event = { type: 'error', ...errorEventFields(error), sequence_number: this.chunkIndex };
      out = this.frame('error', JSON.stringify(event));
    }
    for (let i = 0; i < closing.length; i++) {
      const ev = closing[i];
      out += ev.type === 'response.failed' ? this.terminalFrame(ev, true) : this.frame(ev.type, ev.data);
      this.chunkIndex++;
    }
    return out;
  }

  private eventFrame(ev: ResponsesStreamEvent): string {
    let text: string;
    if (isTerminalType(ev.type)) {
      // Settled (a stored turn handed to the store) before the client has the end; one write with what came before.
      text = this.terminalFrame(ev, false);
    } else {
      const rewrite = this.end.rewrite;
      const data = rewrite === undefined ? ev.data : rewrite(ev.type, ev.data);
      if (this.ascii && (!this.upstreamAscii(ev) || (data !== ev.data && this.end.rewroteAscii?.() !== true))) this.ascii = false;
      text = this.frame(ev.type, data, data === ev.data ? ev.head : undefined);
    }
    this.chunkIndex++;
    return text;
  }

  /** Whether frames from here on may be known to be ASCII: the upstream's text so far and the gateway's fields are, and go out as text. */
  private asciiStream(): boolean {
    return this.encoder === null && this.parser.ascii === true && this.translator.passesText === true && this.injector.ascii;
  }

  /** Whether the event is the upstream's own ASCII text (in an ASCII stream): its data as it came, and a type with no other character. */
  private upstreamAscii(ev: ResponsesStreamEvent): boolean {
    if (ev.parsed !== undefined) return false;
    // The upstream's text holds the type (SseEvent.head): in an ASCII stream, it is ASCII.
    if (ev.head !== undefined) return true;
    const type = ev.type;
    if (type === this.asciiType) return true;
    // A regular expression reads the characters natively, not one charCodeAt call at a time.
    if (NOT_ASCII.test(type)) return false;
    this.asciiType = type;
    return true;
  }

  /** `head`: the upstream's text of this type and data (SseEvent.head). */
  private frame(type: string, data: string, head?: string): string {
    const encoder = this.encoder;
    if (encoder === null) return this.injector.frame(type, data, this.chunkIndex, head);
    const parsed = parseEvent(data);
    // An event that is not a JSON object has nothing another format could carry over.
    return parsed === null ? '' : encoder.event(type, parsed);
  }

  private terminalFrame(ev: ResponsesStreamEvent, failed: boolean): string {
    const ascii = this.ascii && this.upstreamAscii(ev);
    const terminal = terminalEvent(ev, this.injector, this.chunkIndex, this.t0, this.end, this.encoder === null, failed, ascii);
    if (!ascii || !terminal.asciiKept) this.ascii = false;
    const responseJson = terminal.response === null ? null : this.end.settle(terminal.response, failed);
    return terminalText(ev.type, terminal, this.encoder, responseJson);
  }
}

interface TerminalEvent {
  /** The event's JSON text (spliced), or null when `event` holds it parsed. */
  data: string | null;
  /**
   * `data` is as ASCII as the upstream's text: that text with `extra_fields` and `usage.cost`
   * only (spliceTerminalEvent), or with a stored turn's ASCII ids too (settleText,
   * StreamEnd.settledAscii).
   */
  asciiKept?: boolean;
  /** `data` is known to hold no newline: its frame needs no search for one (dataLines). */
  oneLine?: boolean;
  event: Record<string, unknown> | null;
  /** The event's Response object, once parsed and given the gateway's fields. */
  response: Record<string, unknown> | null;
}

/** The terminal event's frame; `responseJson` (the Response already serialised by settle) is reused, not redone. */
function terminalText(type: string, terminal: TerminalEvent, encoder: StreamEncoder | null, responseJson: string | null): string {
  if (encoder === null) {
    if (terminal.data !== null) return terminal.oneLine === true ? 'event: ' + type + '\ndata: ' + terminal.data + '\n\n' : sseFrame(type, terminal.data);
    return sseFrame(type, responseJson === null ? JSON.stringify(terminal.event) : withResponseJson(terminal.event!, responseJson));
  }
  const event = terminal.event ?? parseEvent(terminal.data ?? '');
  return event === null ? '' : encoder.event(type, event);
}

/** The event's JSON with its `response` given as text (last, after the event's own fields). */
function withResponseJson(event: Record<string, unknown>, responseJson: string): string {
  const response = event.response;
  // JSON.stringify leaves an undefined property out.
  event.response = undefined;
  const head = JSON.stringify(event);
  event.response = response;
  return head === '{}' ? `{"response":${responseJson}}` : `${head.slice(0, -1)},"response":${responseJson}}`;
}

function parseEvent(data: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(data);
    return isJson(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * The terminal event with `extra_fields` (latency and chunk index included) on the event and its
 * response, and the cost in its usage: spliced into the upstream text when nothing needs the
 * object, else parsed and changed (`response` is then the changed object, serialised only once
 * `StreamEnd.settle` is done with it).
 */
function terminalEvent(
  ev: ResponsesStreamEvent,
  injector: EventFieldInjector,
  chunkIndex: number,
  t0: number,
  end: StreamEnd,
  asText: boolean,
  failed: boolean,
  /** The event's text and the gateway's fields are known to be ASCII. */
  ascii: boolean,
): TerminalEvent {
  const latency = Math.round(performance.now() - t0);
  if (asText && !end.needsResponse) {
    const spliced = spliceTerminalEvent(ev.data, injector.terminalFields(latency, chunkIndex), end.cost(), ev.at);
    // The upstream's one line (it has a head) with JSON of the gateway's own spliced in stays one line.
    if (spliced !== undefined) return { data: spliced, event: null, response: null, asciiKept: true, oneLine: ev.head !== undefined };
  } else if (asText && !failed && end.settleText !== undefined) {
    const settled = end.settleText(ev.data, injector.terminalFields(latency, chunkIndex), ev.at, ascii);
    // As spliced: what settleText adds is JSON of the gateway's own, with no newline.
    if (settled !== undefined) return { data: settled, event: null, response: null, asciiKept: end.settledAscii === true, oneLine: ev.head !== undefined };
  }
  // A copy with two more fields (not a spread with added fields, which is slow in V8: bench/PROFILE.md).
  const fields: ExtraFields = Object.assign({}, injector.extra);
  fields.latency = latency;
  fields.chunk_index = chunkIndex;
  let event = ev.parsed;
  if (event === undefined) {
    try {
      event = JSON.parse(ev.data) as Record<string, unknown>;
    } catch {
      return { data: ev.data, event: null, response: null };
    }
  }
  event.extra_fields = fields;
  const response = event.response;
  if (typeof response !== 'object' || response === null) return { data: null, event, response: null };
  const r = response as Record<string, unknown>;
  r.extra_fields = fields;
  const cost = end.cost();
  if (cost !== null && typeof r.usage === 'object' && r.usage !== null) (r.usage as Record<string, unknown>).cost = cost;
  return { data: null, event, response: r };
}
