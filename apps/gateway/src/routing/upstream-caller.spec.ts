import { type AppConfig, GatewayError } from '@app/common';
import { Cancellation, type HttpExecutor, type ProviderAdapter } from '@app/providers';
import type { Candidate } from './route-planner.service';
import { UpstreamCaller } from './upstream-caller.service';

const config = { providers: {}, http: { upstreamConnectionsPerOrigin: 4 } } as unknown as AppConfig;

describe('UpstreamCaller', () => {
  it("turns a translator's own exception into the caller's 400: no upstream call, no retry, no fallback", async () => {
    const send = jest.fn();
    const caller = new UpstreamCaller({ send, close: async () => undefined } as unknown as HttpExecutor, config);
    const adapter = {
      buildRequest: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'text')");
      },
    } as unknown as ProviderAdapter;
    const c = {
      label: 'x/m', model: 'm', upstreamModel: 'm', adapter, keys: [{ id: 'k', value: 'v', weight: 1, models: [] }],
      provider: { name: 'x', maxRetries: 3, timeoutMs: 1_000, streamIdleTimeoutMs: 1_000, retryBackoffMs: 0, retryBackoffMaxMs: 0 },
    } as unknown as Candidate;
    const err = await caller.call(c, { keyId: 'key', body: { model: 'm' }, stream: false, cancel: Cancellation.never, sentAt: null }, async () => 'never').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_request' });
    expect((err as Error).message).toContain("provider 'x'");
    expect(send).not.toHaveBeenCalled();
  });
});
