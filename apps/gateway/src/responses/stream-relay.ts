import type { ServerResponse } from 'node:http';
import {
  errorEventFields,
  type ResponsesRequest,
  type ResponsesStreamEvent,
  type StreamDecoder,
  SseParser,
  sseFrame,
  type StreamTranslator,
  toFailure,
  UpstreamFailure,
  type UpstreamBody,
  type UpstreamResponse,
} from '@app/providers';
import type { CostBreakdown } from '@app/pricing';
import { waitForDrain } from '../http/http-io';
import type { Candidate } from '../routing/route-planner.service';
import { EventFieldInjector, type ExtraFields, spliceTerminalEvent } from './extra-fields';
import type { RequestContext } from './responses.handler';

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

const TERMINAL_TYPES = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * Reads until the upstream produced its first event, so that a stream which fails before
 * anything reached the client can still be retried or fall back.
 */
export async function primeStream(up: UpstreamResponse, candidate: Candidate, body: ResponsesRequest): Promise<PrimedStream> {
  // SSE unless the provider frames its stream otherwise (Bedrock's binary event-stream).
  const parser = candidate.adapter.createStreamDecoder?.() ?? new SseParser();
  const translator = candidate.adapter.createStreamTranslator({ requestBody: body, upstreamModel: candidate.upstreamModel });
  for (;;) {
    const chunk = await up.body.next();
    if (chunk === null) throw new UpstreamFailure('truncated', 0, `${candidate.provider.name} ended the stream before its first event`);
    const first: ResponsesStreamEvent[] = [];
    for (const ev of parser.push(chunk)) first.push(...translator.push(ev));
    if (first.length === 0) continue;
    if (translator.streamError !== null && first.length === 1) {
      // The upstream failed before producing anything: nothing is lost by trying elsewhere.
      up.body.destroy();
      throw new UpstreamFailure('stream_error', 0, translator.streamError.message, translator.streamError);
    }
    return { candidate, body: up.body, parser, translator, first };
  }
}

/** What only the gateway knows, added to the terminal event's response. */
export interface TerminalDecoration {
  /** `usage.cost`, priced from the usage the stream reported (null: not priced). */
  cost(): CostBreakdown | null;
  /** Changes that need the parsed Response (a stored turn's ids, the raw request); without them the event is spliced as text. */
  decorate?(response: Record<string, unknown>): void;
}

export interface RelayHooks {
  /** Rewrites a non-terminal event's JSON (the gateway's ids for stored responses). */
  rewrite?(type: string, data: string): string;
  /** Awaited before the terminal event is written (stored responses are committed first). */
  beforeTerminal?(response: Record<string, unknown>): Promise<void>;
  /** Clears upstream error text of credentials before the client sees it. */
  redact?(text: string): string;
}

/**
 * Relays a primed stream to the client as events arrive: each event keeps its upstream JSON
 * and gains `extra_fields` by string splicing; only the terminal event is re-serialised, to
 * carry latency. A stream that breaks off ends with an `error` event, then `response.failed`
 * once the response had started (Open Responses).
 */
