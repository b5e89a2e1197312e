import { spawn } from 'node:child_process';
import * as path from 'node:path';
import OpenAI from 'openai';
import { Client } from 'pg';
import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import { RequestLogWriter } from '../../apps/gateway/src/request-log/request-log.writer';
import { StoredResponseWriter } from '../../apps/gateway/src/state/stored-response.writer';
import { eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { testEnv } from '../support/test-env.config';
import { rawConnect, statusOf, within } from './raw-http';

/**
 * Every finding of the adversarial review (issue 12), reproduced with real requests against the
 * gateway and the admin app. Budgets under concurrency live in budget-guarantee.e2e-spec.ts, the
 * poisoned log writer in log-poison.e2e-spec.ts, the random bodies in fuzz.e2e-spec.ts.
 */

const PRICING = { 'openai/gpt-4o-mini': { input_per_mtok: 1, output_per_mtok: 2 }, 'backup/priced': { input_per_mtok: 1, output_per_mtok: 2 } };

type ErrorBody = { error: { message: string; type: string; param: string | null; code: string } };

async function expectError(res: Response, status: number, code: string, param?: string | null): Promise<ErrorBody['error']> {
  const text = await res.text();
  expect({ status: res.status, text: text.slice(0, 300) }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error.code).toBe(code);
  if (param !== undefined) expect(body.error.param).toBe(param);
  return body.error;
}

/** A body nested `depth` deep under `field`. */
function nested(depth: number, leaf = '"x"'): string {
  return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

describe('hostile input: the gateway', () => {
  let h: GatewayHarness;
  let pg: Client;
  let key: string;

  beforeAll(async () => {
    h = await startGatewayHarness({
      admin: true,
      pricing: PRICING,
      server: { max_stored_response_bytes: 64 * 1024 },
      providers: ({ upstream }) => ({
        anthropic: { base_url: upstream, keys: [{ value: 'sk-ant-upstream-secret' }], max_retries: 0 },
        gemini: { base_url: upstream, keys: [{ value: 'gemini-upstream-secret' }], max_retries: 0 },
        cohere: { base_url: upstream, keys: [{ value: 'co-upstream-secret' }], max_retries: 0 },
        bedrock: { base_url: upstream, keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey }], max_retries: 0 },
      }),
    });
    pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    ({ key } = await h.createKey({ name: 'hostile' }));
  });
  afterAll(async () => {
    await pg?.end();
    await h?.close();
  });

  const post = (body: string, headers: Record<string, string> = {}, k = key) =>
    fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${k}`, ...headers }, body });
  const upstreamCalls = () => h.upstream.stats.requests + h.backup.stats.requests;

  describe('model names are bounded and plain before anything is called', () => {
    it('a 4 KB or 1 MB model name is a 400 naming `model`, with no upstream call and no huge header, label or log row', async () => {
      const before = upstreamCalls();
      for (const size of [4096, 1024 * 1024]) {
        const res = await post(JSON.stringify({ model: `openai/${'m'.repeat(size)}`, input: 'hi' }));
        expect(res.headers.get('x-bf-model')).toBeNull();
        const err = await expectError(res, 400, 'invalid_request', 'model');
        expect(err.message.length).toBeLessThan(400);
      }
      const fallback = await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: 'hi', fallbacks: [`backup/${'f'.repeat(5000)}`] }));
      await expectError(fallback, 400, 'invalid_request', 'fallbacks[0]');
      expect(upstreamCalls()).toBe(before);
      const metrics = await (await fetch(`${h.url}/metrics`)).text();
      expect(metrics).not.toContain('mmmmmmmmmm');
      expect(metrics.length).toBeLessThan(200_000);
    });

    it.each([
      ['a control character', 'openai/gpt-4o-mini\u0007'],
      ['a bidi override', 'openai/gpt\u202e-4o-mini'],
      ['a non-ASCII letter', 'openai/gpt-4ö'],
      ['a space', 'openai/gpt 4o'],
      ['a newline', 'openai/gpt-4o\nx-evil: 1'],
    ])('%s in a model name is a 400 at ingress, never a 502 after trying fallbacks', async (_name, model) => {
      const before = upstreamCalls();
      await expectError(await post(JSON.stringify({ model, input: 'hi', fallbacks: ['backup/m'] })), 400, 'invalid_request', 'model');
      await expectError(await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: 'hi', fallbacks: [model] })), 400, 'invalid_request', 'fallbacks[0]');
      expect(upstreamCalls()).toBe(before);
    });

    it('constructor/x, gemini/valueOf and openai/constructor: no prototype lookups (400, and a real upstream model name)', async () => {
      const unknown = await expectError(await post('{"model":"constructor/x","input":"hi"}'), 400, 'invalid_request', 'model');
      expect(unknown.message).toContain("Unknown provider 'constructor'");
      await expectError(await post('{"model":"__proto__/x","input":"hi"}'), 400, 'invalid_request', 'model');
      // Names that are Object.prototype members are just model names to the upstream.
      h.upstream.reset();
      expect((await post('{"model":"openai/constructor","input":"hi"}')).status).toBe(200);
      expect((h.upstream.requests.at(-1)!.body as { model: unknown }).model).toBe('constructor');
      expect((await post('{"model":"gemini/valueOf","input":"hi"}')).status).toBe(200);
      expect(h.upstream.requests.at(-1)!.path).toContain('/models/valueOf:generateContent');
      expect((await post('{"model":"openai/hasOwnProperty","input":"hi","reasoning":{"effort":"low"}}')).status).toBe(200);
      // A reasoning effort is one of the known levels, never a lookup key.
      await expectError(await post('{"model":"bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0","input":"hi","reasoning":{"effort":"constructor"}}'), 400, 'invalid_request', 'reasoning.effort');
    });
  });

  describe('every other input is bounded too', () => {
    it('300 fallbacks are a 400 naming `fallbacks`, and nothing is called', async () => {
      const before = upstreamCalls();
      const fallbacks = Array.from({ length: 300 }, () => 'dead/x');
      await expectError(await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: 'hi', fallbacks })), 400, 'invalid_request', 'fallbacks');
      expect(upstreamCalls()).toBe(before);
    });

    it("metadata follows OpenAI's rules: 16 pairs, keys up to 64, string values up to 512 characters", async () => {
      const pairs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
      expect((await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: 'hi', metadata: pairs(16) }))).status).toBe(200);
      await expectError(await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: 'hi', metadata: pairs(17) })), 400, 'invalid_request', 'metadata');
      await expectError(await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: 'hi', metadata: { ['k'.repeat(65)]: 'v' } })), 400, 'invalid_request', 'metadata');
      await expectError(await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: 'hi', metadata: { a: 'v'.repeat(513) } })), 400, 'invalid_request', 'metadata.a');
      await expectError(await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: 'hi', metadata: { a: { b: 1 } } })), 400, 'invalid_request', 'metadata.a');
    });

    it('metadata or tools nested 10,000 deep are a 400 with no fallback tried, and the gateway stays up', async () => {
      const before = upstreamCalls();
      await expectError(await post(`{"model":"openai/gpt-4o-mini","input":"hi","fallbacks":["backup/m"],"metadata":${nested(10_000)}}`), 400, 'invalid_request');
      await expectError(await post(`{"model":"openai/gpt-4o-mini","input":"hi","tools":[{"type":"function","name":"f","parameters":${nested(10_000)}}]}`), 400, 'invalid_request');
      const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);
      await expectError(await post(`{"model":"openai/gpt-4o-mini","input":"hi","x":${deepArray}}`), 400, 'invalid_request');
      expect(upstreamCalls()).toBe(before);
      expect((await post('{"model":"openai/gpt-4o-mini","input":"still up"}')).status).toBe(200);
    });

    it.each([
      ['negative', -1],
      ['zero', 0],
      ['fractional', 1.5],
      ['huge', 1e12],
      ['a string', '"100"'],
    ])('a %s max_output_tokens is a 400 naming it', async (_name, value) => {
      await expectError(await post(`{"model":"openai/gpt-4o-mini","input":"hi","max_output_tokens":${value}}`), 400, 'invalid_request', 'max_output_tokens');
    });

    it('a translator that cannot take a request answers 400, never 502 "network error" or a fallback', async () => {
      const before = h.backup.stats.requests;
      // Cohere cannot take a function_call_output for a call it never saw named; whatever the translator
      // throws on, the caller hears a 400 and no fallback is tried.
      const res = await post(JSON.stringify({ model: 'cohere/command-a', input: [{ type: 'function_call', call_id: 'c', name: 1 }], fallbacks: ['backup/m'] }));
      expect(res.status).toBe(400);
      expect(h.backup.stats.requests).toBe(before);
    });
  });

  describe('stored responses are bounded', () => {
    it('a stored turn past server.max_stored_response_bytes is a 400 naming `input`; with store: false it passes', async () => {
      const big = 'x'.repeat(80 * 1024);
      await expectError(await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: big })), 400, 'invalid_request', 'input');
      expect((await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: big, store: false }))).status).toBe(200);
    });

    it("counts an input array as JSON.stringify writes it, not the client's escapes: 30,000 CJK characters sent as \\uXXXX are stored", async () => {
      const text = '\u6f22'.repeat(30_000);
      // As Python's json.dumps writes it by default: 180,000 characters of text, 30,000 as JSON.stringify writes it.
      const body = JSON.stringify({ model: 'openai/gpt-4o-mini', input: [{ role: 'user', content: text }] }).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
      expect(body.length).toBeGreaterThan(2 * 80 * 1024);
      const res = await post(body);
      expect(res.status).toBe(200);
      const { id } = (await res.json()) as { id: string };
      await h.gateway.app.get(StoredResponseWriter).flush();
      const row = await pg.query(`SELECT input_items_json AS items FROM stored_responses WHERE id = $1`, [id]);
      expect(JSON.parse(row.rows[0].items as string)[0].content).toBe(text);
    });

    it('unknown request fields pass through to the provider but are not stored', async () => {
      const res = await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: 'hi', x_padding: 'p'.repeat(10_000), instructions: 'be brief' }));
      expect(res.status).toBe(200);
      const { id } = (await res.json()) as { id: string };
      expect((h.upstream.requests.at(-1)!.body as Record<string, unknown>).x_padding).toBeDefined();
      // Stored behind the answer: in the table once the writer's batch is.
      await h.gateway.app.get(StoredResponseWriter).flush();
      const row = await pg.query(`SELECT request_json::json AS request FROM stored_responses WHERE id = $1`, [id]);
      expect(row.rows[0].request).toMatchObject({ instructions: 'be brief' });
      expect(row.rows[0].request.x_padding).toBeUndefined();
    });

    it('GET /v1/responses/{id}?stream=true replays event by event; ids that cannot exist are a 404', async () => {
      const client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
      const created = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'replay me [[words:200]]' });
      const res = await fetch(`${h.url}/v1/responses/${created.id}?stream=true`, { headers: { authorization: `Bearer ${key}` } });
      const text = await res.text();
      const types = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
      expect(types[0]).toBe('response.created');
      expect(types.at(-1)).toBe('response.completed');
      for (const id of ['resp_%00', 'x'.repeat(5000), '%E2%80%AE']) {
        await expectError(await fetch(`${h.url}/v1/responses/${id}`, { headers: { authorization: `Bearer ${key}` } }), 404, 'not_found');
      }
    });
  });

  describe('request ids', () => {
    it("the log's request_id is always the gateway's own; the client's is echoed and searchable as client_request_id", async () => {
      const other = await h.createKey({ name: 'other' });
      const clientId = `trace-${Date.now()}`;
      const a = await post('{"model":"openai/gpt-4o-mini","input":"a"}', { 'x-request-id': clientId });
      const b = await post('{"model":"openai/gpt-4o-mini","input":"b"}', { 'x-request-id': clientId }, other.key);
      const ids = [a.headers.get('x-request-id'), b.headers.get('x-request-id')];
      expect(ids[0]).not.toBe(clientId);
      expect(ids[0]).not.toBe(ids[1]);
      expect(a.headers.get('x-client-request-id')).toBe(clientId);
      const rows = [...(await h.logRows(ids[0]!)), ...(await h.logRows(ids[1]!))];
      expect(rows.map((r) => r.client_request_id)).toEqual([clientId, clientId]);
      const found = await h.admin('GET', `/api/logs?client_request_id=${clientId}`);
      const page = (await found.json()) as { data: { request_id: string; client_request_id: string }[] };
      expect(page.data.map((r) => r.request_id).sort()).toEqual([...ids].sort());
      // An id that is not printable ASCII (or too long) is refused, not stored.
      await expectError(await post('{"model":"openai/gpt-4o-mini","input":"c"}', { 'x-request-id': 'x'.repeat(200) }), 400, 'invalid_request', 'x-request-id');
    });
  });

  describe('governance has no free rides', () => {
    it('a key with a budget is refused a model without a price (403 model_not_priced) unless the operator priced it', async () => {
      const { key: budgeted } = await h.createKey({ name: 'budgeted', budget_max_usd: 0.01, budget_period: 'total' });
      const before = upstreamCalls();
      const res = await post('{"model":"backup/unpriced","input":"free? [[usage:1000000,1000000]]","max_output_tokens":16}', {}, budgeted);
      expect(res.headers.get('x-should-retry')).toBe('false');
      await expectError(res, 403, 'model_not_priced');
      expect(upstreamCalls()).toBe(before);
      // An unpriced fallback is skipped, never called.
      h.upstream.failNext(3, 503);
      h.backup.reset();
      const fell = await post('{"model":"openai/gpt-4o-mini","input":"x","max_output_tokens":16,"fallbacks":["backup/unpriced","backup/priced"]}', {}, budgeted);
      expect(fell.headers.get('x-bf-model')).toBe('priced');
      expect(h.backup.requests.map((r) => (r.body as { model: string }).model)).toEqual(['priced']);
      // Without a budget the same model is served (and logged with cost null).
      expect((await post('{"model":"backup/unpriced","input":"hi"}')).status).toBe(200);
    });

    it('an aborted non-streaming request is charged the input sent and the output it may have made', async () => {
      const { key: k, id } = await h.createKey({ name: 'abort-json' });
      const clientId = `abort-json-${Date.now()}`;
      const abort = new AbortController();
      const pending = fetch(`${h.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k}`, 'x-request-id': clientId },
        body: JSON.stringify({ model: 'openai/gpt-4o-mini', input: `${'long question '.repeat(400)} [[delay:2000]]`, max_output_tokens: 500 }),
        signal: abort.signal,
      }).catch(() => null);
      let receivedAt = 0;
      await eventually(() => {
        receivedAt = h.upstream.requests.find((r) => (JSON.stringify(r.body) ?? '').includes('[[delay:2000]]'))?.at ?? 0;
        return receivedAt > 0;
      });
      // The charge for the output estimates from how long the upstream ran: let it run 300 ms first.
      await eventually(() => Date.now() - receivedAt >= 300);
      abort.abort();
      await pending;
      let row: Record<string, unknown> | undefined;
      await eventually(async () => {
        await h.gateway.app.get(RequestLogWriter).flush();
        row = (await pg.query(`SELECT * FROM request_logs WHERE client_request_id = $1`, [clientId])).rows[0];
        return row !== undefined;
      });
      expect(row).toMatchObject({ status: 'error', http_status: 499, virtual_key_id: id });
      expect(row!.input_tokens as number).toBeGreaterThanOrEqual(1400); // ~5,700 bytes of conversation
      expect(row!.output_tokens as number).toBeGreaterThan(0);
      expect(row!.output_tokens as number).toBeLessThanOrEqual(500);
      expect(Number(row!.cost_usd)).toBeGreaterThan(0);
    });

    it('an aborted stream continuing a stored conversation is charged for the conversation, not the small body', async () => {
      const client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
      const first = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'context '.repeat(5000) });
      const clientId = `abort-stream-${Date.now()}`;
      const abort = new AbortController();
      const res = await fetch(`${h.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'x-request-id': clientId },
        body: JSON.stringify({ model: 'openai/gpt-4o-mini', previous_response_id: first.id, input: 'go on [[chunks:50]] [[chunk-delay:100]]', stream: true }),
        signal: abort.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      abort.abort();
      await reader.read().catch(() => undefined);
      let row: Record<string, unknown> | undefined;
      await eventually(async () => {
        await h.gateway.app.get(RequestLogWriter).flush();
        row = (await pg.query(`SELECT * FROM request_logs WHERE client_request_id = $1`, [clientId])).rows[0];
        return row !== undefined;
      });
      // 40,000 bytes of stored conversation went upstream: about 10,000 tokens, where the body alone is ~30.
      expect(row!.input_tokens as number).toBeGreaterThan(9_000);
      expect(Number(row!.cost_usd)).toBeGreaterThan(0.009);
    });

    it('requests in flight per key: 429 concurrency_limit_exceeded with Retry-After', async () => {
      const { key: k } = await h.createKey({ name: 'concurrency', max_concurrent_requests: 2 });
      const slow = () => post('{"model":"openai/gpt-4o-mini","input":"slow [[delay:400]]"}', {}, k);
      const inFlight = [slow(), slow()];
      await eventually(() => h.upstream.requests.filter((r) => (JSON.stringify(r.body) ?? '').includes('slow [[delay:400]]')).length >= 2);
      const refused = await post('{"model":"openai/gpt-4o-mini","input":"third"}', {}, k);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await expectError(refused, 429, 'concurrency_limit_exceeded');
      expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200]);
      expect((await post('{"model":"openai/gpt-4o-mini","input":"after"}', {}, k)).status).toBe(200);
    });
  });

  describe('upstream error text', () => {
    it('never carries anything key-like to the client or the log', async () => {
      h.upstream.failNext(1, 401, {
        body: {
          error: {
            message: 'Incorrect API key provided: sk-upstr*********enai. Sent "Authorization: Bearer sk-upstream-openai" with api_key=sk-upstream-openai.',
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        },
      });
      const res = await post('{"model":"openai/gpt-4o-mini","input":"leak?"}');
      const requestId = res.headers.get('x-request-id')!;
      const text = await res.text();
      expect(res.status).toBe(502);
      expect(text).toContain('[redacted]');
      expect(text).not.toMatch(/sk-upstr|sk-upstream-openai|\*\*\*/);
      const [row] = await h.logRows(requestId);
      expect(row.error_message).toContain('[redacted]');
      expect(String(row.error_message)).not.toMatch(/sk-upstr|sk-upstream-openai/);
    });
  });

  describe('the admin app', () => {
    it('answers 400, never 500, to a NUL in a key name or metadata nested 5,000 deep', async () => {
      const nul = await h.admin('POST', '/api/virtual-keys', { name: 'bad\u0000name' });
      await expectError(nul, 400, 'invalid_request', 'name');
      const deep = await fetch(`${h.adminUrl}/api/virtual-keys`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
        body: `{"name":"deep","metadata":${nested(5000)}}`,
      });
      await expectError(deep, 400, 'invalid_request');
      await expectError(await h.admin('GET', '/api/logs?model=a%00b'), 400, 'invalid_request', 'model');
      await expectError(await h.admin('POST', '/api/fallback-policies', { name: 'p', model: 'openai/x', fallbacks: ['backup/\u0000'] }), 400, 'invalid_request');
      expect((await h.admin('GET', '/api/virtual-keys')).status).toBe(200);
    });

    it('serves /docs with a Content-Security-Policy, X-Frame-Options and nosniff', async () => {
      for (const route of ['/docs', '/docs-json']) {
        const res = await fetch(`${h.adminUrl}${route}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      }
      // The limits are documented there, from the same place the gateway enforces them.
      const doc = (await (await fetch(`${h.adminUrl}/docs-json`)).json()) as { info: { description: string } };
      expect(doc.info.description).toContain('Gateway input limits');
      expect(doc.info.description).toContain('16 pairs');
    });

    it('refuses to start with an ADMIN_TOKEN shorter than 16 characters, naming it', async () => {
      const main = path.resolve(__dirname, '../../dist/apps/admin/src/main.js');
      const child = spawn(process.execPath, [main], { env: { PATH: testEnv.path, DATABASE_URL: h.db.url, ADMIN_TOKEN: 'short', ADMIN_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await within(new Promise<number | null>((resolve) => child.once('exit', resolve)), 20_000, 'admin exit');
      expect(code).not.toBe(0);
      expect(output).toContain('ADMIN_TOKEN must be at least 16 characters');
    });
  });
});

describe('hostile input: slow clients, connection floods and greedy keys', () => {
  let h: GatewayHarness;
  const METRICS_TOKEN = 'metrics-token-0123456789';

  beforeAll(async () => {
    h = await startGatewayHarness({
      server: {
        headers_timeout_ms: 500,
        request_timeout_ms: 3_000,
        body_idle_timeout_ms: 400,
        max_connections: 40,
        upstream_connections_per_origin: 2,
        metrics_token: METRICS_TOKEN,
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('without a key, the body is never read: 401 at once, and the connection closed soon although the client dribbles', async () => {
    const c = await rawConnect(h.url);
    c.write('POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"model":');
    const tick = setInterval(() => c.write('x'), 50);
    try {
      await within(
        new Promise<void>((resolve) => c.socket.on('data', () => statusOf(c.received()) !== null && resolve())),
        500,
        'the 401 arrives before the body',
      );
      expect(statusOf(c.received())).toBe(401);
      // The rest of the body is discarded for a moment (so that an honest client can read the answer), then the connection goes.
      expect(await within(c.closed, 3_000, 'server closes the connection')).toBeLessThan(2_500);
    } finally {
      clearInterval(tick);
      c.destroy();
    }
  });

  it('with a key, a body that goes silent gets a 408 and the connection closed', async () => {
    const { key } = await h.createKey({ name: 'slow-body' });
    const c = await rawConnect(h.url);
    c.write(`POST /v1/responses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Length: 100\r\n\r\n{"model":`);
    await within(c.closed, 3_000, 'server closes a stalled body');
    expect(statusOf(c.received())).toBe(408);
    expect(c.received()).toContain('request_timeout');
  });

  it('headers that never finish are cut off after the headers timeout', async () => {
    const c = await rawConnect(h.url);
    c.write('POST /v1/responses HTTP/1.1\r\nHost: x\r\n');
    const tick = setInterval(() => c.write('X-Slow: y\r\n'), 100);
    try {
      expect(await within(c.closed, 3_000, 'server closes slow headers')).toBeLessThan(2_500);
    } finally {
      clearInterval(tick);
      c.destroy();
    }
  });

  it('connections past server.max_connections are dropped at once, and service resumes when they go', async () => {
    const held = await Promise.all(Array.from({ length: 40 }, () => rawConnect(h.url)));
    try {
      const extra = await rawConnect(h.url);
      expect(await within(extra.closed, 1_000, 'server drops a connection past the cap')).toBeLessThan(1_000);
      expect(extra.received()).toBe('');
    } finally {
      for (const c of held) c.destroy();
    }
    await eventually(async () => (await fetch(`${h.url}/health`).catch(() => null))?.status === 200);
  });

  it("one key's burst cannot hold every upstream connection: another key is served at the next free one", async () => {
    const greedy = await h.createKey({ name: 'greedy' });
    const polite = await h.createKey({ name: 'polite' });
    const call = (k: string, input: string) =>
      fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${k}` }, body: JSON.stringify({ model: 'openai/gpt-4o-mini', input }) }).then(
        (r) => r.status,
      );
    let greedyDone = 0;
    const burst = Array.from({ length: 10 }, (_, i) => call(greedy.key, `burst ${i} [[delay:300]]`).then((s) => (greedyDone++, s)));
    // Two connections: the burst holds both and queues the rest.
    await eventually(() => h.upstream.requests.filter((r) => (JSON.stringify(r.body) ?? '').includes('[[delay:300]]')).length >= 2);
    expect(await call(polite.key, 'my turn')).toBe(200);
    // Served at the next free connection, not behind the whole burst (five rounds of 300 ms).
    expect(greedyDone).toBeLessThanOrEqual(4);
    expect(await Promise.all(burst)).toEqual(Array(10).fill(200));
  });

  it('/metrics needs the configured token', async () => {
    const open = await fetch(`${h.url}/metrics`);
    await expectError(open, 401, 'unauthorized');
    const wrong = await fetch(`${h.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('gateway_log_rows_dead_lettered');
  });
});
