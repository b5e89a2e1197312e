import type { ProviderConfig } from '@app/common';
import { GatewayError } from '@app/common';
import { SseParser } from '../sse/sse-parser';
import type { ResponsesStreamEvent, StreamTranslator } from '../types';

/** A provider config for adapter tests: the name, kind and base URL, everything else inert. */
export function testProvider(config: Pick<ProviderConfig, 'name' | 'kind' | 'baseUrl'> & Partial<ProviderConfig>): ProviderConfig {
  return {
    keys: [], timeoutMs: 1, streamIdleTimeoutMs: 1, maxRetries: 0, retryBackoffMs: 0, retryBackoffMaxMs: 0,
    models: [], aliases: {}, headers: {}, deployments: {}, ...config,
  };
}

/** The GatewayError `fn` throws (anything else thrown, or nothing, fails the test). */
export function rejection(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

/** Feeds SSE bytes through the parser and `t` in `step`-byte slices, like a network would. */
export function translateSse<T extends StreamTranslator>(wire: string | Buffer, step: number, t: T): { events: ResponsesStreamEvent[]; t: T } {
  const bytes = typeof wire === 'string' ? Buffer.from(wire) : wire;
  const parser = new SseParser();
  const events: ResponsesStreamEvent[] = [];
  for (let i = 0; i < bytes.length; i += step) for (const ev of parser.push(bytes.subarray(i, i + step))) events.push(...t.push(ev));
  return { events, t };
}
