import type { ServerResponse } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, errorText } from '@app/common';
// Per-request imports from their own modules: a barrel's re-export is a getter, megamorphic across its names.
import { ErrorCode, GatewayError } from '@app/common/errors/gateway-error';
import { idHeaders } from '@app/common/ids/request-id';
import type { Cancellation } from '@app/providers/http/cancellation';
import { toFailure } from '@app/providers/http/http-executor';
import { internalFailure, UpstreamFailure } from '@app/providers/http/upstream-failure';
import { type ParsedResponse, type StreamTranslator, type Usage, ZERO_USAGE } from '@app/providers/types';
import { isIndented } from '@app/providers/responses/json-text';
import { toUsageCost } from '@app/pricing/pricing';
import type { Turn } from '../conversation/turn';
import { asGatewayError } from '../edge/error-render';
import { headerValue, sendJson } from '../edge/http-io';
import type { Admitted } from '../plan/admission.service';
import type { Candidate } from '../routing/route-planner.service';
import { type CallContext, UpstreamCaller } from '../routing/upstream-caller.service';
import { type Attempt, newAttempt, type Outcome } from '../settle/outcome';
import { SettleStage } from '../settle/settle.service';
import { storedEvent, storedText, storesAsText } from '../state/stored-text';
import { finalizeTurn, streamRewriter } from '../state/stored-turn';
import { eventFieldInjector, type ExtraFields, extraFields, extraFieldsAscii, extraFieldsJson, splicedResponse, withExtraFields } from './extra-fields';
import { NOT_ASCII, type PrimedStream, primeStream, type RelayOutcome, relayStream, type StreamEnd } from './stream-relay';

/** Whether the ids a stored turn's text gets are ASCII: its own is `resp_` and hex (newResponseId); an earlier one it names may be any stored id. */
function turnIdsAscii(turn: Turn): boolean {
  return turn.previousResponseId === null || !NOT_ASCII.test(turn.previousResponseId);
}

/** What the execute stage works with for one request. */
interface Exchange {
  request: Admitted;
  outcome: Outcome;
  /** The client's connection; null for a background response, which answered already. */
  res: ServerResponse | null;
  /** Fires when the client leaves (or a background response is cancelled). */
  cancel: Cancellation;
  /** The upstream side of the request, shared by its attempts. */
  call: CallContext;
}

interface FailedAttempt {
  candidate: Candidate;
  failure: UpstreamFailure;
}

/**
 * Stage 4: each candidate in order until one answers, through the provider's adapter (the
 * shared executor does the network), the answer relayed to the client in its wire format.
 * Every attempt is recorded in the outcome for the settle stage.
 */
@Injectable()
export class ExecuteStage {
  private readonly logger = new Logger(ExecuteStage.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly caller: UpstreamCaller,
    private readonly settle: SettleStage,
  ) {}

  run(request: Admitted, outcome: Outcome, res: ServerResponse | null, cancel: Cancellation): Promise<void> {
    const { body, stream } = request.request;
    const x: Exchange = { request, outcome, res, cancel, call: { keyId: request.key.id, body, stream, cancel, sentAt: null } };
    const aborted = () => abortedUsage(x, stream, this.config.governance.abortedOutputTokensPerSecond);
    // Not async: the attempts' own promise, without a further turn of the microtask queue.
    return this.tryCandidates(request, outcome, cancel, stream, (c, i) => (stream ? this.serveStream(x, c, i) : this.serveJson(x, c, i)), aborted);
  }

