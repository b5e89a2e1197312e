import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, CLIENT_REQUEST_ID_PATTERN, ErrorCode, GatewayError, internalErrorBody, uuidv7 } from '@app/common';
import {
  Cancellation,
  type ParsedResponse,
  type ResponsesRequest,
  type StreamTranslator,
  toFailure,
  type Usage,
  UpstreamFailure,
  ZERO_USAGE,
} from '@app/providers';
import { type CostResult, costToDecimalString, toUsageCost } from '@app/pricing';
import { type CachedKey, VirtualKeyCache } from '../auth/virtual-key-cache.service';
import { PricingService } from '../cost/pricing.service';
import { type Admission, GovernanceService, type WorstCase } from '../governance/governance.service';
import { assertKeyUsable } from '../governance/key-policy';
import { worstCase } from '../governance/reservation';
import { MetricsService } from '../metrics/metrics.service';
import { FallbackPolicyCache } from '../routing/fallback-policy-cache.service';
import { headerValue, readBody, sendError, sendJson } from '../http/http-io';
import { RequestLogWriter } from '../request-log/request-log.writer';
import { type Candidate, RoutePlanner } from '../routing/route-planner.service';
import { type CallContext, UpstreamCaller } from '../routing/upstream-caller.service';
import { ResponseStateService, type Turn } from '../state/response-state.service';
import { extraFields, responseWithExtraFields } from './extra-fields';
import { parseResponsesRequest } from './responses-request';
import { type PrimedStream, primeStream, type RelayHooks, relayStream, type TerminalDecoration } from './stream-relay';

const NO_RESERVATION: WorstCase = { usd: 0, tokens: 0, outputTokens: 0 };

/** What one request carries through its attempts. */
export interface RequestContext {
  /** The gateway's own id (the log's `request_id`, the `x-request-id` answered). */
  requestId: string;
  /** The client's `x-request-id`, kept as `client_request_id` and echoed as `x-client-request-id`. */
  clientRequestId: string | null;
  key: CachedKey;
  body: ResponsesRequest;
  modelRequested: string;
  startedAt: number;
  t0: number;
  /** Fires when the client leaves (or a background response is cancelled). */
  cancel: Cancellation;
  /** The client's connection; null for a background response, which answered already. */
  res: ServerResponse | null;
  /** The stored-state side of the request (null: `store: false` and nothing to resolve). */
  turn: Turn | null;
  /** `x-bf-send-raw: true` from a key allowed to see upstream bodies. */
  sendRaw: boolean;
  /** Size of what goes upstream as input (the client's body and the stored conversation before it), for estimating an interrupted request's usage. */
  inputBytes: number;
  /** The output cap of the candidate first tried (max_output_tokens or the model's limit), bounding an aborted request's estimate. */
  outputCap: number;
  /** The upstream side of the request, shared by its attempts. */
  call: CallContext;
  /** What the request used in the end, settled against the key's limits. */
  spent: { tokens: number; costUsd: string | null };
  /** Settles `spent` against the key's limits; the first call counts, later ones are no-ops. */
  settle: () => void;
}

interface FailedAttempt {
  candidate: Candidate;
  failure: UpstreamFailure;
}

/**
 * POST /v1/responses, served straight off node:http (see gateway.bootstrap.ts): auth from
 * memory, cheap validation, then each candidate in order until one answers. Every upstream
 * attempt leaves one request-log row; failed fallback attempts share the request id.
 */
@Injectable()
export class ResponsesHandler {
  private readonly logger = new Logger(ResponsesHandler.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: VirtualKeyCache,
    private readonly planner: RoutePlanner,
    private readonly caller: UpstreamCaller,
    private readonly logs: RequestLogWriter,
    private readonly governance: GovernanceService,
    private readonly policies: FallbackPolicyCache,
    private readonly pricing: PricingService,
    private readonly metrics: MetricsService,
    private readonly state: ResponseStateService,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    // Always the gateway's own, time-ordered like the log rows' ids (they land at the right edge
    // of the log's indexes); a client's id is kept beside it, never in its place.
    const requestId = uuidv7();
    const header = req.headers['x-request-id'];
    const clientRequestId = typeof header === 'string' && CLIENT_REQUEST_ID_PATTERN.test(header) ? header : null;
    const echo: Record<string, string> = clientRequestId === null ? {} : { 'x-client-request-id': clientRequestId };
    this.run(req, res, requestId, clientRequestId).catch((err: unknown) => {
      if (!(err instanceof GatewayError)) this.logger.error(`request ${requestId} failed: ${(err as Error).stack ?? String(err)}`);
      if (res.headersSent) res.destroy();
      else sendError(req, res, err, requestId, echo);
    });
  }

