import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CATALOG_PACKAGE, PRICES_CHECKED_AT } from '@app/pricing';
import { useAdminApp } from '../../../../test/support/admin-app';

const GATEWAY_CONFIG = {
  providers: {},
  pricing: {
    'openai/gpt-4o-mini': { input_per_mtok: 0.1, output_per_mtok: '0.4' },
    'local-proxy/llama-3.3-70b': { input_per_mtok: '0.05', output_per_mtok: '0.08', request_cost: '0.0001' },
  },
};

// Names unique per run, so that what the API lists can only come from this file.
const HOUSE = `house-${randomUUID().slice(0, 8)}`;

describe('admin pricing API (e2e)', () => {
  let dir: string | undefined;
  const app = useAdminApp({
    env: () => {
      dir = mkdtempSync(join(tmpdir(), 'admin-pricing-'));
      const file = join(dir, 'gateway.json');
      writeFileSync(file, JSON.stringify(GATEWAY_CONFIG));
      return { GATEWAY_CONFIG: file };
    },
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const put = (path: string, body: unknown) => app.call('PUT', path, { body });

  it('401 without the admin token', async () => {
    expect((await app.get('/api/pricing', null)).status).toBe(401);
    expect((await app.call('PUT', `/api/pricing/local/${HOUSE}`, { body: { input_per_mtok: 1, output_per_mtok: 1 }, token: 'nope' })).status).toBe(401);
    expect((await app.get('/api/pricing/unpriced', null)).status).toBe(401);
  });

  describe('GET /api/pricing', () => {
    it('lists the catalog, the built-in entries and the overrides, each with its source', async () => {
      const res = await app.get('/api/pricing');
      expect(res.status).toBe(200);
      expect(res.body.checked_at).toBe(PRICES_CHECKED_AT);
      expect(res.body.catalog).toEqual({ package: CATALOG_PACKAGE, version: expect.stringMatching(/^\d+\.\d+\.\d+/), published_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
      const byId = new Map<string, Record<string, unknown>>(res.body.data.map((p: { id: string }) => [p.id, p]));
      expect(byId.get('openai/gpt-4o-mini')).toEqual({ id: 'openai/gpt-4o-mini', provider: 'openai', model: 'gpt-4o-mini', source: 'override', input_per_mtok: '0.1', output_per_mtok: '0.4' });
      expect(byId.get('local-proxy/llama-3.3-70b')).toMatchObject({ source: 'override', request_cost: '0.0001' });
      expect(byId.get('openai/gpt-4o')).toMatchObject({ source: 'catalog', catalog_version: res.body.catalog.version, input_per_mtok: '2.5' });
      expect(byId.get('bedrock/amazon.nova-pro-v1:0')).toMatchObject({ source: 'catalog' });
      expect(byId.get('xai/grok-4')).toMatchObject({ source: 'built_in', reference: expect.stringContaining('x.ai') });
      const ids = res.body.data.map((p: { id: string }) => p.id);
      expect(ids).toEqual([...ids].sort((a: string, b: string) => a.localeCompare(b)));
      expect(ids.length).toBeGreaterThan(500);
    });

    it('filters by provider and by source', async () => {
      const gemini = await app.get('/api/pricing?provider=gemini');
      expect(gemini.body.data.length).toBeGreaterThan(10);
      expect(gemini.body.data.every((p: { provider: string }) => p.provider === 'gemini')).toBe(true);
      const overrides = await app.get('/api/pricing?source=override');
      expect(overrides.body.data.map((p: { id: string }) => p.id)).toEqual(['local-proxy/llama-3.3-70b', 'openai/gpt-4o-mini']);
    });

    it.each([
      ['/api/pricing?model=x', 'model'],
      ['/api/pricing?source=hand', 'source'],
      ['/api/pricing?provider=Not%20A%20Provider', 'provider'],
      ['/api/pricing/unpriced?days=0', 'days'],
      ['/api/pricing/unpriced?days=abc', 'days'],
    ])('400 for %s', async (path, param) => {
      const res = await app.get(path);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', param });
    });

    it('resolves one model as the gateway would: dated snapshots, profiles, resellers', async () => {
      expect((await app.get('/api/pricing/openai/gpt-4o-2024-08-06')).body).toMatchObject({ id: 'openai/gpt-4o', source: 'catalog' });
      expect((await app.get('/api/pricing/bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0')).body).toMatchObject({ source: 'catalog', input_per_mtok: '3.3' });
      expect((await app.get('/api/pricing/azure/gpt-4o-mini')).body).toMatchObject({ id: 'openai/gpt-4o-mini', source: 'override' });
      // A model no other test of this file prices (they run in random order).
      const missing = await app.get(`/api/pricing/local/never-${HOUSE}`);
      expect(missing.status).toBe(404);
      expect(missing.body.error).toMatchObject({ code: 'not_found' });
    });
  });

  describe('PUT and DELETE /api/pricing/{provider}/{model}', () => {
    it('prices a model the catalog lacks, stored exactly, and replaces it on a second PUT', async () => {
      const res = await put(`/api/pricing/local/${HOUSE}`, { input_per_mtok: '0.20', output_per_mtok: 0.8, cached_input_per_mtok: '0.05', request_cost: 0.001 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: `local/${HOUSE}`, source: 'admin', input_per_mtok: '0.2', output_per_mtok: '0.8', cached_input_per_mtok: '0.05', request_cost: '0.001', updated_at: expect.any(String) });
      expect((await app.get(`/api/pricing/local/${HOUSE}`)).body).toMatchObject({ source: 'admin', input_per_mtok: '0.2' });
      const rows = await app.pg.query('SELECT provider, model, price, deleted_at FROM model_prices WHERE model = $1', [HOUSE]);
      expect(rows.rows).toEqual([{ provider: 'local', model: HOUSE, price: { input_per_mtok: '0.2', output_per_mtok: '0.8', cached_input_per_mtok: '0.05', request_cost: '0.001' }, deleted_at: null }]);

      // Case-insensitive, like the gateway's lookup: one row, replaced as a whole.
      const again = await put(`/api/pricing/local/${HOUSE.toUpperCase()}`, { input_per_mtok: 1, output_per_mtok: 2 });
      expect(again.status).toBe(200);
      expect(again.body).not.toHaveProperty('cached_input_per_mtok');
      const after = await app.pg.query('SELECT model, price FROM model_prices WHERE lower(model) = lower($1)', [HOUSE]);
      expect(after.rows).toEqual([{ model: HOUSE.toUpperCase(), price: { input_per_mtok: '1', output_per_mtok: '2' } }]);
      const listed = await app.get('/api/pricing?source=admin');
      // Scoped to this test's names: on the embedded database other files' admin prices show too.
      expect(listed.body.data.filter((p: { model: string }) => p.model.toLowerCase() === HOUSE)).toEqual([expect.objectContaining({ id: `local/${HOUSE.toUpperCase()}`, input_per_mtok: '1' })]);
    });

    it('takes model names with slashes, plain or percent-encoded', async () => {
      const res = await put(`/api/pricing/openrouter/acme/${HOUSE}`, { input_per_mtok: 3, output_per_mtok: 4, long_context: { threshold_tokens: 100000, input_per_mtok: 6, output_per_mtok: 8 } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: `openrouter/acme/${HOUSE}`, model: `acme/${HOUSE}`, long_context: { threshold_tokens: 100000, input_per_mtok: '6', output_per_mtok: '8' } });
      expect((await app.get(`/api/pricing/openrouter/acme%2F${HOUSE}`)).body).toMatchObject({ id: `openrouter/acme/${HOUSE}`, source: 'admin' });
      expect((await app.call('DELETE', `/api/pricing/openrouter/acme%2F${HOUSE}`)).status).toBe(204);
    });

    it.each<[string, unknown, string]>([
      ['missing output', { input_per_mtok: 1 }, 'output_per_mtok'],
      ['negative', { input_per_mtok: -1, output_per_mtok: 1 }, 'input_per_mtok'],
      ['not a number', { input_per_mtok: 'cheap', output_per_mtok: 1 }, 'input_per_mtok'],
      ['too precise', { input_per_mtok: '0.0000000000001', output_per_mtok: 1 }, 'input_per_mtok'],
      ['too large', { input_per_mtok: 1, output_per_mtok: 1e9 }, 'output_per_mtok'],
      ['boolean', { input_per_mtok: true, output_per_mtok: 1 }, 'input_per_mtok'],
      ['unknown field', { input_per_mtok: 1, output_per_mtok: 1, price: 2 }, 'price'],
      ['bad tier threshold', { input_per_mtok: 1, output_per_mtok: 1, long_context: { threshold_tokens: 0, input_per_mtok: 2, output_per_mtok: 2 } }, 'long_context.threshold_tokens'],
      ['tier not an object', { input_per_mtok: 1, output_per_mtok: 1, long_context: 5 }, 'long_context'],
    ])('400 naming the field, changing nothing: %s', async (_case, body, param) => {
      const res = await put(`/api/pricing/local/bad-${HOUSE}`, body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', param });
      expect((await app.pg.query('SELECT 1 FROM model_prices WHERE model = $1', [`bad-${HOUSE}`])).rowCount).toBe(0);
    });

    it.each([
      [`/api/pricing/Not_Lower/${HOUSE}`, 'provider'],
      [`/api/pricing/local/has%20space`, 'model'],
      [`/api/pricing/local/wild*`, 'model'],
      [`/api/pricing/local/${'m'.repeat(257)}`, 'model'],
    ])('400 for a bad path: %s', async (path, param) => {
      const res = await put(path, { input_per_mtok: 1, output_per_mtok: 1 });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', param });
    });

    it('409 for a model GATEWAY_CONFIG prices, changing nothing', async () => {
      const res = await put('/api/pricing/openai/gpt-4o-mini', { input_per_mtok: 1, output_per_mtok: 1 });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'price_overridden', message: expect.stringContaining('GATEWAY_CONFIG pricing["openai/gpt-4o-mini"]') });
      expect((await app.pg.query(`SELECT 1 FROM model_prices WHERE model = 'gpt-4o-mini'`)).rowCount).toBe(0);
    });

    it('deletes softly (the gateways poll for it), then 404s', async () => {
      await put(`/api/pricing/local/del-${HOUSE}`, { input_per_mtok: 1, output_per_mtok: 1 });
      const res = await app.call('DELETE', `/api/pricing/local/del-${HOUSE}`);
      expect(res.status).toBe(204);
      const row = await app.pg.query('SELECT deleted_at, updated_at FROM model_prices WHERE model = $1', [`del-${HOUSE}`]);
      expect(row.rows[0].deleted_at).not.toBeNull();
      expect((await app.get(`/api/pricing/local/del-${HOUSE}`)).status).toBe(404);
      const again = await app.call('DELETE', `/api/pricing/local/del-${HOUSE}`);
      expect(again.status).toBe(404);
      expect(again.body.error).toMatchObject({ code: 'not_found' });
      // A later PUT revives the row.
      expect((await put(`/api/pricing/local/del-${HOUSE}`, { input_per_mtok: 2, output_per_mtok: 2 })).body).toMatchObject({ source: 'admin', input_per_mtok: '2' });
    });
  });

  describe('GET /api/pricing/unpriced', () => {
    const seen = `seen-${HOUSE}`;
    const insert = (model: string, status: string, tokens: number, cost: string | null, at = new Date()) =>
      app.pg.query(
        `INSERT INTO request_logs (id, request_id, created_at, provider, model, model_requested, fallback_index, status, http_status, stream, input_tokens, output_tokens, total_tokens, cost_usd, latency_ms)
         VALUES (gen_random_uuid(), $1, $2, 'local', $3, $4, 0, $5, 200, false, $6, 0, $6, $7, 5)`,
        [randomUUID(), at, model, `local/${model}`, status, tokens, cost],
      );

    it('lists models served without a price, newest first, until they are priced', async () => {
      await insert(seen, 'success', 10, null);
      await insert(seen, 'success', 12, null);
      await insert(`${seen}-old`, 'success', 10, null, new Date(Date.now() - 30 * 86_400_000));
      // A failed attempt that produced no tokens (cost 0 now, null before) is not "unpriced".
      await insert(`${seen}-failed`, 'error', 0, null);
      await insert(`${seen}-priced`, 'success', 10, '0.0000010000');
      const res = await app.get('/api/pricing/unpriced');
      expect(res.status).toBe(200);
      const mine = res.body.data.filter((m: { model: string }) => m.model.startsWith(seen));
      expect(mine).toEqual([{ id: `local/${seen}`, provider: 'local', model: seen, requests: 2, last_seen_at: expect.any(String) }]);
      expect((await app.get('/api/pricing/unpriced?days=60')).body.data.map((m: { model: string }) => m.model)).toContain(`${seen}-old`);

      await put(`/api/pricing/local/${seen}`, { input_per_mtok: 1, output_per_mtok: 1 });
      const after = await app.get('/api/pricing/unpriced');
      expect(after.body.data.filter((m: { model: string }) => m.model === seen)).toEqual([]);
    });
  });
});

describe('admin pricing API in Swagger', () => {
  const app = useAdminApp();

  it('documents every pricing route with its bodies and errors', async () => {
    const { body: doc } = await app.call('GET', '/docs-json', { token: null });
    const routes: [string, string, string[]][] = [
      ['/api/pricing', 'get', ['200', '400', '401']],
      ['/api/pricing/unpriced', 'get', ['200', '400', '401']],
      ['/api/pricing/{provider}/{model}', 'get', ['200', '400', '401', '404']],
      ['/api/pricing/{provider}/{model}', 'put', ['200', '400', '401', '409']],
      ['/api/pricing/{provider}/{model}', 'delete', ['204', '400', '401', '404']],
    ];
    for (const [path, method, statuses] of routes) {
      const op = doc.paths[path]?.[method];
      expect({ path, method, found: Boolean(op) }).toEqual({ path, method, found: true });
      expect(op.security).toEqual([{ 'admin-token': [] }]);
      expect(op.tags).toEqual(['pricing']);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(statuses));
    }
    expect(doc.paths['/api/pricing/{provider}/{model}'].put.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/SetModelPriceDto');
    expect(doc.components.schemas.SetModelPriceDto.required).toEqual(['input_per_mtok', 'output_per_mtok']);
    expect(doc.components.schemas.PricingListDto.properties).toHaveProperty('catalog');
  });
});