  /**
   * Each candidate in order until `serve` answers with it (also the embeddings path's loop): a
   * failed attempt is recorded and, when retryable, the next candidate tried; the caller's own
   * mistake is its 4xx at once; a client that left ends the request with `abortedUsage` billed.
   */
  async tryCandidates(
    request: Admitted, outcome: Outcome, cancel: Cancellation, stream: boolean,
    serve: (c: Candidate, fallbackIndex: number) => Promise<void>, abortedUsage: () => Usage,
  ): Promise<void> {
    const { candidates, onStatus } = request;
    const failures: FailedAttempt[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      const attemptT0 = performance.now();
      try {
        await serve(c, i);
        return;
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        const failure = err instanceof UpstreamFailure ? err : toFailure(err, cancel);
        const attempt = newAttempt(c, i, stream);
        attempt.failure = failure;
        if (failure.kind === 'aborted') {
          // The client left before an answer: the provider bills what it was sent and made.
          this.settle.price(attempt, abortedUsage());
        }
        attempt.latencyMs = Math.round(performance.now() - attemptT0);
        outcome.attempts.push(attempt);
        if (failure.kind === 'aborted') return;
        if (!failure.fallbackable) {
          // The caller's own mistake, as the provider worded it: trying elsewhere would not help.
          throw new GatewayError(failure.status, failure.info?.code ?? ErrorCode.InvalidRequest, failure.message, failure.info?.param ?? null, {
            'x-bf-provider': c.provider.name,
            'x-bf-fallback-index': String(i),
          });
        }
        failures.push({ candidate: c, failure });
        // A policy's on_status narrows which upstream statuses move on; network failures always do.
        if (onStatus !== null && failure.kind === 'http' && !onStatus.includes(failure.status)) break;
      }
    }
    throw allFailed(failures, (text) => this.caller.redact(text));
  }

  /**
   * Our own code after the upstream answered: a fault here is the gateway's (a 500 naming the
   * request id), never an upstream failure that would be retried elsewhere and billed twice.
   */
  private ownFault(x: Exchange, err: unknown): never {
    if (err instanceof GatewayError || err instanceof UpstreamFailure) throw err;
    this.logger.error(`request ${x.request.ids.requestId} failed after the upstream answered: ${errorText(err)}`);
    throw asGatewayError(err, x.request.ids.requestId);
  }

  /**
   * The answer is parsed and sent to the client as the upstream's last byte arrives, in the
   * executor's read (as a bare proxy writes in its handler): no microtask turns in between. A
   * fault of our own after the parse leaves as a GatewayError, which no retry or fallback takes.
   */
  private serveJson(x: Exchange, c: Candidate, fallbackIndex: number): Promise<void> {
    const { turn, format } = x.request;
    const body = x.request.request.body;
    // Only a pass-through answer in the canonical format can do with the upstream's text alone
    // (a stored turn's too, unless its Response must be rewritten as an object).
    const asText = format.canonical && (turn === null || (!x.request.sendRaw && storesAsText(turn)));
    return this.caller.callWhole<void>(c, x.call, ({ status, text, ascii }, request) => {
      let parsed: ParsedResponse;
      try {
        // An indented stored turn (OpenAI's own spacing) is parsed and serialised instead: walking
        // its whitespace in JS then splicing cost more than both (bench/PROFILE.md, fourth part).
        const needsResponse = !asText || (turn !== null && isIndented(text));
        parsed = c.adapter.parseResponse(text, { requestBody: body, upstreamModel: c.upstreamModel, needsResponse, memberSpans: turn !== null });
      } catch {
        throw new UpstreamFailure('truncated', status, `${c.provider.name} returned a body that is not a valid response`);
      }
      const raw = x.request.sendRaw ? { request: request.body, response: text } : null;
      try {
        const written = this.answerJson(x, c, fallbackIndex, parsed, ascii, raw, request.droppedTools);
        return written === undefined ? undefined : written.catch((err: unknown) => this.ownFault(x, err));
      } catch (err) {
        this.ownFault(x, err);
      }
    });
  }