  private async run(req: IncomingMessage, res: ServerResponse, requestId: string, clientRequestId: string | null): Promise<void> {
    const startedAt = Date.now();
    const t0 = performance.now();
    // Who is asking, before a byte of the body is read: a refusal costs no upload.
    const key = this.keys.authenticate(req.headers.authorization, req.headers['x-bf-vk']);
    assertKeyUsable(key, startedAt);
    if (req.headers['x-request-id'] !== undefined && clientRequestId === null) {
      throw GatewayError.invalidRequest("The 'x-request-id' header must be 1 to 128 printable ASCII characters without spaces.", 'x-request-id');
    }
    const { limits } = this.config;
    const raw = await readBody(req, limits.maxBodyBytes, this.config.http.bodyIdleTimeoutMs);
    const parsed = parseResponsesRequest(raw, limits);

    // The request's own fallbacks, else the key's policy, else the model's.
    let models = parsed.models;
    let onStatus: number[] | null = null;
    if (!parsed.hasRequestFallbacks) {
      const policy = this.policies.resolve(key.fallbackPolicyId, models[0]);
      if (policy !== null) {
        models = [models[0], ...policy.fallbacks];
        onStatus = policy.onStatus;
      }
    }
    // A key with a budget is never served by a model the gateway cannot charge for.
    const priced = key.budget === null ? undefined : this.isPriced;
    const candidates = this.planner.plan(models, key, parsed.hasRequestFallbacks, priced);
    // Stored conversation resolved (memory first) before the body is translated for any provider.
    const turn = await this.state.prepare(key.id, parsed.body, parsed.stream, limits);
    const inputBytes = raw.length + (turn?.historyBytes ?? 0);
    let admission: Admission | null = null;
    if (this.governance.needsAdmission(key)) {
      const worst = this.governance.reservesWorstCase(key) ? worstCase(this.pricing, candidates, parsed.body, inputBytes) : NO_RESERVATION;
      admission = await this.governance.admit(key, startedAt, worst);
    }

    const ctx: RequestContext = {
      requestId, clientRequestId, key, body: parsed.body, modelRequested: parsed.models[0], startedAt, t0, cancel: Cancellation.never, res, turn,
      sendRaw: key.allowSendRaw && req.headers['x-bf-send-raw'] === 'true',
      inputBytes,
      outputCap: typeof parsed.body.max_output_tokens === 'number' ? parsed.body.max_output_tokens : this.pricing.maxOutputTokens(candidates[0]),
      call: { keyId: key.id, body: parsed.body, stream: parsed.stream, cancel: Cancellation.never, sentAt: null },
      spent: { tokens: 0, costUsd: null },
      settle: () => undefined,
    };
    if (admission !== null) {
      let settled = false;
      ctx.settle = () => {
        if (settled) return;
        settled = true;
        this.governance.settle(admission, ctx.spent.tokens, ctx.spent.costUsd);
      };
    }
    if (turn?.background) return this.startBackground(ctx, turn, candidates, onStatus);

    // The client leaving aborts whatever upstream call is in flight.
    const cancel = new Cancellation();
    res.once('close', () => {
      if (!res.writableFinished) cancel.cancel();
    });
    ctx.cancel = cancel;
    ctx.call.cancel = cancel;
    try {
      await this.tryCandidates(ctx, candidates, parsed.stream, onStatus);
    } finally {
      ctx.settle();
    }
  }

  /**
   * `background: true`: stored as queued and answered at once; the same candidates, fallbacks,
   * logs and limits then run here, with no client connection. Cancel aborts the upstream call.
   */
  private async startBackground(ctx: RequestContext, turn: Turn, candidates: Candidate[], onStatus: number[] | null): Promise<void> {
    let queued: Record<string, unknown>;
    try {
      queued = await this.state.createBackground(turn, ctx.modelRequested);
    } catch (err) {
      ctx.settle();
      throw err;
    }
    const res = ctx.res;
    if (res !== null) sendJson(res, 200, JSON.stringify(queued), this.idHeaders(ctx));
    ctx.res = null;
    this.state.runBackground(turn, async (signal) => {
      ctx.cancel = Cancellation.fromSignal(signal);
      ctx.call.cancel = ctx.cancel;
      try {
        await this.tryCandidates(ctx, candidates, false, onStatus);
      } finally {
        ctx.settle();
      }
    });
  }

