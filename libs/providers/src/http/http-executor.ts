import { Agent, request, type Dispatcher } from 'undici';
import type { UpstreamRequest } from '../types';
import { UpstreamFailure } from './upstream-failure';

export interface SendOptions {
  /** Aborted when the client goes away or the attempt's deadline passes. */
  signal: AbortSignal;
  /** Until the response headers arrive. */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks (the stream idle timeout). */
  bodyTimeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/**
 * The one place that talks to providers: a keep-alive connection pool per upstream origin
 * (undici), timeouts, and aborts that reach the upstream socket when the client leaves.
 */
export class HttpExecutor {
  private readonly agent: Agent;

  constructor(options: { connectionsPerOrigin?: number } = {}) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connections: options.connectionsPerOrigin ?? 256,
      pipelining: 1,
      connect: { timeout: 10_000 },
    });
  }

  async send(req: UpstreamRequest, opts: SendOptions): Promise<UpstreamResponse> {
    try {
      const res = await request(req.url, {
        method: 'POST',
        headers: req.headers,
        body: req.body,
        signal: opts.signal,
        dispatcher: this.agent,
        headersTimeout: opts.headersTimeoutMs,
        bodyTimeout: opts.bodyTimeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw toFailure(err, opts.signal);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Network-level errors as failures; an abort is a timeout or the client leaving, by the signal's reason. */
export function toFailure(err: unknown, signal?: AbortSignal): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err;
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  if (signal?.aborted) {
    const reason = signal.reason as { name?: string } | undefined;
    return reason?.name === 'TimeoutError'
      ? new UpstreamFailure('timeout', 0, 'upstream request timed out')
      : new UpstreamFailure('aborted', 0, 'client closed the connection');
  }
  const code = e.code ?? e.cause?.code;
  if (code && TIMEOUT_CODES.has(code)) {
    return new UpstreamFailure('timeout', 0, code === 'UND_ERR_BODY_TIMEOUT' ? 'upstream went silent (stream idle timeout)' : 'upstream request timed out');
  }
  return new UpstreamFailure('network', 0, `network error: ${code ?? e.message ?? 'unknown'}`);
}