  /**
   * Answers the client; the promise of a stored turn's write when the answer waits for it.
   * `upstreamAscii`: the upstream's text is ASCII (UpstreamReply.ascii).
   */
  private answerJson(
    x: Exchange, c: Candidate, fallbackIndex: number, parsed: ParsedResponse, upstreamAscii: boolean,
    raw: { request: string; response: string } | null, dropped: string[] | undefined,
  ): Promise<void> | undefined {
    const { request, outcome } = x;
    const { format, turn, t0 } = request;
    const upstreamDone = performance.now();
    const latency = Math.round(upstreamDone - t0);
    const attempt = newAttempt(c, fallbackIndex, false);
    const cost = this.settle.price(attempt, parsed.usage);
    outcome.answer = attempt;
    const headers = answerHeaders(request, c, fallbackIndex, dropped);
    if (cost !== null) headers['x-bf-cost-usd'] = cost.total_cost_usd;
    let text: string | undefined;
    // The answer's text is known to be ASCII: the upstream's, with the gateway's ASCII fields spliced in (a cost is numbers).
    let ascii = false;
    let extra: ExtraFields | null = null;
    if (format.canonical && parsed.json !== undefined) {
      // The canonical format keeps the upstream's own JSON (the gateway's fields spliced in).
      let fieldsJson: string;
      if (raw === null && (dropped === undefined || dropped.length === 0)) {
        fieldsJson = extraFieldsJson(format.requestType, c, request.modelRequested, fallbackIndex, latency);
        ascii = upstreamAscii && extraFieldsAscii(format.requestType, c, request.modelRequested, fallbackIndex);
      } else {
        extra = answerFields(request, c, fallbackIndex, dropped, latency, raw);
        fieldsJson = JSON.stringify(extra);
      }
      if (turn === null) {
        // The text path writes the cost's JSON from the priced result: no object made to be serialised.
        text = splicedResponse(parsed, fieldsJson, cost);
      } else {
        // Stored before the client has it, as below.
        const stored = storedText(turn, parsed, fieldsJson, cost, ascii && turnIdsAscii(turn));
        if (stored !== undefined) {
          this.settle.settleStoredText(outcome, turn, stored);
          text = stored.json;
          ascii = stored.ascii;
        }
      }
    }
    if (text === undefined) {
      ascii = false;
      extra ??= answerFields(request, c, fallbackIndex, dropped, latency, raw);
      const usageCost = cost && toUsageCost(cost);
      const response = parsed.response;
      if (turn === null) {
        const answer = withExtraFields(response, extra, usageCost);
        text = format.canonical ? JSON.stringify(answer) : format.encodeResponse(answer, request.request.egress);
      } else {
        // Serialised once, for the store and the client; stored before the client has it.
        finalizeTurn(turn, response);
        const stored = JSON.stringify(withExtraFields(response, extra, usageCost));
        const written = this.settle.settleStored(outcome, { turn, response, json: stored });
        const answer = format.canonical ? stored : format.encodeResponse(response, request.request.egress);
        if (written !== null) return written.then(() => this.sendAnswer(x, attempt, answer, false, headers, upstreamDone));
        text = answer;
      }
    }
    this.sendAnswer(x, attempt, text, ascii, headers, upstreamDone);
    return undefined;
  }

  private sendAnswer(x: Exchange, attempt: Attempt, text: string, ascii: boolean, headers: Record<string, string>, upstreamDone: number): void {
    const t0 = x.request.t0;
    if (x.res !== null) sendJson(x.res, 200, text, headers, ascii);
    attempt.latencyMs = Math.round(upstreamDone - t0);
    attempt.upstreamSeconds = (upstreamDone - t0) / 1000;
    attempt.totalSeconds = (performance.now() - t0) / 1000;
    x.outcome.attempts.push(attempt);
  }

