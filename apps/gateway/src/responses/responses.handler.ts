import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, ErrorCode, GatewayError } from '@app/common';
import {
  type ParsedResponse,
  type ResponsesRequest,
  type StreamTranslator,
  toFailure,
  type Usage,
  UpstreamFailure,
  ZERO_USAGE,
} from '@app/providers';
import { type CachedKey, VirtualKeyCache } from '../auth/virtual-key-cache.service';
import { assertKeyUsable } from '../governance/key-policy';
import { readBody, sendError, sendJson } from '../http/http-io';
import { RequestLogWriter } from '../request-log/request-log.writer';
import { type Candidate, RoutePlanner } from '../routing/route-planner.service';
import { UpstreamCaller } from '../routing/upstream-caller.service';
import { extraFields, responseWithExtraFields } from './extra-fields';
import { parseResponsesRequest } from './responses-request';
import { type PrimedStream, primeStream, relayStream } from './stream-relay';

const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;

/** What one request carries through its attempts. */
export interface RequestContext {
  requestId: string;
  key: CachedKey;
  body: ResponsesRequest;
  modelRequested: string;
  startedAt: number;
  t0: number;
  signal: AbortSignal;
  res: ServerResponse;
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
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && REQUEST_ID_RE.test(header) ? header : randomUUID();
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
    const parsed = parseResponsesRequest(await readBody(req, this.config.maxBodyBytes));
    const candidates = this.planner.plan(parsed.models, key);

    // The client leaving aborts whatever upstream call is in flight.
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const ctx: RequestContext = {
      requestId, key, body: parsed.body, modelRequested: parsed.models[0], startedAt, t0, signal: abort.signal, res,
    };
    const failures: FailedAttempt[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      const attemptT0 = performance.now();
      try {
        if (parsed.stream) await this.serveStream(ctx, c, i);
        else await this.serveJson(ctx, c, i);
        return;
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        const failure = err instanceof UpstreamFailure ? err : toFailure(err, ctx.signal);
        this.logAttempt(ctx, c, i, parsed.stream, attemptT0, failure);
        if (failure.kind === 'aborted') return;
        if (!failure.fallbackable) {
          // The caller's own mistake, as the provider worded it: trying elsewhere would not help.
          throw new GatewayError(failure.status, failure.info?.code ?? ErrorCode.InvalidRequest, failure.message, failure.info?.param ?? null, {
            'x-bf-provider': c.provider.name,
            'x-bf-fallback-index': String(i),
          });
        }
        failures.push({ candidate: c, failure });
      }
    }
    throw allFailed(failures);
  }

  private async serveJson(ctx: RequestContext, c: Candidate, fallbackIndex: number): Promise<void> {
    const { response, usage, json } = await this.caller.call<ParsedResponse>(c, ctx.body, false, ctx.signal, async (up) => {
      let text: string;
      try {
        text = await up.body.text();
      } catch (err) {
        throw toFailure(err, ctx.signal);
      }
      try {
        return c.adapter.parseResponse(text);
      } catch {
        throw new UpstreamFailure('truncated', up.status, `${c.provider.name} returned a body that is not a valid response`);
      }
    });
    const latency = Math.round(performance.now() - ctx.t0);
    const extra = { ...extraFields(c, ctx.modelRequested, fallbackIndex), latency };
    sendJson(ctx.res, 200, responseWithExtraFields(response, json, extra), this.headers(ctx, c, fallbackIndex));
    this.logSuccess(ctx, c, fallbackIndex, false, usage, latency, null);
  }

  private async serveStream(ctx: RequestContext, c: Candidate, fallbackIndex: number): Promise<void> {
    const primed = await this.caller.call<PrimedStream>(c, ctx.body, true, ctx.signal, (up) => primeStream(up, c, ctx.signal));
    const headers = this.headers(ctx, c, fallbackIndex);
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    headers['x-accel-buffering'] = 'no';
    const outcome = await relayStream(ctx, primed, extraFields(c, ctx.modelRequested, fallbackIndex), headers);
    const latency = Math.round(performance.now() - ctx.t0);
    if (outcome.failure) this.logAttempt(ctx, c, fallbackIndex, true, ctx.t0, outcome.failure, primed.translator, outcome.ttftMs);
    else this.logSuccess(ctx, c, fallbackIndex, true, primed.translator.usage, latency, outcome.ttftMs, primed.translator);
  }

  private headers(ctx: RequestContext, c: Candidate, fallbackIndex: number): Record<string, string> {
    return {
      'x-request-id': ctx.requestId,
      'x-bf-provider': c.provider.name,
      'x-bf-model': c.model,
      'x-bf-fallback-index': String(fallbackIndex),
    };
  }

  private logSuccess(
    ctx: RequestContext, c: Candidate, fallbackIndex: number, stream: boolean, usage: Usage, latencyMs: number,
    ttftMs: number | null, translator?: StreamTranslator,
  ): void {
    const incomplete = translator?.terminal === 'incomplete';
    this.logs.enqueue({
      id: randomUUID(),
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
      costUsd: null,
      latencyMs,
      ttftMs,
    });
  }

  private logAttempt(
    ctx: RequestContext, c: Candidate, fallbackIndex: number, stream: boolean, attemptT0: number, failure: UpstreamFailure,
    translator?: StreamTranslator, ttftMs: number | null = null,
  ): void {
    const usage = translator?.usage ?? ZERO_USAGE;
    this.logs.enqueue({
      id: randomUUID(),
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
      costUsd: null,
      latencyMs: Math.round(performance.now() - attemptT0),
      ttftMs,
    });
  }
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