  private async tryCandidates(ctx: RequestContext, candidates: Candidate[], stream: boolean, onStatus: number[] | null): Promise<void> {
    const failures: FailedAttempt[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      const attemptT0 = performance.now();
      try {
        if (stream) await this.serveStream(ctx, c, i);
        else await this.serveJson(ctx, c, i);
        return;
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        const failure = err instanceof UpstreamFailure ? err : toFailure(err, ctx.cancel);
        if (failure.kind === 'aborted') {
          // The client left before an answer: the provider bills what it was sent and made.
          const usage = abortedUsage(ctx, stream, this.config.governance.abortedOutputTokensPerSecond);
          const cost = this.pricing.cost(c, usage);
          ctx.spent = { tokens: usage.totalTokens, costUsd: attemptCost(usage, cost) };
          this.logAttempt(ctx, c, i, stream, attemptT0, failure, usage, null, cost);
          return;
        }
        this.logAttempt(ctx, c, i, stream, attemptT0, failure);
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
        if (i + 1 < candidates.length) this.metrics.fellBack(c.provider.name);
      }
    }
    throw allFailed(failures, (text) => this.caller.redact(text));
  }

  private readonly isPriced = (c: Candidate): boolean => this.pricing.isPriced(c);

  /**
   * Our own code after the upstream answered: a fault here is the gateway's (a 500 naming the
   * request id), never an upstream failure that would be retried elsewhere and billed twice.
   */
  private ownFault(ctx: RequestContext, err: unknown): never {
    if (err instanceof GatewayError || err instanceof UpstreamFailure) throw err;
    this.logger.error(`request ${ctx.requestId} failed after the upstream answered: ${(err as Error).stack ?? String(err)}`);
    const body = internalErrorBody(ctx.requestId).error;
    throw new GatewayError(500, body.code, body.message);
  }

  private async serveJson(ctx: RequestContext, c: Candidate, fallbackIndex: number): Promise<void> {
    let raw: { request: string; response: string } | null = null;
    let dropped: string[] | undefined;
    const { response, usage, json } = await this.caller.call<ParsedResponse>(c, ctx.call, async (up, _key, request) => {
      dropped = request.droppedTools;
      let text: string;
      try {
        text = await up.body.text();
      } catch (err) {
        throw toFailure(err, ctx.cancel);
      }
      if (ctx.sendRaw) raw = { request: request.body, response: text };
      try {
        return c.adapter.parseResponse(text, { requestBody: ctx.body, upstreamModel: c.upstreamModel });
      } catch {
        throw new UpstreamFailure('truncated', up.status, `${c.provider.name} returned a body that is not a valid response`);
      }
    });
    try {
      await this.answerJson(ctx, c, fallbackIndex, response, usage, json, raw, dropped);
    } catch (err) {
      this.ownFault(ctx, err);
    }
  }

  private async answerJson(
    ctx: RequestContext, c: Candidate, fallbackIndex: number, response: Record<string, unknown>, usage: Usage, json: string | undefined,
    raw: { request: string; response: string } | null, dropped: string[] | undefined,
  ): Promise<void> {
    const upstreamDone = performance.now();
    const latency = Math.round(upstreamDone - ctx.t0);
    const extra = { ...extraFields(c, ctx.modelRequested, fallbackIndex, dropped), latency, ...rawFields(raw) };
    const cost = this.pricing.cost(c, usage);
    const headers = this.headers(ctx, c, fallbackIndex, dropped);
    if (cost !== null) headers['x-bf-cost-usd'] = cost.total_cost_usd;
    const turn = ctx.turn;
    ctx.spent = { tokens: usage.totalTokens, costUsd: cost?.total_cost_usd ?? null };
    if (turn === null) {
      if (ctx.res !== null) sendJson(ctx.res, 200, responseWithExtraFields(response, json, extra, cost && toUsageCost(cost)), headers);
    } else {
      // The key's limits learn the cost now, not after the store's commit.
      ctx.settle();
      // Serialised once, for the store and the client; stored before the client has it.
      this.state.finalize(turn, response);
      const text = responseWithExtraFields(response, undefined, extra, cost && toUsageCost(cost));
      if (turn.background) await this.state.completeBackground(turn, response, text);
      else await this.state.commit(turn, response, text);
      if (ctx.res !== null) sendJson(ctx.res, 200, text, headers);
    }
    this.logSuccess(ctx, c, fallbackIndex, false, usage, latency, null);
    this.metrics.answered(c.provider.name, c.model, usage, cost?.total_cost ?? null, (upstreamDone - ctx.t0) / 1000, (performance.now() - ctx.t0) / 1000, false, null, 'responses');
  }

