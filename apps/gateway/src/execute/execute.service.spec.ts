import { Logger } from '@nestjs/common';
import { type AppConfig, GatewayError } from '@app/common';
import { Cancellation, type HttpExecutor, type UpstreamReply } from '@app/providers';
import { OpenAIAdapter } from '@app/providers/openai/openai.adapter';
import type { Admitted } from '../plan/admission.service';
import type { Candidate } from '../routing/route-planner.service';
import { UpstreamCaller } from '../routing/upstream-caller.service';
import { Outcome } from '../settle/outcome';
import type { SettleStage } from '../settle/settle.service';
import { answerHeaders, ExecuteStage } from './execute.service';

describe('answerHeaders', () => {
  const candidate = { provider: { name: 'openai' }, model: 'gpt-4o-mini' } as Candidate;
  const request = (clientRequestId: string | null, requestIdHeader?: string) =>
    ({ ids: { requestId: 'rid', clientRequestId, invalid: false }, format: { requestIdHeader } }) as unknown as Admitted;

  it('names the request, the provider, the model and the fallback index, in that order', () => {
    expect(Object.entries(answerHeaders(request(null), candidate, 0))).toEqual([
      ['x-request-id', 'rid'], ['x-bf-provider', 'openai'], ['x-bf-model', 'gpt-4o-mini'], ['x-bf-fallback-index', '0'],
    ]);
  });

  it('echoes the client\'s id and the format\'s own id header after the request id', () => {
    expect(Object.entries(answerHeaders(request('mine', 'request-id'), candidate, 1))).toEqual([
      ['x-request-id', 'rid'], ['x-client-request-id', 'mine'], ['request-id', 'rid'],
      ['x-bf-provider', 'openai'], ['x-bf-model', 'gpt-4o-mini'], ['x-bf-fallback-index', '1'],
    ]);
  });

  it('names dropped tools, and percent-encodes what a header cannot carry', () => {
    const headers = answerHeaders(request(null), { ...candidate, model: 'modèle' }, 2, ['a', 'b']);
    expect(headers['x-bf-model']).toBe('mod%C3%A8le');
    expect(headers['x-bf-dropped-tools']).toBe('a,b');
    expect(answerHeaders(request('mine'), candidate, 0, [])['x-bf-dropped-tools']).toBeUndefined();
  });
});

describe('ExecuteStage, a JSON answer', () => {
  it('a fault of its own after the upstream answered is a 500: no retry, no fallback', async () => {
    const body = '{"id":"resp_1","object":"response","status":"completed","output":[],"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}';
    const fetch = jest.fn((_req: unknown, _opts: unknown, _max: number, read: (reply: UpstreamReply) => unknown) =>
      new Promise((resolve) => resolve(read({ status: 200, headers: {}, text: body }))));
    const config = { providers: {}, http: { upstreamConnectionsPerOrigin: 4 }, governance: { abortedOutputTokensPerSecond: 50 } } as unknown as AppConfig;
    const caller = new UpstreamCaller({ fetch, close: async () => undefined } as unknown as HttpExecutor, config);
    const settle = { price: () => { throw new TypeError('a bug'); } } as unknown as SettleStage;
    const stage = new ExecuteStage(config, caller, settle);
    const candidate = (name: string) => ({
      label: `${name}/m`, model: 'm', upstreamModel: 'm', adapter: new OpenAIAdapter(), keys: [{ id: 'k', value: 'v', weight: 1, models: [] }],
      provider: { name, baseUrl: 'http://upstream.invalid/v1', headers: {}, maxRetries: 2, timeoutMs: 1_000, streamIdleTimeoutMs: 1_000, retryBackoffMs: 0, retryBackoffMaxMs: 0 },
    }) as unknown as Candidate;
    const admitted = {
      request: { body: { model: 'm', input: 'hi' }, stream: false }, key: { id: 'vk' }, candidates: [candidate('a'), candidate('b')], onStatus: null, turn: null,
      format: { canonical: true, requestType: 'responses' }, ids: { requestId: 'rid', clientRequestId: null }, sendRaw: false, t0: 0, modelRequested: 'a/m',
    } as unknown as Admitted;
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const err = await stage.run(admitted, new Outcome(admitted), null, new Cancellation()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 500 });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('request rid failed after the upstream answered: TypeError: a bug'));
    logged.mockRestore();
  });
});
