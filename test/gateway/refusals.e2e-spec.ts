import OpenAI from 'openai';
import { ModelCatalog } from '../../apps/gateway/src/models/model-catalog.service';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

describe('gateway refusals and bad input', () => {
  let h: GatewayHarness;
  let key: string;

  beforeAll(async () => {
    h = await startGatewayHarness();
    ({ key } = await h.createKey({ name: 'refusals', allowed_models: ['openai/*', 'backup/allowed'] }));
  });
  afterAll(async () => {
    await h?.close();
  });

  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body });

  async function expectError(res: Response, status: number, code: string, param?: string | null) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string } };
    expect(body.error).toMatchObject({ code });
    expect(typeof body.error.message).toBe('string');
    expect(typeof body.error.type).toBe('string');
    if (param !== undefined) expect(body.error.param).toBe(param);
    return body.error;
  }

  describe('401 for missing, unknown and revoked keys, with x-should-retry: false', () => {
    it.each([
      ['no key', {}],
      ['unknown sk-bf- key', { authorization: 'Bearer sk-bf-unknownunknownunknownunknownunknown00' }],
      ['not a virtual key', { authorization: 'Bearer sk-proj-abc' }],
      ['unknown x-bf-vk', { 'x-bf-vk': 'sk-bf-nope' }],
    ])('%s', async (_name, headers) => {
      const res = await fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"model":"openai/gpt-4o-mini","input":"hi"}' });
      await expectError(res, 401, 'invalid_api_key');
      expect(res.headers.get('x-should-retry')).toBe('false');
    });

    it('accepts the key in x-bf-vk, and refuses it once revoked', async () => {
      const k = await h.createKey({ name: 'to-revoke' });
      const ok = await fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { 'x-bf-vk': k.key }, body: '{"model":"openai/gpt-4o-mini","input":"hi"}' });
      expect(ok.status).toBe(200);
      await h.revokeKey(k.id);
      const client = new OpenAI({ apiKey: k.key, baseURL: `${h.url}/v1` });
      await expect(client.responses.create({ model: 'openai/gpt-4o-mini', input: 'hi' })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    });
  });

  describe('403 for keys that may not do this', () => {
    it('inactive and expired keys', async () => {
      const inactive = await h.createKey({ is_active: false });
      await expectError(await post('{"model":"openai/gpt-4o-mini","input":"hi"}', { authorization: `Bearer ${inactive.key}` }), 403, 'virtual_key_inactive');
      const expired = await h.createKey({ expires_at: new Date(Date.now() - 1000) });
      const res = await post('{"model":"openai/gpt-4o-mini","input":"hi"}', { authorization: `Bearer ${expired.key}` });
      expect(res.headers.get('x-should-retry')).toBe('false');
      await expectError(res, 403, 'virtual_key_expired');
    });

    it('a model outside the allowlist; a disallowed fallback is skipped, not called', async () => {
      await expectError(await post('{"model":"backup/other","input":"hi"}'), 403, 'model_not_allowed');
      h.upstream.failNext(3, 500);
      h.backup.reset();
      const res = await post(JSON.stringify({ model: 'openai/gpt-4o-mini', input: 'hi', fallbacks: ['backup/other', 'backup/allowed'] }));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-bf-fallback-index')).toBe('1');
      expect(h.backup.requests.map((r) => (r.body as { model: string }).model)).toEqual(['allowed']);
    });
  });

  describe('400 for malformed requests, never a 500', () => {
    it.each([
      ['malformed JSON', '{"model": "openai/gpt-4o-mini", "input": ', null],
      ['a JSON array', '[1,2]', null],
      ['missing model', '{"input":"hi"}', 'model'],
      ['model without provider', '{"model":"gpt-4o","input":"hi"}', 'model'],
      ['model of the wrong type', '{"model":42,"input":"hi"}', 'model'],
      ['missing input', '{"model":"openai/gpt-4o-mini"}', 'input'],
      ['input of the wrong type', '{"model":"openai/gpt-4o-mini","input":42}', 'input'],
      ['a message without a role', '{"model":"openai/gpt-4o-mini","input":[{"content":"hi"}]}', 'input[0].role'],
      ['stream not a boolean', '{"model":"openai/gpt-4o-mini","input":"hi","stream":"yes"}', 'stream'],
      ['fallbacks not an array', '{"model":"openai/gpt-4o-mini","input":"hi","fallbacks":"backup/x"}', 'fallbacks'],
      ['unknown provider', '{"model":"nosuch/model","input":"hi"}', 'model'],
      ['unknown provider in fallbacks', '{"model":"openai/gpt-4o-mini","input":"hi","fallbacks":["nosuch/m"]}', 'fallbacks[0]'],
    ])('%s', async (_name, body, param) => {
      const err = await expectError(await post(body), 400, 'invalid_request', param);
      expect(err.type).toBe('invalid_request_error');
    });

    it('names the configured providers when the prefix is unknown', async () => {
      const err = await expectError(await post('{"model":"nosuch/model","input":"hi"}'), 400, 'invalid_request');
      expect(err.message).toContain("Unknown provider 'nosuch'");
      expect(err.message).toContain('openai');
    });

    it('refuses a 50 MB body with 413 and keeps serving', async () => {
      const huge = Buffer.alloc(50 * 1024 * 1024, 0x61);
      await expectError(await post(huge), 413, 'payload_too_large');
      expect((await post('{"model":"openai/gpt-4o-mini","input":"still here"}')).status).toBe(200);
    });
  });

  describe('other routes', () => {
    it('GET /v1/models lists only what the key may use', async () => {
      const client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1` });
      // The configured model first, then what the provider's own list adds (read in the background).
      await h.gateway.app.get(ModelCatalog).refresh();
      const ids: string[] = [];
      for await (const m of client.models.list()) ids.push(m.id);
      expect(ids).toEqual(['openai/gpt-4o-mini', 'openai/gpt-4o', 'openai/gpt-4.1', 'openai/gpt-5-mini', 'openai/o3-mini']);
      expect((await fetch(`${h.url}/v1/models`)).status).toBe(401);
    });

    it('health, readiness and unknown routes', async () => {
      expect(await (await fetch(`${h.url}/health`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${h.url}/ready`)).json()).toEqual({ status: 'ready' });
      await expectError(await fetch(`${h.url}/v1/nothing`), 404, 'not_found');
    });
  });
});