  private async serveStream(x: Exchange, c: Candidate, fallbackIndex: number): Promise<void> {
    const { request, outcome } = x;
    const { format, turn, t0 } = request;
    const res = x.res;
    if (res === null) throw new Error('a stream needs a client connection');
    let rawRequest: string | null = null;
    let dropped: string[] | undefined;
    // The terminal event is parsed whole for the raw request or another format's encoder; a stored
    // turn's is edited as text (settleText) and parsed only if that cannot be done.
    const needsResponse = request.sendRaw || !format.canonical;
    // The translator walks such a turn's terminal event once, for its usage and for settleText.
    const memberSpans = !needsResponse && turn !== null && storesAsText(turn);
    const primed = await this.caller.call<PrimedStream>(c, x.call, (up, _key, upstreamRequest) => {
      if (request.sendRaw) rawRequest = upstreamRequest.body;
      dropped = upstreamRequest.droppedTools;
      return primeStream(up, c, request.request.body, needsResponse, memberSpans);
    });
    const headers = answerHeaders(request, c, fallbackIndex, dropped);
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    headers['x-accel-buffering'] = 'no';
    const translator = primed.translator;
    const attempt = newAttempt(c, fallbackIndex, true);
    const ids = turn === null ? null : streamRewriter(turn);
    const idsAscii = turn !== null && turnIdsAscii(turn);
    const end: StreamEnd = {
      needsResponse: rawRequest !== null || turn !== null,
      cost: () => {
        const cost = this.settle.price(attempt, translator.usage);
        return cost && toUsageCost(cost);
      },
      settle: (response, failed) => {
        if (rawRequest !== null) Object.assign(response.extra_fields as object, rawFields({ request: rawRequest, response: null }));
        if (turn === null) return null;
        finalizeTurn(turn, response);
        if (failed) return null;
        outcome.answer = attempt;
        // Serialised once: the stored row's text, the cache's, and the terminal event's.
        const json = JSON.stringify(response);
        // A stream is never a background response (conversation refuses both): nothing to wait for.
        void this.settle.settleStored(outcome, { turn, response, json });
        return json;
      },
      // Its closures are made in the literal, never assigned to it afterwards: V8 allocates a
      // function literal assigned to a property (`end.x = () => ...`) in the old generation, as it
      // would a method, and from there the closure holds this call's context, and all the stream
      // it reaches, through every scavenge until the next full GC.
      settleText: turn === null || rawRequest !== null ? undefined : (data, fieldsJson, at, ascii) => {
        const done = storedEvent(turn, data, fieldsJson, end.cost(), at, ascii && idsAscii);
        if (done === undefined) return undefined;
        outcome.answer = attempt;
        this.settle.settleStoredText(outcome, turn, done.stored);
        return done.data;
      },
      settledAscii: idsAscii,
      rewrite: ids === null ? undefined : (type, data) => ids.rewrite(type, data),
      rewroteAscii: ids === null ? undefined : () => idsAscii && !ids.serialised,
      redact: (text) => this.caller.redact(text),
    };
    const fields = eventFieldInjector(format.requestType, c, request.modelRequested, fallbackIndex, dropped);
    const encoder = format.canonical ? null : format.createStreamEncoder(request.request.egress);
    let relayed: RelayOutcome;
    try {
      relayed = await relayStream({ res, cancel: x.cancel, t0, requestId: request.ids.requestId }, primed, fields, headers, end, encoder);
    } catch (err) {
      // The answer was left unfinished by a fault of the gateway's own: the attempt is still the
      // one that streamed (its usage estimated and billed, as a cut stream's), then a 500 that no
      // retry or fallback takes (the pipeline destroys the begun answer).
      this.streamed(x, attempt, translator, { failure: internalFailure(err), ttftMs: null, cutOff: true });
      this.logger.error(`request ${request.ids.requestId} failed while streaming: ${errorText(err)}`);
      throw asGatewayError(err, request.ids.requestId);
    }
    if (relayed.failure?.kind === 'internal') {
      this.logger.error(`request ${request.ids.requestId} stream cut off by the gateway's own fault: ${relayed.failure.message}`);
    }
    this.streamed(x, attempt, translator, relayed);
  }

  /** A relayed stream's attempt, priced with what it used (an estimate when it was cut off) and recorded. */
  private streamed(x: Exchange, attempt: Attempt, translator: StreamTranslator, relayed: RelayOutcome): void {
    const latency = Math.round(performance.now() - x.request.t0);
    const usage = relayed.cutOff || translator.terminal === null ? estimatedUsage(x, translator) : translator.usage;
    this.settle.price(attempt, usage);
    attempt.failure = relayed.failure;
    attempt.incomplete = translator.terminal === 'incomplete';
    attempt.latencyMs = latency;
    attempt.ttftMs = relayed.ttftMs;
    attempt.upstreamSeconds = latency / 1000;
    attempt.totalSeconds = latency / 1000;
    x.outcome.attempts.push(attempt);
  }
}

/**
 * Every value is ASCII (ids are checked printable ASCII, provider names `[a-z0-9_-]`, the model and
 * dropped tools go through headerValue): sendJson may write a head as Latin-1 with its body.
 */