  private async serveStream(ctx: RequestContext, c: Candidate, fallbackIndex: number): Promise<void> {
    let rawRequest: string | null = null;
    let dropped: string[] | undefined;
    const primed = await this.caller.call<PrimedStream>(c, ctx.call, (up, _key, request) => {
      if (ctx.sendRaw) rawRequest = request.body;
      dropped = request.droppedTools;
      return primeStream(up, c, ctx.body);
    });
    const headers = this.headers(ctx, c, fallbackIndex, dropped);
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    headers['x-accel-buffering'] = 'no';
    const translator = primed.translator;
    const turn = ctx.turn;
    // The terminal event carries the cost of the usage it reports (and, stored, the gateway's ids).
    const decoration: TerminalDecoration = {
      cost: () => {
        const cost = this.pricing.cost(c, translator.usage);
        return cost && toUsageCost(cost);
      },
    };
    if (rawRequest !== null || turn !== null) {
      decoration.decorate = (response) => {
        if (rawRequest !== null) Object.assign(response.extra_fields as object, rawFields({ request: rawRequest, response: null }));
        if (turn !== null) this.state.finalize(turn, response);
      };
    }
    const hooks: RelayHooks = { redact: (text) => this.caller.redact(text) };
    if (turn !== null) {
      const ids = this.state.streamRewriter(turn);
      hooks.rewrite = (type, data) => ids.rewrite(type, data);
      hooks.beforeTerminal = (response) => {
        // The key's limits learn the cost now, not after the store's commit.
        const cost = this.pricing.cost(c, translator.usage);
        ctx.spent = { tokens: translator.usage.totalTokens, costUsd: cost?.total_cost_usd ?? null };
        ctx.settle();
        return this.state.commit(turn, response, JSON.stringify(response));
      };
    }
    const outcome = await relayStream(ctx, primed, extraFields(c, ctx.modelRequested, fallbackIndex, dropped), headers, decoration, hooks);
    const latency = Math.round(performance.now() - ctx.t0);
    const usage = outcome.cutOff || translator.terminal === null ? estimatedUsage(ctx, translator) : translator.usage;
    const cost = this.pricing.cost(c, usage);
    ctx.spent = { tokens: usage.totalTokens, costUsd: outcome.failure ? attemptCost(usage, cost) : (cost?.total_cost_usd ?? null) };
    if (outcome.failure) this.logAttempt(ctx, c, fallbackIndex, true, ctx.t0, outcome.failure, usage, outcome.ttftMs, cost);
    else {
      this.logSuccess(ctx, c, fallbackIndex, true, usage, latency, outcome.ttftMs, translator, cost?.total_cost_usd ?? null);
      this.metrics.answered(c.provider.name, c.model, usage, cost?.total_cost ?? null, latency / 1000, latency / 1000, true, outcome.ttftMs === null ? null : outcome.ttftMs / 1000, 'responses');
    }
  }

  private headers(ctx: RequestContext, c: Candidate, fallbackIndex: number, droppedTools?: string[]): Record<string, string> {
    const headers = this.idHeaders(ctx);
    headers['x-bf-provider'] = c.provider.name;
    headers['x-bf-model'] = headerValue(c.model);
    headers['x-bf-fallback-index'] = String(fallbackIndex);
    // Known before the first byte, so streams report it too.
    if (droppedTools !== undefined && droppedTools.length > 0) headers['x-bf-dropped-tools'] = headerValue(droppedTools.join(','));
    return headers;
  }

  private idHeaders(ctx: RequestContext): Record<string, string> {
    const headers: Record<string, string> = { 'x-request-id': ctx.requestId };
    if (ctx.clientRequestId !== null) headers['x-client-request-id'] = ctx.clientRequestId;
    return headers;
  }

