import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, errorMessage, errorText, GatewayError, type UpstreamKey } from '@app/common';
import {
  type Cancellation, HttpExecutor, retryAfterMs, UpstreamFailure, type ResponsesRequest, type UpstreamErrorInfo, type UpstreamReply, type UpstreamRequest,
  type UpstreamResponse,
} from '@app/providers';
import { FairShare } from './fair-share';
import { SecretRedactor } from './redact';
import type { Candidate } from './route-planner.service';

// Upstream error bodies are read only this far: enough for any real error message.
const MAX_ERROR_BODY = 64 * 1024;

/** Consumes an upstream 2xx: reads what it needs, or throws an UpstreamFailure to retry. */
export type Accept<T> = (res: UpstreamResponse, key: UpstreamKey, request: UpstreamRequest) => Promise<T>;

/**
 * Reads an upstream 2xx answer whole (its body as text), or throws an UpstreamFailure to retry. A
 * promise it returns is waited for; a rejection is a failed attempt too, unless a GatewayError.
 */
export type Read<T> = (reply: UpstreamReply, request: UpstreamRequest) => T | Promise<T>;

/** One request's side of a candidate's attempts. */
export interface CallContext {
  /** The virtual key: upstream connections are shared fairly among keys. */
  keyId: string;
  body: ResponsesRequest;
  stream: boolean;
  cancel: Cancellation;
  /** Set when a request was first handed to the upstream (an abort before then cost nothing). */
  sentAt: number | null;
  /**
   * A call that is not a Responses request (embeddings): its own request per upstream key and its
   * own error reading, in place of the candidate's adapter.
   */
  custom?: { build(key: UpstreamKey): UpstreamRequest; parseError(status: number, text: string): UpstreamErrorInfo };
}

/**
 * One candidate's attempts: key choice by weight among the keys that serve the model, then
 * retries with exponential backoff and full jitter on retryable failures; a 429 moves to
 * another key at once when the provider has one.
 */
@Injectable()
export class UpstreamCaller implements OnApplicationShutdown {
  private readonly logger = new Logger(UpstreamCaller.name);
  private readonly fair: FairShare;
  private readonly redactor: SecretRedactor;

  constructor(
    private readonly executor: HttpExecutor,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.fair = new FairShare(config.http.upstreamConnectionsPerOrigin);
    const secrets: string[] = [];
    for (const p of Object.values(config.providers)) {
      for (const k of p.keys) secrets.push(k.value, ...(k.aws ? [k.aws.accessKeyId, k.aws.secretAccessKey] : []));
    }
    this.redactor = new SecretRedactor(secrets);
  }

  /** Upstream text cleared of anything credential-like, before it reaches a client or a log. */
  redact(text: string): string {
    return this.redactor.redact(text);
  }

  /** Calls the candidate until an answer's headers are accepted (a stream, read on by `accept`). */
  call<T>(c: Candidate, ctx: CallContext, accept: Accept<T>): Promise<T> {
    return this.attempts(c, ctx, accept, null);
  }

  /** Calls the candidate until `read` accepts a whole answer (not a stream). */
  callWhole<T>(c: Candidate, ctx: CallContext, read: Read<T>): Promise<T> {
    return this.attempts(c, ctx, null, read);
  }

