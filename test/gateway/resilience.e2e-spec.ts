import type { IncomingMessage, ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { AdmissionStage } from '../../apps/gateway/src/plan/admission.service';
import { SettleStage } from '../../apps/gateway/src/settle/settle.service';
import { eventually, startGatewayHarness, type GatewayHarness, type LoggedRequest } from '../support/gateway-harness';

describe('gateway resilience: keys, timeouts, Azure, aborted streams', () => {
  let h: GatewayHarness;
  let client: OpenAI;

  beforeAll(async () => {
    h = await startGatewayHarness({ providers: ({ upstream, backup }) => ({
      multi: { kind: 'openai-compatible', base_url: `${backup}/v1`, keys: [{ value: 'key-a' }, { value: 'key-b' }], max_retries: 1, retry_backoff_ms: 1 },
      slow: { kind: 'openai-compatible', base_url: `${upstream}/v1`, keys: [{ value: 'x' }], timeout_ms: 300, stream_idle_timeout_ms: 300, max_retries: 0 },
      azure: { base_url: upstream, keys: [{ value: 'az-key' }], deployments: { 'gpt-4o': 'prod-gpt4o' } },
    }) });
    const { key } = await h.createKey({ name: 'resilience' });
    client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.upstream.reset();
    h.backup.reset();
  });

  it('a 429 moves to another upstream key of the same provider at once', async () => {
    h.backup.failNext(1, 429, { headers: { 'retry-after': '30' } });
    const res = await client.responses.create({ model: 'multi/m', input: 'rotate' });
    expect(res.status).toBe('completed');
    const auths = h.backup.requests.map((r) => r.headers.authorization);
    expect(auths).toHaveLength(2);
    expect(new Set(auths).size).toBe(2);
  });

  it('answers 504 upstream_timeout when the only candidate times out', async () => {
    const err = await client.responses.create({ model: 'slow/m', input: 'wait [[delay:2000]]' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    expect(((err as InstanceType<typeof OpenAI.APIError>).error as { code: string }).code).toBe('upstream_timeout');
  });

  it('ends a stream that goes silent mid-way with an error event', async () => {
    const stream = await client.responses.create({ model: 'slow/m', input: 'idle [[chunks:3]] [[chunk-delay:1000]]', stream: true });
    const types: string[] = [];
    let error: unknown;
    try {
      for await (const event of stream) types.push(event.type);
    } catch (e) {
      error = e;
    }
    expect(types[0]).toBe('response.created');
    expect(types).not.toContain('response.completed');
    // The SDK surfaces the gateway's `error` event as a thrown APIError naming the provider.
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/slow: upstream went silent/);
  });

  it('serves Azure deployments through api-key and api-version', async () => {
    const res = await client.responses.create({ model: 'azure/gpt-4o', input: 'hello azure' });
    expect(res.output_text).toContain('Hello from prod-gpt4o');
    const sent = h.upstream.requests.at(-1)!;
    expect(sent.path).toBe('/openai/responses?api-version=2025-04-01-preview');
    expect(sent.headers['api-key']).toBe('az-key');
  });

  it('logs a client-aborted stream as an error row with 499', async () => {
    const controller = new AbortController();
    const { data: stream, response } = await client.responses
      .create({ model: 'openai/gpt-4o-mini', input: 'slow [[chunks:100]] [[chunk-delay:20]]', stream: true }, { signal: controller.signal })
      .withResponse();
    try {
      for await (const event of stream) if (event.type === 'response.output_text.delta') controller.abort();
    } catch {
      // aborted
    }
    await eventually(() => h.upstream.stats.aborted === 1);
    const requestId = response.headers.get('x-request-id')!;
    await eventually(async () => (await h.logRows(requestId)).length === 1);
    const [row] = await h.logRows(requestId);
    expect(row).toMatchObject({ status: 'error', http_status: 499, error_code: 'aborted', stream: true });
    expect(row.ttft_ms).not.toBeNull();
    // The tokens produced before the client left are estimated and kept, not lost.
    expect(row.output_tokens).toBeGreaterThan(0);
    expect(row.input_tokens).toBeGreaterThan(0);
  });

  it.each([
    ['a JSON request', '/v1/responses', (options: OpenAI.RequestOptions) => client.responses.create({ model: 'openai/gpt-4o-mini', input: 'wait [[delay:5000]]' }, options)],
    ['an embeddings call', '/v1/embeddings', (options: OpenAI.RequestOptions) => client.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'wait [[delay:5000]]' }, options)],
  ])('aborts the upstream call of %s whose client leaves while it waits, and logs it as 499', async (_what, path, send) => {
    const controller = new AbortController();
    const clientRequestId = `left-waiting-${path.slice(4)}`;
    const pending = send({ signal: controller.signal, headers: { 'x-request-id': clientRequestId } });
    await eventually(() => h.upstream.stats.byPath[path] === 1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    // Well before the upstream's 5 s answer.
    await eventually(() => h.upstream.stats.aborted === 1, 2_000);
    await expectLeft({ clientRequestId }, false);
  });

  it('a fault of its own that throws no Error (undefined) still answers 500 internal_error', async () => {
    // A stage that throws something without a stack: the failure path must not trip over it.
    const admission = h.gateway.app.get(AdmissionStage);
    jest.spyOn(admission, 'admit').mockImplementation(() => {
      throw undefined;
    });
    try {
      const err = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'no stack' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
      expect(((err as InstanceType<typeof OpenAI.APIError>).error as { code: string }).code).toBe('internal_error');
    } finally {
      jest.restoreAllMocks();
    }
  });

  describe("a fault of the gateway's own mid-stream (the stored turn's settle throwing)", () => {
    beforeEach(() => {
      jest.spyOn(h.gateway.app.get(SettleStage), 'settleStoredText').mockImplementation(() => {
        throw new Error('store down');
      });
    });
    afterEach(() => jest.restoreAllMocks());

    /** The request's one log row: the gateway's 500, with the tokens the stream used. */
    async function expectInternal(request: LoggedRequest): Promise<void> {
      await eventually(async () => (await h.logRows(request)).length === 1, 3_000, 'the log row');
      const rows = await h.logRowsDirect(request);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'error', http_status: 500, error_code: 'internal_error', stream: true });
      expect(rows[0].output_tokens).toBeGreaterThan(0);
      expect(rows[0].input_tokens).toBeGreaterThan(0);
    }

    it('ends the stream with the generic internal error, not an upstream one, and logs it once with its usage', async () => {
      const clientRequestId = 'own-fault-mid-stream';
      const stream = await client.responses.create(
        // The terminal event in a chunk of its own: the relay is under way when the settle throws.
        { model: 'openai/gpt-4o-mini', input: 'hello [[chunks:3]] [[chunk-delay:5]]', stream: true },
        { headers: { 'x-request-id': clientRequestId } },
      );
      let error: unknown;
      try {
        for await (const _event of stream);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as Error).message).toMatch(/Internal server error \(request id /);
      expect((error as Error).message).not.toMatch(/store down|openai|network/);
      await expectInternal({ clientRequestId });
    });

    it('one that leaves the answer unfinished (the whole stream in its first chunk) still logs the attempt once with its usage', async () => {
      const clientRequestId = 'own-fault-first-chunk';
      const pending = (async () => {
        const stream = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'hello', stream: true }, { headers: { 'x-request-id': clientRequestId } });
        for await (const _event of stream);
      })();
      await expect(pending).rejects.toThrow();
      await expectInternal({ clientRequestId });
      expect(h.upstream.stats.byPath['/v1/responses']).toBe(1);
    });
  });

  describe('a client that leaves while its request waits for admission', () => {
    let release: () => void;
    let closed: number;
    const countClosed = (_req: IncomingMessage, res: ServerResponse) => res.once('close', () => closed++);

    beforeEach(() => {
      closed = 0;
      h.gateway.server.on('request', countClosed);
      // Admission held, as a slow Redis would hold it: the limits are taken, the answer waits.
      const admission = h.gateway.app.get(AdmissionStage);
      const admit = admission.admit.bind(admission);
      const gate = new Promise<void>((resolve) => (release = resolve));
      jest.spyOn(admission, 'admit').mockImplementation((conversation) => {
        const admitted = admit(conversation);
        return gate.then(() => admitted);
      });
    });
    afterEach(() => {
      release();
      jest.restoreAllMocks();
      h.gateway.server.off('request', countClosed);
    });

    it.each([false, true])('stream %s: nothing goes upstream, the log says 499 and the key\'s slot is free again', async (stream) => {
      const { key } = await h.createKey({ name: `left-early-${stream}`, max_concurrent_requests: 1 });
      const limited = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
      const clientRequestId = `left-before-admission-${stream}`;
      const controller = new AbortController();
      const pending = limited.responses.create(
        // A stream in parts: the relay writes each to the closed response.
        { model: 'openai/gpt-4o-mini', input: 'hello [[chunks:5]] [[chunk-delay:20]]', stream },
        { signal: controller.signal, headers: { 'x-request-id': clientRequestId } },
      );
      await eventually(() => (h.gateway.app.get(AdmissionStage).admit as jest.Mock).mock.calls.length === 1);
      controller.abort();
      await expect(pending).rejects.toThrow();
      // The response's one 'close' has come and gone before the pipeline gets on.
      await eventually(() => closed === 1);
      release();
      await expectLeft({ clientRequestId }, stream);
      expect(h.upstream.stats.byPath['/v1/responses'] ?? 0).toBe(0);
      expect(h.upstream.stats.completed).toBe(0);
      jest.restoreAllMocks();
      await expect(limited.responses.create({ model: 'openai/gpt-4o-mini', input: 'after' })).resolves.toMatchObject({ status: 'completed' });
    });
  });

  describe('a provider with one upstream slot, held, whose next client leaves during admission', () => {
    let one: GatewayHarness;
    beforeAll(async () => {
      one = await startGatewayHarness({ server: { upstream_connections_per_origin: 1 } });
    });
    afterAll(async () => {
      jest.restoreAllMocks();
      await one?.close();
    });

    it('gives the slot to the caller after, not to the request that left', async () => {
      const { key } = await one.createKey({ name: 'one-slot' });
      const c = new OpenAI({ apiKey: key, baseURL: `${one.url}/v1`, maxRetries: 0 });
      const holding = c.responses.create({ model: 'openai/gpt-4o-mini', input: 'hold [[delay:800]]' });
      await eventually(() => one.upstream.stats.byPath['/v1/responses'] === 1);
      // Admission held for the next request, as a slow Redis would hold it.
      let closed = 0;
      const countClosed = (_req: IncomingMessage, res: ServerResponse) => res.once('close', () => closed++);
      one.gateway.server.on('request', countClosed);
      const admission = one.gateway.app.get(AdmissionStage);
      const admit = admission.admit.bind(admission);
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const held = jest.spyOn(admission, 'admit').mockImplementation((conversation) => {
        const admitted = admit(conversation);
        return gate.then(() => admitted);
      });
      const controller = new AbortController();
      const clientRequestId = 'left-before-a-full-provider';
      const left = c.responses.create({ model: 'openai/gpt-4o-mini', input: 'left' }, { signal: controller.signal, headers: { 'x-request-id': clientRequestId } });
      await eventually(() => held.mock.calls.length === 1);
      controller.abort();
      await expect(left).rejects.toThrow();
      await eventually(() => closed === 1);
      one.gateway.server.off('request', countClosed);
      held.mockRestore();
      // On it goes to the provider, whose one slot the first request still holds.
      open();
      await eventually(async () => (await one.logRows({ clientRequestId })).length === 1, 3_000, 'the log row');
      await expect(holding).resolves.toMatchObject({ status: 'completed' });
      await expect(c.responses.create({ model: 'openai/gpt-4o-mini', input: 'after' }, { timeout: 3_000 })).resolves.toMatchObject({ status: 'completed' });
      expect(one.upstream.stats.byPath['/v1/responses']).toBe(2);
    });
  });

  /** The request's one log row, once written: the client left. */
  async function expectLeft(request: LoggedRequest, stream: boolean): Promise<void> {
    await eventually(async () => (await h.logRows(request)).length === 1, 3_000, 'the log row');
    const [row] = await h.logRowsDirect(request);
    expect(row).toMatchObject({ status: 'error', http_status: 499, error_code: 'aborted', stream });
  }
});
