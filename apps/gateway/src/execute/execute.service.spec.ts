import { type AddressInfo } from 'node:net';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { type AppConfig, GatewayError } from '@app/common';
import { Cancellation, HttpExecutor, type UpstreamReply } from '@app/providers';
import { OpenAIAdapter } from '@app/providers/openai/openai.adapter';
import type { Turn } from '../conversation/turn';
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
      new Promise((resolve) => resolve(read({ status: 200, headers: {}, text: body, ascii: true }))));
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

describe('ExecuteStage, attempts on the JSON path', () => {
  const ok = '{"id":"resp_1","object":"response","status":"completed","output":[],"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}';
  const config = { providers: {}, http: { upstreamConnectionsPerOrigin: 4 }, governance: { abortedOutputTokensPerSecond: 50 } } as unknown as AppConfig;
  // Each upstream request takes the next scripted answer: a status and body (and headers), or 'hang' (no answer).
  type Scripted = { status: number; body?: string; headers?: Record<string, string> } | 'hang';
  let server: Server;
  let base: string;
  let script: Scripted[];
  let seen: Array<{ provider: string; auth: string | undefined }>;
  let executor: HttpExecutor;

  beforeEach(async () => {
    script = [];
    seen = [];
    server = createServer((req, res) => {
      seen.push({ provider: req.url!.split('/')[1], auth: req.headers.authorization });
      req.resume();
      const next = script.shift() ?? { status: 200 };
      if (next === 'hang') return;
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(next.body ?? (next.status === 200 ? ok : '{"error":{"message":"upstream says no","type":"server_error"}}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    executor = new HttpExecutor();
  });

  afterEach(async () => {
    await executor.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const candidate = (name: string, over: Record<string, unknown> = {}, keys = ['v']) => ({
    label: `${name}/m`, model: 'm', upstreamModel: 'm', adapter: new OpenAIAdapter(), keys: keys.map((value) => ({ id: value, value, weight: 1, models: [] })),
    provider: { name, baseUrl: `${base}/${name}/v1`, headers: {}, maxRetries: 2, timeoutMs: 5_000, streamIdleTimeoutMs: 5_000, retryBackoffMs: 0, retryBackoffMaxMs: 0, ...over },
  }) as unknown as Candidate;

  function run(candidates: Candidate[], opts: { onStatus?: number[]; cancel?: Cancellation } = {}) {
    const admitted = {
      request: { body: { model: 'm', input: 'hi' }, stream: false }, key: { id: 'vk' }, candidates, onStatus: opts.onStatus ?? null, turn: null,
      format: { canonical: true, requestType: 'responses' }, ids: { requestId: 'rid', clientRequestId: null }, sendRaw: false, t0: 0, modelRequested: 'a/m',
      inputBytes: 40, outputCap: 100,
    } as unknown as Admitted;
    const price = jest.fn(() => null);
    const stage = new ExecuteStage(config, new UpstreamCaller(executor, config), { price } as unknown as SettleStage);
    const outcome = new Outcome(admitted);
    const done = stage.run(admitted, outcome, null, opts.cancel ?? new Cancellation());
    const attempts = () => outcome.attempts.map((a) => ({ provider: a.candidate.provider.name, index: a.fallbackIndex, failure: a.failure?.label ?? null }));
    return { done, outcome, attempts, price };
  }

  it('retries a retryable status on the same candidate, then answers', async () => {
    script = [{ status: 503 }, { status: 503 }];
    const { done, attempts } = run([candidate('a'), candidate('b')]);
    await done;
    expect(seen.map((s) => s.provider)).toEqual(['a', 'a', 'a']);
    expect(attempts()).toEqual([{ provider: 'a', index: 0, failure: null }]);
  });

  it('falls back to the next provider once its retries are spent, each failed candidate recorded once', async () => {
    script = [{ status: 500 }, { status: 500 }, { status: 500 }];
    const { done, attempts } = run([candidate('a'), candidate('b')]);
    await done;
    expect(seen.map((s) => s.provider)).toEqual(['a', 'a', 'a', 'b']);
    expect(attempts()).toEqual([{ provider: 'a', index: 0, failure: '500' }, { provider: 'b', index: 1, failure: null }]);
  });

  it('moves to another key of the same provider at once on a 429 (no backoff)', async () => {
    script = [{ status: 429 }];
    const { done, attempts } = run([candidate('a', { retryBackoffMs: 600_000, retryBackoffMaxMs: 600_000 }, ['k1', 'k2'])]);
    await done;
    expect(seen).toHaveLength(2);
    expect(new Set(seen.map((s) => s.auth))).toEqual(new Set(['Bearer k1', 'Bearer k2']));
    expect(attempts()).toEqual([{ provider: 'a', index: 0, failure: null }]);
  });

  it('falls back at once when Retry-After asks for more than the longest backoff', async () => {
    script = [{ status: 503, headers: { 'retry-after': '3600' } }];
    const { done, attempts } = run([candidate('a', { retryBackoffMs: 10, retryBackoffMaxMs: 1_000 }), candidate('b')]);
    await done;
    expect(seen.map((s) => s.provider)).toEqual(['a', 'b']);
    expect(attempts()).toEqual([{ provider: 'a', index: 0, failure: '503' }, { provider: 'b', index: 1, failure: null }]);
  });

  it('a timeout on every candidate is a 504, retried first', async () => {
    script = ['hang', 'hang', 'hang'];
    const { done, attempts } = run([candidate('a', { timeoutMs: 50, maxRetries: 1 }), candidate('b', { timeoutMs: 50, maxRetries: 0 })]);
    const err = await done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect(seen.map((s) => s.provider)).toEqual(['a', 'a', 'b']);
    expect(attempts()).toEqual([{ provider: 'a', index: 0, failure: 'timeout' }, { provider: 'b', index: 1, failure: 'timeout' }]);
  });

  it("the caller's own 4xx is its error at once: no retry, no fallback", async () => {
    script = [{ status: 400, body: '{"error":{"message":"bad temperature","type":"invalid_request_error","param":"temperature"}}' }];
    const { done, attempts } = run([candidate('a'), candidate('b')]);
    const err = await done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, message: 'bad temperature', param: 'temperature', headers: { 'x-bf-provider': 'a', 'x-bf-fallback-index': '0' } });
    expect(seen).toHaveLength(1);
    expect(attempts()).toEqual([{ provider: 'a', index: 0, failure: '400' }]);
  });

  it("a policy's on_status stops the fallback on a status it does not name: 502 naming what failed", async () => {
    script = [{ status: 502 }];
    const { done, attempts } = run([candidate('a', { maxRetries: 0 }), candidate('b')], { onStatus: [500] });
    const err = await done.catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: 'upstream_error' });
    expect((err as Error).message).toContain('a/m (502: upstream says no)');
    expect(seen.map((s) => s.provider)).toEqual(['a']);
    expect(attempts()).toEqual([{ provider: 'a', index: 0, failure: '502' }]);
  });

  it('a client leaving during the backoff ends the request: the attempt billed as aborted, nothing more sent', async () => {
    // Retry-After makes the backoff exactly 60 s, a delay no other timer has (undici's own are a few seconds).
    script = [{ status: 503, headers: { 'retry-after': '60' } }];
    const timers = jest.spyOn(global, 'setTimeout');
    const cancel = new Cancellation();
    const { done, attempts, price } = run([candidate('a', { retryBackoffMs: 600_000, retryBackoffMaxMs: 600_000 }), candidate('b')], { cancel });
    const deadline = Date.now() + 5_000;
    while (!timers.mock.calls.some((call) => call[1] === 60_000) && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(timers.mock.calls.some((call) => call[1] === 60_000)).toBe(true);
    timers.mockRestore();
    cancel.cancel();
    await done;
    expect(seen).toHaveLength(1);
    expect(attempts()).toEqual([{ provider: 'a', index: 0, failure: 'aborted' }]);
    expect(price).toHaveBeenCalledTimes(1);
  });
});

describe('ExecuteStage, the encoding of a JSON answer', () => {
  const upstreamBody = (text: string) => JSON.stringify({
    id: 'resp_upstream0123456789', object: 'response', created_at: 1700000000, status: 'completed', error: null, model: 'm',
    output: [{ id: 'msg_0123456789abcdef0123456789', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [], text }] }],
    previous_response_id: null, store: true, usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 }, metadata: {},
  });
  const turn = (previousResponseId: string | null): Turn => ({
    id: 'resp_0123456789ab0123456789abcdef0123456789abcdef', stem: 'st', keyId: 'vk', store: true, background: false, previousResponseId,
    inputItems: [], request: {}, inputItemsJson: '[]', requestJson: '{}', inputItemsAscii: false, historyBytes: 0, createdAt: 0, streamedIds: [],
  });

  /** One answer through the stage: what went to the client, and the stored text's own flag. */
  async function answer(o: { text: string; modelRequested?: string; turn?: Turn | null }) {
    const body = upstreamBody(o.text);
    const fetch = jest.fn((_req: unknown, _opts: unknown, _max: number, read: (reply: UpstreamReply) => unknown) =>
      new Promise((resolve) => resolve(read({ status: 200, headers: {}, text: body, ascii: !/[^\x00-\x7f]/.test(body) }))));
    const config = { providers: {}, http: { upstreamConnectionsPerOrigin: 4 }, governance: { abortedOutputTokensPerSecond: 50 } } as unknown as AppConfig;
    const caller = new UpstreamCaller({ fetch, close: async () => undefined } as unknown as HttpExecutor, config);
    const storedAscii: boolean[] = [];
    const settle = {
      price: () => null,
      settleStoredText: (_o: unknown, _t: unknown, stored: { ascii: boolean }) => storedAscii.push(stored.ascii),
    } as unknown as SettleStage;
    const stage = new ExecuteStage(config, caller, settle);
    const candidate = {
      label: 'a/m', model: 'm', upstreamModel: 'm', adapter: new OpenAIAdapter(), keys: [{ id: 'k', value: 'v', weight: 1, models: [] }],
      provider: { name: 'a', baseUrl: 'http://upstream.invalid/v1', headers: {}, maxRetries: 0, timeoutMs: 1_000, streamIdleTimeoutMs: 1_000, retryBackoffMs: 0, retryBackoffMaxMs: 0 },
    } as unknown as Candidate;
    const admitted = {
      request: { body: { model: 'm', input: 'hi' }, stream: false }, key: { id: 'vk' }, candidates: [candidate], onStatus: null, turn: o.turn ?? null,
      format: { canonical: true, requestType: 'responses' }, ids: { requestId: 'rid', clientRequestId: null }, sendRaw: false, t0: 0, modelRequested: o.modelRequested ?? 'a/m',
    } as unknown as Admitted;
    const sent: { headers: Record<string, string>; body: string; encoding: BufferEncoding }[] = [];
    let head: Record<string, string> = {};
    const res = {
      headersSent: false,
      destroyed: false,
      writeHead: (_status: number, headers: Record<string, string>) => {
        head = headers;
        return res;
      },
      end: (text: string, encoding: BufferEncoding) => sent.push({ headers: head, body: text, encoding }),
    };
    await stage.run(admitted, new Outcome(admitted), res as unknown as ServerResponse, new Cancellation());
    expect(sent).toHaveLength(1);
    const [{ headers, body: text, encoding }] = sent;
    // Whatever the encoding, the bytes are the text's UTF-8 and the length is theirs.
    expect(Buffer.from(text, encoding).equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(headers['content-length']).toBe(String(Buffer.byteLength(text)));
    return { encoding, text, storedAscii };
  }

  it('an ASCII upstream answer with ASCII fields goes out as Latin-1', async () => {
    expect((await answer({ text: 'hello' })).encoding).toBe('latin1');
  });

  it('goes out as UTF-8 when the upstream text, the extra fields or an earlier id it names is not ASCII', async () => {
    expect((await answer({ text: 'héllo' })).encoding).toBe('utf8');
    const fields = await answer({ text: 'hello', modelRequested: 'a/modèle' });
    expect(fields.encoding).toBe('utf8');
    expect(fields.text).toContain('"model_requested":"a/modèle"');
  });

  it("a stored turn's text is ASCII only when the earlier response it names is", async () => {
    const plain = await answer({ text: 'hello', turn: turn('resp_prev') });
    expect(plain).toMatchObject({ encoding: 'latin1', storedAscii: [true] });
    const named = await answer({ text: 'hello', turn: turn('resp_é') });
    expect(named).toMatchObject({ encoding: 'utf8', storedAscii: [false] });
    expect(named.text).toContain('"previous_response_id":"resp_é"');
  });
});