  /** One of `accept` (the answer at its headers) and `read` (the answer whole, in one promise). */
  private async attempts<T>(c: Candidate, ctx: CallContext, accept: Accept<T> | null, read: Read<T> | null): Promise<T> {
    const { provider } = c;
    const { cancel } = ctx;
    // Keys that answered 429, made only when one does.
    let limited: Set<UpstreamKey> | null = null;
    for (let attempt = 0; ; attempt++) {
      const key = pickKey(c.keys, limited);
      const req = this.build(c, ctx, key);
      try {
        const slot = this.fair.acquire(provider.name, ctx.keyId, cancel);
        const release = typeof slot === 'function' ? slot : await slot;
        ctx.sentAt ??= Date.now();
        const opts = { cancel, headersTimeoutMs: provider.timeoutMs, bodyTimeoutMs: ctx.stream ? provider.streamIdleTimeoutMs : provider.timeoutMs, onDone: release };
        if (read !== null) {
          return await this.executor.fetch(req, opts, MAX_ERROR_BODY, (reply) => {
            if (reply.status >= 200 && reply.status < 300) return read(reply, req);
            throw this.replyFailure(c, ctx, reply);
          });
        }
        const res = await this.executor.send(req, opts);
        if (res.status >= 200 && res.status < 300 && accept !== null) {
          try {
            return await accept(res, key, req);
          } catch (err) {
            // Whatever was not read must not hold the upstream connection until its idle timeout.
            res.body.destroy();
            throw err;
          }
        }
        throw await this.httpFailure(c, res, ctx);
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        const failure = err instanceof UpstreamFailure ? err : new UpstreamFailure('network', 0, errorMessage(err));
        if (cancel.aborted || !failure.retryable || attempt >= provider.maxRetries) throw failure;
        let otherKey = false;
        if (failure.status === 429) {
          limited ??= new Set();
          limited.add(key);
          otherKey = limited.size < c.keys.length;
        }
        if (!otherKey) {
          const wait = backoff(attempt, provider.retryBackoffMs, provider.retryBackoffMaxMs, failure.retryAfterMs);
          // The provider asks for a longer pause than our budget: let the next candidate serve.
          if (wait === null) throw failure;
          await sleep(wait, cancel);
        }
      }
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.executor.close();
  }

  /**
   * The provider's request. A translator only reshapes the client's own input: what it cannot
   * take is the caller's 400 (named by the translator where it knows the field), never an
   * upstream failure that would be retried or fall back.
   */
  private build(c: Candidate, ctx: CallContext, key: UpstreamKey): UpstreamRequest {
    try {
      if (ctx.custom !== undefined) return ctx.custom.build(key);
      return c.adapter.buildRequest({ body: ctx.body, upstreamModel: c.upstreamModel, stream: ctx.stream, provider: c.provider, key });
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      this.logger.warn(`${c.provider.name} could not translate a request: ${errorText(err)}`);
      throw GatewayError.invalidRequest(`The request cannot be translated for provider '${c.provider.name}': ${errorMessage(err)}`);
    }
  }

  private async httpFailure(c: Candidate, res: UpstreamResponse, ctx: CallContext): Promise<UpstreamFailure> {
    let text = '';
    try {
      text = await res.body.text(MAX_ERROR_BODY);
    } catch {
      // the error body itself broke off: the status still says what happened
    }
    return this.replyFailure(c, ctx, { status: res.status, headers: res.headers, text, ascii: false });
  }

  /** An upstream's error answer as a failure, its message cleared of credentials. */
  private replyFailure(c: Candidate, ctx: CallContext, reply: UpstreamReply): UpstreamFailure {
    const info = (ctx.custom ?? c.adapter).parseError(reply.status, reply.text);
    const clean = { ...info, message: this.redact(info.message) };
    return new UpstreamFailure('http', reply.status, clean.message, clean, retryAfterMs(c.provider.name, reply.status, reply.headers));
  }
}

function pickKey(keys: UpstreamKey[], excluded: Set<UpstreamKey> | null): UpstreamKey {
  if (keys.length === 1) return keys[0];
  const usable = excluded === null || excluded.size >= keys.length ? keys : keys.filter((k) => !excluded.has(k));
  let total = 0;
  for (const k of usable) total += k.weight;
  let r = Math.random() * total;
  for (const k of usable) {
    r -= k.weight;
    if (r < 0) return k;
  }
  return usable[usable.length - 1];
}

/** Full jitter; null when the upstream's Retry-After exceeds what we are willing to wait. */
export function backoff(attempt: number, baseMs: number, maxMs: number, retryAfterMs: number | null): number | null {
  if (retryAfterMs !== null) return retryAfterMs <= maxMs ? retryAfterMs : null;
  return Math.random() * Math.min(maxMs, baseMs * 2 ** attempt);
}

function sleep(ms: number, cancel: Cancellation): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
    const unsubscribe = cancel.onCancel(() => {
      clearTimeout(timer);
      reject(new UpstreamFailure('aborted', 0, 'client closed the connection'));
    });
  });
}
