import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, ErrorCode, GatewayError, uuidv7 } from '@app/common';
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
import { type Admission, GovernanceService } from '../governance/governance.service';
import { assertKeyUsable } from '../governance/key-policy';
import { MetricsService } from '../metrics/metrics.service';
import { FallbackPolicyCache } from '../routing/fallback-policy-cache.service';
import { readBody, sendError, sendJson } from '../http/http-io';
import { RequestLogWriter } from '../request-log/request-log.writer';
import { type Candidate, RoutePlanner } from '../routing/route-planner.service';
import { UpstreamCaller } from '../routing/upstream-caller.service';
import { ResponseStateService, type Turn } from '../state/response-state.service';
import { extraFields, responseWithExtraFields } from './extra-fields';
import { parseResponsesRequest } from './responses-request';
import { type PrimedStream, primeStream, type RelayHooks, relayStream, type TerminalDecoration } from './stream-relay';

const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;

/** What one request carries through its attempts. */
export interface RequestContext {
  requestId: string;
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
  /** Size of the client's body, for estimating the input of a stream cut before its usage. */
  bodyBytes: number;
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
    const header = req.headers['x-request-id'];
    // Time-ordered ids (as are the log rows'): they land at the right edge of the log's indexes.
    const requestId = typeof header === 'string' && REQUEST_ID_RE.test(header) ? header : uuidv7();
    this.run(req, res, requestId).catch((err: unknown) => {
      if (!(err instanceof GatewayError)) this.logger.error(`request ${requestId} failed: ${(err as Error).stack ?? String(err)}`);
      if (res.headersSent) res.destroy();
      else sendError(res, err, requestId);
    });
  }

  private async run(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const startedAt = Date.now();
    const t0 = performance.now();
    const key = this.keys.authenticate(req.headers.authorization, req.headers['x-bf-vk']);
    assertKeyUsable(key, startedAt);
    const raw = await readBody(req, this.config.maxBodyBytes);
    const parsed = parseResponsesRequest(raw);

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
    const candidates = this.planner.plan(models, key, parsed.hasRequestFallbacks);
    // Stored conversation resolved (memory first) before the body is translated for any provider.
    const turn = await this.state.prepare(key.id, parsed.body, parsed.stream);
    const admission = this.governance.needsAdmission(key)
      ? await this.governance.admit(key, startedAt, this.estimateUsd(candidates[0], parsed.body, raw.length))
      : null;

    const ctx: RequestContext = {
      requestId, key, body: parsed.body, modelRequested: parsed.models[0], startedAt, t0, cancel: Cancellation.never, res, turn,
      sendRaw: key.allowSendRaw && req.headers['x-bf-send-raw'] === 'true',
      bodyBytes: raw.length,
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
    if (res !== null) sendJson(res, 200, JSON.stringify(queued), { 'x-request-id': ctx.requestId });
    ctx.res = null;
    this.state.runBackground(turn, async (signal) => {
      ctx.cancel = Cancellation.fromSignal(signal);
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
        this.logAttempt(ctx, c, i, stream, attemptT0, failure);
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
        if (i + 1 < candidates.length) this.metrics.fellBack(c.provider.name);
      }
    }
    throw allFailed(failures);
  }

  /** What a request may cost before the key has any history: its size in, its output cap out. */
  private estimateUsd(c: Candidate, body: ResponsesRequest, bytes: number): number {
    const maxOut = typeof body.max_output_tokens === 'number' ? body.max_output_tokens : 1024;
    const input = Math.ceil(bytes / 4);
    const cost = this.pricing.cost(c, { inputTokens: input, cachedTokens: 0, outputTokens: maxOut, reasoningTokens: 0, totalTokens: input + maxOut });
    return cost === null ? 0 : cost.total_cost;
  }

  private async serveJson(ctx: RequestContext, c: Candidate, fallbackIndex: number): Promise<void> {
    let raw: { request: string; response: string } | null = null;
    let dropped: string[] | undefined;
    const { response, usage, json } = await this.caller.call<ParsedResponse>(c, ctx.body, false, ctx.cancel, async (up, _key, request) => {
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
    this.metrics.answered(c.provider.name, c.model, usage, cost?.total_cost ?? null, (upstreamDone - ctx.t0) / 1000, (performance.now() - ctx.t0) / 1000, false, null);
  }

  private async serveStream(ctx: RequestContext, c: Candidate, fallbackIndex: number): Promise<void> {
    let rawRequest: string | null = null;
    let dropped: string[] | undefined;
    const primed = await this.caller.call<PrimedStream>(c, ctx.body, true, ctx.cancel, (up, _key, request) => {
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
    let hooks: RelayHooks = {};
    if (turn !== null) {
      const ids = this.state.streamRewriter(turn);
      hooks = {
        rewrite: (type, data) => ids.rewrite(type, data),
        beforeTerminal: (response) => {
          // The key's limits learn the cost now, not after the store's commit.
          const cost = this.pricing.cost(c, translator.usage);
          ctx.spent = { tokens: translator.usage.totalTokens, costUsd: cost?.total_cost_usd ?? null };
          ctx.settle();
          return this.state.commit(turn, response, JSON.stringify(response));
        },
      };
    }
    const outcome = await relayStream(ctx, primed, extraFields(c, ctx.modelRequested, fallbackIndex, dropped), headers, decoration, hooks);
    const latency = Math.round(performance.now() - ctx.t0);
    const usage = translator.terminal === null ? estimatedUsage(ctx, translator) : translator.usage;
    const cost = this.pricing.cost(c, usage);
    ctx.spent = { tokens: usage.totalTokens, costUsd: outcome.failure ? attemptCost(usage, cost) : (cost?.total_cost_usd ?? null) };
    if (outcome.failure) this.logAttempt(ctx, c, fallbackIndex, true, ctx.t0, outcome.failure, usage, outcome.ttftMs, cost);
    else {
      this.logSuccess(ctx, c, fallbackIndex, true, usage, latency, outcome.ttftMs, translator, cost?.total_cost_usd ?? null);
      this.metrics.answered(c.provider.name, c.model, usage, cost?.total_cost ?? null, latency / 1000, latency / 1000, true, outcome.ttftMs === null ? null : outcome.ttftMs / 1000);
    }
  }

  private headers(ctx: RequestContext, c: Candidate, fallbackIndex: number, droppedTools?: string[]): Record<string, string> {
    const headers: Record<string, string> = {
      'x-request-id': ctx.requestId,
      'x-bf-provider': c.provider.name,
      'x-bf-model': c.model,
      'x-bf-fallback-index': String(fallbackIndex),
    };
    // Known before the first byte, so streams report it too.
    if (droppedTools !== undefined && droppedTools.length > 0) headers['x-bf-dropped-tools'] = droppedTools.join(',');
    return headers;
  }

  private logSuccess(
    ctx: RequestContext, c: Candidate, fallbackIndex: number, stream: boolean, usage: Usage, latencyMs: number,
    ttftMs: number | null, translator?: StreamTranslator, costUsd: string | null = ctx.spent.costUsd,
  ): void {
    this.metrics.attempt(c.provider.name, c.model, true);
    const incomplete = translator?.terminal === 'incomplete';
    this.logs.enqueue({
      id: uuidv7(),
      requestId: ctx.requestId,
      createdAt: new Date(ctx.startedAt),
      virtualKeyId: ctx.key.id,
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
    this.metrics.attempt(c.provider.name, c.model, false);
    this.logs.enqueue({
      id: uuidv7(),
      requestId: ctx.requestId,
      createdAt: new Date(ctx.startedAt),
      virtualKeyId: ctx.key.id,
      provider: c.provider.name,
      model: c.model,
      modelRequested: ctx.modelRequested,
      fallbackIndex,
      status: 'error',
      httpStatus: failure.kind === 'aborted' ? 499 : failure.status || (failure.kind === 'timeout' ? 504 : 502),
      errorCode: failure.kind === 'http' ? (failure.info?.code ?? `http_${failure.status}`) : failure.kind,
      errorMessage: failure.message.slice(0, 1000),
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

/**
 * A stream that ended before the provider reported usage (the client left, the upstream broke
 * off) still consumed tokens and is billed upstream: estimate them (4 characters a token) so
 * that the cost log and the key's budget see them. Usage reported mid-stream wins if larger.
 */
function estimatedUsage(ctx: RequestContext, translator: StreamTranslator): Usage {
  const reported = translator.usage;
  const inputTokens = Math.max(reported.inputTokens, Math.ceil(ctx.bodyBytes / 4));
  const outputTokens = Math.max(reported.outputTokens, Math.ceil((translator.streamedChars ?? 0) / 4));
  return { ...reported, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

/** 504 when every candidate timed out, else 502; the message names each provider and what it said. */
function allFailed(failures: FailedAttempt[]): GatewayError {
  const allTimeouts = failures.length > 0 && failures.every((f) => f.failure.kind === 'timeout');
  const tried = failures.map((f) => `${f.candidate.label} (${f.failure.label}: ${f.failure.message.slice(0, 200)})`).join('; ');
  const message = failures.length === 0 ? 'No provider could serve the request.' : `All providers failed: ${tried}`;
  return allTimeouts
    ? new GatewayError(504, ErrorCode.UpstreamTimeout, message)
    : new GatewayError(502, ErrorCode.UpstreamError, message);
}