  private logSuccess(
    ctx: RequestContext, c: Candidate, fallbackIndex: number, stream: boolean, usage: Usage, latencyMs: number,
    ttftMs: number | null, translator?: StreamTranslator, costUsd: string | null = ctx.spent.costUsd,
  ): void {
    this.metrics.attempt(c.provider.name, c.model, true, 'responses');
    const incomplete = translator?.terminal === 'incomplete';
    this.logs.enqueue({
      id: uuidv7(),
      requestId: ctx.requestId,
      clientRequestId: ctx.clientRequestId,
      createdAt: new Date(ctx.startedAt),
      virtualKeyId: ctx.key.id,
      requestType: 'responses',
      provider: c.provider.name,
      model: c.model,
      modelRequested: ctx.modelRequested,
      fallbackIndex,
      status: 'success',
      httpStatus: 200,
      errorCode: incomplete ? 'incomplete' : null,
      errorMessage: null,
      stream,
      inputTokens: usage.inputTokens,
      cachedTokens: usage.cachedTokens,
      outputTokens: usage.outputTokens,
      reasoningTokens: usage.reasoningTokens,
      totalTokens: usage.totalTokens,
      costUsd,
      latencyMs,
      ttftMs,
    });
  }

  private logAttempt(
    ctx: RequestContext, c: Candidate, fallbackIndex: number, stream: boolean, attemptT0: number, failure: UpstreamFailure,
    usage: Usage = ZERO_USAGE, ttftMs: number | null = null, cost: CostResult | null = null,
  ): void {
    this.metrics.attempt(c.provider.name, c.model, false, 'responses');
    this.logs.enqueue({
      id: uuidv7(),
      requestId: ctx.requestId,
      clientRequestId: ctx.clientRequestId,
      createdAt: new Date(ctx.startedAt),
      virtualKeyId: ctx.key.id,
      requestType: 'responses',
      provider: c.provider.name,
      model: c.model,
      modelRequested: ctx.modelRequested,
      fallbackIndex,
      status: 'error',
      httpStatus: failure.kind === 'aborted' ? 499 : failure.status || (failure.kind === 'timeout' ? 504 : 502),
      errorCode: failure.kind === 'http' ? (failure.info?.code ?? `http_${failure.status}`) : failure.kind,
      errorMessage: this.caller.redact(failure.message).slice(0, 1000),
      stream,
      inputTokens: usage.inputTokens,
      cachedTokens: usage.cachedTokens,
      outputTokens: usage.outputTokens,
      reasoningTokens: usage.reasoningTokens,
      totalTokens: usage.totalTokens,
      costUsd: attemptCost(usage, cost),
      latencyMs: Math.round(performance.now() - attemptT0),
      ttftMs,
    });
  }
}

const NO_COST = costToDecimalString(0);

/**
 * What a failed attempt cost: nothing when it produced no tokens (whatever the model's price),
 * else its priced usage, null when the model has no price ("served but unpriced").
 */
function attemptCost(usage: Usage, cost: CostResult | null): string | null {
  return usage.totalTokens === 0 ? NO_COST : (cost?.total_cost_usd ?? null);
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
function estimatedUsage(ctx: RequestContext, translator: StreamTranslator): Usage {
  const reported = translator.usage;
  const inputTokens = Math.max(reported.inputTokens, Math.ceil(ctx.inputBytes / BYTES_PER_TOKEN));
  const outputTokens = Math.max(reported.outputTokens, Math.ceil((translator.streamedChars ?? 0) / BYTES_PER_TOKEN));
  return { ...reported, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

/**
 * The client left before any answer reached it. Nothing was sent upstream yet: nothing to pay.
 * Otherwise the provider bills the input, and whatever output it made in the time it ran: for a
 * non-streaming request that is unseen, so it is estimated at `tokensPerSecond` up to the output
 * cap (a stream aborted while starting has made next to nothing).
 */
function abortedUsage(ctx: RequestContext, stream: boolean, tokensPerSecond: number): Usage {
  const sentAt = ctx.call.sentAt;
  if (sentAt === null) return ZERO_USAGE;
  const inputTokens = Math.ceil(ctx.inputBytes / BYTES_PER_TOKEN);
  const ranSeconds = Math.max(0, Date.now() - sentAt) / 1000;
  const outputTokens = stream ? 0 : Math.min(ctx.outputCap, Math.ceil(ranSeconds * tokensPerSecond));
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
