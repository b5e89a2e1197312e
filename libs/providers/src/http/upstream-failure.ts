import { errorMessage } from '@app/common/errors/error-text';
import type { UpstreamErrorInfo } from '../types';

/** `internal`: the gateway's own code failed during the attempt (never the provider's fault). */
export type FailureKind = 'http' | 'network' | 'timeout' | 'truncated' | 'stream_error' | 'aborted' | 'internal';

/** Statuses worth another try: the upstream's trouble, not the caller's. */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Why one upstream attempt failed. `retryable` failures are retried on the same provider
 * and then fall back; `fallbackable` ones (the provider refusing the gateway's own
 * credentials) skip retries but may still fall back; the rest are the caller's own fault.
 */
export class UpstreamFailure extends Error {
  readonly retryable: boolean;
  readonly fallbackable: boolean;

  constructor(
    readonly kind: FailureKind,
    readonly status: number,
    message: string,
    readonly info: UpstreamErrorInfo | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'UpstreamFailure';
    this.retryable = kind === 'http' ? retryableStatus(status) : kind !== 'aborted' && kind !== 'internal';
    this.fallbackable = this.retryable || (kind === 'http' && (status === 401 || status === 403));
  }

  /** How the failure is shown in a log row and in the all-failed message. */
  get label(): string {
    return this.kind === 'http' ? String(this.status) : this.kind;
  }
}

/**
 * A throw from the gateway's own code during an attempt (a consumer of the body, a settle, an
 * encoder): a 500 of the gateway's, neither retried nor fallen back, nor held against the
 * provider. Its message is for the log row; the client is told only the generic internal error.
 */
export function internalFailure(err: unknown): UpstreamFailure {
  if (err instanceof UpstreamFailure && err.kind === 'internal') return err;
  return new UpstreamFailure('internal', 500, `internal error: ${errorMessage(err)}`);
}

/** `retry-after-ms` (OpenAI) or `retry-after` in seconds or as an HTTP date. */
export function parseRetryAfter(headers: Record<string, string | string[] | undefined>): number | null {
  const ms = headers['retry-after-ms'];
  if (typeof ms === 'string' && ms !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers['retry-after'];
  if (typeof ra !== 'string' || ra === '') return null;
  const seconds = Number(ra);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(ra);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
