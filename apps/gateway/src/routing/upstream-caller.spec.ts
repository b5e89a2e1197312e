import { type AppConfig, GatewayError } from '@app/common';
import { Cancellation, type HttpExecutor, type ProviderAdapter, UpstreamFailure } from '@app/providers';
import type { Candidate } from './route-planner.service';
import { UpstreamCaller } from './upstream-caller.service';

const config = { providers: {}, http: { upstreamConnectionsPerOrigin: 4 } } as unknown as AppConfig;

/** One call through a caller whose executor is `send`, for a candidate with the given adapter; resolves to what it threw. */
function callFailing(send: jest.Mock, adapter: ProviderAdapter, maxRetries = 3): Promise<unknown> {
  const caller = new UpstreamCaller({ send, close: async () => undefined } as unknown as HttpExecutor, config);
  const c = {
    label: 'x/m', model: 'm', upstreamModel: 'm', adapter, keys: [{ id: 'k', value: 'v', weight: 1, models: [] }],
    provider: { name: 'x', maxRetries, timeoutMs: 1_000, streamIdleTimeoutMs: 1_000, retryBackoffMs: 0, retryBackoffMaxMs: 0 },
  } as unknown as Candidate;
  return caller.call(c, { keyId: 'key', body: { model: 'm' }, stream: false, cancel: Cancellation.never, sentAt: null }, async () => 'never').then(
    () => { throw new Error('the call was expected to fail'); },
    (e: unknown) => e,
  );
}

describe('UpstreamCaller', () => {
  it.each([
    ['an Error', new TypeError("Cannot read properties of undefined (reading 'text')")],
    ['undefined', undefined],
  ])("turns a translator's own exception (%s) into the caller's 400: no upstream call, no retry, no fallback", async (_, thrown) => {
    const send = jest.fn();
    const adapter = {
      buildRequest: () => {
        throw thrown;
      },
    } as unknown as ProviderAdapter;
    const err = await callFailing(send, adapter);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_request' });
    expect((err as Error).message).toContain("provider 'x'");
    expect(send).not.toHaveBeenCalled();
  });

  it('treats an executor that rejects with undefined as a network failure, not a fault of its own', async () => {
    const send = jest.fn().mockRejectedValue(undefined);
    const adapter = { buildRequest: () => ({ url: 'http://x.invalid/', method: 'POST', headers: {}, body: '{}' }) } as unknown as ProviderAdapter;
    const err = await callFailing(send, adapter, 0);
    expect(err).toBeInstanceOf(UpstreamFailure);
    expect(err).toMatchObject({ status: 0 });
    expect(send).toHaveBeenCalledTimes(1);
  });
});