export async function relayStream(
  ctx: RequestContext,
  primed: PrimedStream,
  extra: ExtraFields,
  headers: Record<string, string>,
  decoration: TerminalDecoration,
  hooks: RelayHooks = {},
): Promise<RelayOutcome> {
  const { cancel } = ctx;
  const res = ctx.res;
  if (res === null) throw new Error('relayStream needs a client connection');
  const { body, parser, translator, candidate } = primed;
  const injector = new EventFieldInjector(extra);
  const { rewrite, beforeTerminal } = hooks;
  let chunkIndex = 0;
  let ttftMs: number | null = null;

  /** Writes the events' frames; false when the socket wants a drain first. */
  const writeEvents = async (events: ResponsesStreamEvent[]): Promise<boolean> => {
    let out = '';
    for (const ev of events) {
      if (TERMINAL_TYPES.has(ev.type)) {
        const terminal = terminalEvent(ev, extra, injector, chunkIndex, ctx.t0, decoration, beforeTerminal !== undefined);
        if (beforeTerminal !== undefined && terminal.response !== null) {
          // What came before reaches the client now; the end only once the state is durable.
          if (out !== '') write(out);
          out = '';
          await beforeTerminal(terminal.response);
        }
        out += sseFrame(ev.type, terminal.data);
      } else {
        out += sseFrame(ev.type, injector.inject(rewrite === undefined ? ev.data : rewrite(ev.type, ev.data), chunkIndex));
      }
      chunkIndex++;
    }
    return out === '' ? true : write(out);
  };
  const write = (text: string): boolean => {
    const ok = res.write(text);
    ttftMs ??= Math.round(performance.now() - ctx.t0);
    return ok;
  };

  res.writeHead(200, headers);
  await writeEvents(primed.first);

  let failure: UpstreamFailure | null = null;
  let cutOff = false;
  try {
    for (;;) {
      const chunk = await body.next();
      if (chunk === null) break;
      const events: ResponsesStreamEvent[] = [];
      for (const ev of parser.push(chunk)) events.push(...translator.push(ev));
      if (events.length === 0) continue;
      if (!(await writeEvents(events))) await waitForDrain(res);
      if (cancel.aborted) throw new UpstreamFailure('aborted', 0, 'client closed the connection');
    }
    if (translator.terminal === null) {
      throw new UpstreamFailure('truncated', 0, `${candidate.provider.name} ended the stream before its terminal event`);
    }
    if (translator.streamError !== null) {
      failure = new UpstreamFailure('stream_error', 0, translator.streamError.message, translator.streamError);
    }
  } catch (err) {
    failure = err instanceof UpstreamFailure ? err : toFailure(err, cancel);
    cutOff = translator.terminal === null;
    body.destroy();
    if (failure.kind !== 'aborted' && !res.destroyed) {
      const error = { code: failure.kind === 'timeout' ? 'upstream_timeout' : 'upstream_error', message: `${candidate.provider.name}: ${hooks.redact ? hooks.redact(failure.message) : failure.message}` };
      const closing = translator.abort?.(error) ?? [];
      let out = '';
      if (closing.length === 0) {
        const event = { type: 'error', ...errorEventFields(error), sequence_number: chunkIndex };
        out = sseFrame('error', injector.inject(JSON.stringify(event), chunkIndex));
      }
      for (const ev of closing) {
        // The closing response.failed is not committed as the turn's answer: the attempt failed.
        const data = ev.type === 'response.failed' ? terminalEvent(ev, extra, injector, chunkIndex, ctx.t0, decoration, false).data : injector.inject(ev.data, chunkIndex);
        out += sseFrame(ev.type, data);
        chunkIndex++;
      }
      res.write(out);
    }
  }
  if (!res.destroyed) res.end();
  return { failure, ttftMs, cutOff };
}

/**
 * The terminal event with `extra_fields` (latency and chunk index included) on the event and its
 * response, and the cost in its usage: spliced into the upstream text when nothing needs the
 * object, else parsed, changed and re-serialised (`response` is then the changed object).
 */
function terminalEvent(
  ev: ResponsesStreamEvent,
  extra: ExtraFields,
  injector: EventFieldInjector,
  chunkIndex: number,
  t0: number,
  decoration: TerminalDecoration,
  needsObject: boolean,
): { data: string; response: Record<string, unknown> | null } {
  const latency = Math.round(performance.now() - t0);
  if (!needsObject && decoration.decorate === undefined) {
    const spliced = spliceTerminalEvent(ev.data, injector.terminalFields(latency, chunkIndex), decoration.cost(), ev.usageAt);
    if (spliced !== undefined) return { data: spliced, response: null };
  }
  const fields = { ...extra, latency, chunk_index: chunkIndex };
  let event = ev.parsed;
  if (event === undefined) {
    try {
      event = JSON.parse(ev.data) as Record<string, unknown>;
    } catch {
      return { data: ev.data, response: null };
    }
  }
  event.extra_fields = fields;
  const response = event.response;
  if (typeof response !== 'object' || response === null) return { data: JSON.stringify(event), response: null };
  const r = response as Record<string, unknown>;
  r.extra_fields = fields;
  const cost = decoration.cost();
  if (cost !== null && typeof r.usage === 'object' && r.usage !== null) (r.usage as Record<string, unknown>).cost = cost;
  decoration.decorate?.(r);
  return { data: JSON.stringify(event), response: r };
}