export function answerHeaders(request: Admitted, c: Candidate, fallbackIndex: number, droppedTools?: string[]): Record<string, string> {
  const { ids, format } = request;
  const model = headerValue(c.model);
  const index = String(fallbackIndex);
  let headers: Record<string, string>;
  if (ids.clientRequestId === null && format.requestIdHeader === undefined) {
    // The usual answer's headers in one literal: one shape, not an object grown key by key.
    headers = { 'x-request-id': ids.requestId, 'x-bf-provider': c.provider.name, 'x-bf-model': model, 'x-bf-fallback-index': index };
  } else {
    headers = idHeaders(ids);
    if (format.requestIdHeader !== undefined) headers[format.requestIdHeader] = ids.requestId;
    headers['x-bf-provider'] = c.provider.name;
    headers['x-bf-model'] = model;
    headers['x-bf-fallback-index'] = index;
  }
  // Known before the first byte, so streams report it too.
  if (droppedTools !== undefined && droppedTools.length > 0) headers['x-bf-dropped-tools'] = headerValue(droppedTools.join(','));
  return headers;
}

/** `extra_fields` of a JSON answer. */
function answerFields(
  request: Admitted, c: Candidate, fallbackIndex: number, dropped: string[] | undefined, latency: number,
  raw: { request: string; response: string } | null,
): ExtraFields {
  const extra = extraFields(request.format.requestType, c, request.modelRequested, fallbackIndex, dropped);
  extra.latency = latency;
  if (raw !== null) Object.assign(extra, rawFields(raw));
  return extra;
}

/** Upstream bodies for `extra_fields` (a stream's raw response is its events, already relayed). */
function rawFields(raw: { request: string; response: string | null } | null): { raw_request?: unknown; raw_response?: unknown } {
  if (raw === null) return {};
  const parse = (text: string) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };
  return raw.response === null ? { raw_request: parse(raw.request) } : { raw_request: parse(raw.request), raw_response: parse(raw.response) };
}

// About four bytes of JSON per token (OpenAI's rule of thumb for English text, which the JSON
// around it only pads): the estimate for input the provider bills but never reported.
const BYTES_PER_TOKEN = 4;

/**
 * A stream that ended before the provider reported usage (the client left, the upstream broke
 * off) still consumed tokens and is billed upstream: estimate them from the conversation sent
 * (its stored turns included) and the text streamed, so that the cost log and the key's budget
 * see them. Usage reported mid-stream wins if larger.
 */
function estimatedUsage(x: Exchange, translator: StreamTranslator): Usage {
  const reported = translator.usage;
  const inputTokens = Math.max(reported.inputTokens, Math.ceil(x.request.inputBytes / BYTES_PER_TOKEN));
  const outputTokens = Math.max(reported.outputTokens, Math.ceil((translator.streamedChars ?? 0) / BYTES_PER_TOKEN));
  return { ...reported, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

/**
 * The client left before any answer reached it. Nothing was sent upstream yet: nothing to pay.
 * Otherwise the provider bills the input, and whatever output it made in the time it ran: for a
 * non-streaming request that is unseen, so it is estimated at `tokensPerSecond` up to the output
 * cap (a stream aborted while starting has made next to nothing).
 */
function abortedUsage(x: Exchange, stream: boolean, tokensPerSecond: number): Usage {
  const sentAt = x.call.sentAt;
  if (sentAt === null) return ZERO_USAGE;
  const inputTokens = Math.ceil(x.request.inputBytes / BYTES_PER_TOKEN);
  const ranSeconds = Math.max(0, Date.now() - sentAt) / 1000;
  const outputTokens = stream ? 0 : Math.min(x.request.outputCap, Math.ceil(ranSeconds * tokensPerSecond));
  return { inputTokens, cachedTokens: 0, outputTokens, reasoningTokens: 0, totalTokens: inputTokens + outputTokens };
}

/** 504 when every candidate timed out, else 502; the message names each provider and what it said. */
function allFailed(failures: FailedAttempt[], redact: (text: string) => string): GatewayError {
  const allTimeouts = failures.length > 0 && failures.every((f) => f.failure.kind === 'timeout');
  const tried = failures.map((f) => `${f.candidate.label} (${f.failure.label}: ${redact(f.failure.message).slice(0, 200)})`).join('; ');
  const message = failures.length === 0 ? 'No provider could serve the request.' : `All providers failed: ${tried}`;
  return allTimeouts
    ? new GatewayError(504, ErrorCode.UpstreamTimeout, message)
    : new GatewayError(502, ErrorCode.UpstreamError, message);
}
