import { createHash, randomUUID } from 'node:crypto';
import { periodStart } from '@app/common';
import { loadConfig } from '@app/config';
import { createAdminApp } from '../admin.bootstrap';
import { type AdminReply as Reply, useAdminApp } from '../../../../test/support/admin-app';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('admin virtual keys (e2e)', () => {
  const app = useAdminApp();
  const call = app.call;
  const TOKEN = app.token;

  const create = async (body: Record<string, unknown> = {}): Promise<Reply> => {
    const res = await call('POST', '/api/virtual-keys', { body: { name: `k-${randomUUID()}`, ...body } });
    expect(res.status).toBe(201);
    return res;
  };

  const createPolicy = async (): Promise<string> => {
    const res = await call('POST', '/api/fallback-policies', { body: { name: `p-${randomUUID()}`, model: 'openai/gpt-4o', fallbacks: ['anthropic/claude-sonnet-4-5'] } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  async function dbRow(id: string): Promise<Record<string, unknown>> {
    const r = await app.pg.query('SELECT *, updated_at::text AS updated_at_text FROM virtual_keys WHERE id = $1', [id]);
    return r.rows[0] as Record<string, unknown>;
  }

  /** Compared in SQL: the API shows milliseconds, the column keeps microseconds. */
  async function movedForward(id: string, before: string): Promise<boolean> {
    const r = await app.pg.query('SELECT updated_at > $2::timestamptz AS moved FROM virtual_keys WHERE id = $1', [id, before]);
    return r.rows[0].moved as boolean;
  }

  describe('authentication', () => {
    it.each([
      ['no Authorization header', null],
      ['a wrong token', 'not-the-token'],
      ['a token that only shares a prefix', `${TOKEN}x`],
    ])('refuses %s with 401', async (_label, token) => {
      const res = await call('GET', '/api/virtual-keys', { token });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'unauthorized' } });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('refuses a non-Bearer scheme and accepts the right token', async () => {
      const basic = await fetch(`${app.url}/api/virtual-keys`, { headers: { authorization: `Basic ${TOKEN}` } });
      expect(basic.status).toBe(401);
      expect((await call('GET', '/api/virtual-keys')).status).toBe(200);
    });

    it('checks the token before validating the body', async () => {
      const res = await call('POST', '/api/virtual-keys', { body: { foo: 1 }, token: null });
      expect(res.status).toBe(401);
    });
  });

  describe('POST /api/virtual-keys', () => {
    it('returns the secret once and stores only its SHA-256', async () => {
      const policyId = await createPolicy();
      const { body } = await create({
        allowed_models: ['openai/gpt-4o-mini', 'anthropic/*', 'openrouter/meta-llama/llama-3.1-70b'],
        budget: { max_usd: 12.5, period: '1M' },
        rate_limit: { requests_per_minute: 60 },
        fallback_policy_id: policyId,
        expires_at: '2030-01-01T00:00:00+02:00',
        metadata: { team: 'search', tier: 2 },
      });
      expect(body.key).toMatch(/^sk-bf-[A-Za-z0-9_-]{43}$/);
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        key: body.key,
        name: expect.stringMatching(/^k-/),
        key_prefix: body.key.slice(0, 10),
        allowed_models: ['openai/gpt-4o-mini', 'anthropic/*', 'openrouter/meta-llama/llama-3.1-70b'],
        budget: { max_usd: 12.5, period: '1M' },
        rate_limit: { requests_per_minute: 60, tokens_per_minute: null, max_concurrent_requests: null },
        fallback_policy_id: policyId,
        expires_at: '2029-12-31T22:00:00.000Z',
        is_active: true,
        metadata: { team: 'search', tier: 2 },
        revoked_at: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const row = await dbRow(body.id);
      expect(row.key_hash).toBe(sha256(body.key));
      expect(row.key_prefix).toBe(body.key.slice(0, 10));
      // Nowhere in the row, under any column.
      expect(JSON.stringify(row)).not.toContain(body.key.slice(6));
    });

    it('applies defaults to a minimal body', async () => {
      const { body } = await create();
      expect(body).toMatchObject({ allowed_models: [], budget: null, rate_limit: null, fallback_policy_id: null, expires_at: null, is_active: true, metadata: {} });
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a bad allowed_models pattern', { allowed_models: ['openai/gpt-4o', 'gpt-4o'] }, 'allowed_models'],
      ['allowed_models not an array', { allowed_models: 'openai/*' }, 'allowed_models'],
      ['a bad budget.period', { budget: { max_usd: 5, period: '2d' } }, 'budget.period'],
      ['a negative budget.max_usd', { budget: { max_usd: -1, period: '1d' } }, 'budget.max_usd'],
      ['budget.max_usd as a string', { budget: { max_usd: '5', period: '1d' } }, 'budget.max_usd'],
      ['a budget.max_usd that numeric(20,10) would round to 0', { budget: { max_usd: 1e-11, period: '1d' } }, 'budget.max_usd'],
      ['a budget.max_usd past the column', { budget: { max_usd: 1e12, period: '1d' } }, 'budget.max_usd'],
      ['a rate limit past int4', { rate_limit: { requests_per_minute: 2 ** 31 } }, 'rate_limit.requests_per_minute'],
      ['budget not an object', { budget: 'cheap' }, 'budget'],
      ['an unknown field', { foo: 1 }, 'foo'],
      ['an unknown nested field', { budget: { max_usd: 1, period: '1d', currency: 'EUR' } }, 'budget.currency'],
      ['a fractional rate limit', { rate_limit: { requests_per_minute: 1.5 } }, 'rate_limit.requests_per_minute'],
      ['a zero rate limit', { rate_limit: { tokens_per_minute: 0 } }, 'rate_limit.tokens_per_minute'],
      ['is_active as a string', { is_active: 'yes' }, 'is_active'],
      ['expires_at without time zone', { expires_at: '2030-01-01T00:00:00' }, 'expires_at'],
      ['expires_at not a date', { expires_at: 'tomorrow' }, 'expires_at'],
      ['fallback_policy_id not a uuid', { fallback_policy_id: 'policy-1' }, 'fallback_policy_id'],
      ['metadata not an object', { metadata: ['a'] }, 'metadata'],
      ['name as a number', { name: 123 }, 'name'],
      ['an empty name', { name: '' }, 'name'],
    ])('400 for %s, naming the field', async (_label, patch, param) => {
      const res = await call('POST', '/api/virtual-keys', { body: { name: 'valid', ...patch } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { message: expect.stringContaining(param), type: 'invalid_request_error', param, code: 'invalid_request' } });
    });

    it('words nested messages with the dotted path', async () => {
      const res = await call('POST', '/api/virtual-keys', { body: { name: 'x', budget: { max_usd: 0, period: '1d' } } });
      expect(res.body.error.message).toBe('budget.max_usd must be a positive number, from 0.000001 to 1000000000');
      // One sentence per field, whichever constraints fail.
      const text = await call('POST', '/api/virtual-keys', { body: { name: 'x', budget: { max_usd: 'a', period: '1d' } } });
      expect(text.body.error.message).toBe('budget.max_usd must be a positive number, from 0.000001 to 1000000000');
      const noName = await call('POST', '/api/virtual-keys', { body: {} });
      expect(noName.body.error.message).toBe('name must be a non-empty string of at most 200 characters');
      const unknown = await call('POST', '/api/virtual-keys', { body: { name: 'x', foo: 1 } });
      expect(unknown.body.error.message).toBe('foo is not a known field');
      const models = await call('POST', '/api/virtual-keys', { body: { name: 'x', allowed_models: ['gpt-4o'] } });
      expect(models.body.error.message).toContain('(invalid: "gpt-4o")');
    });

    it('400 when name is missing', async () => {
      const res = await call('POST', '/api/virtual-keys', { body: {} });
      expect(res.status).toBe(400);
      expect(res.body.error.param).toBe('name');
    });

    it('400 invalid_request for malformed JSON and for a non-object body', async () => {
      const malformed = await call('POST', '/api/virtual-keys', { raw: '{"name": "x",' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request', param: null });
      expect(malformed.body.error.message).toMatch(/not valid JSON/);
      const array = await call('POST', '/api/virtual-keys', { raw: '[{"name": "x"}]' });
      expect(array.status).toBe(400);
      expect(array.body.error.code).toBe('invalid_request');
    });
  });

  describe('GET /api/virtual-keys', () => {
    it('lists newest first, hides revoked keys unless include_revoked=true, never shows hashes', async () => {
      const a = (await create()).body;
      const b = (await create()).body;
      const c = (await create()).body;
      expect((await call('DELETE', `/api/virtual-keys/${b.id}`)).status).toBe(200);

      const ids = (res: Reply): string[] => (res.body.data as { id: string }[]).map((k) => k.id).filter((id) => [a.id, b.id, c.id].includes(id));
      const active = await call('GET', '/api/virtual-keys');
      expect(active.status).toBe(200);
      expect(ids(active)).toEqual([c.id, a.id]);
      const all = await call('GET', '/api/virtual-keys?include_revoked=true');
      expect(ids(all)).toEqual([c.id, b.id, a.id]);
      expect(ids(await call('GET', '/api/virtual-keys?include_revoked=false'))).toEqual([c.id, a.id]);

      const listed = (active.body.data as Record<string, unknown>[]).find((k) => k.id === a.id);
      expect(listed).not.toHaveProperty('key');
      expect(listed).not.toHaveProperty('key_hash');
    });

    it('400 for a bad include_revoked or an unknown query parameter', async () => {
      const bad = await call('GET', '/api/virtual-keys?include_revoked=maybe');
      expect(bad.status).toBe(400);
      expect(bad.body.error.param).toBe('include_revoked');
      const unknown = await call('GET', '/api/virtual-keys?limit=5');
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.param).toBe('limit');
    });
  });

  describe('GET /api/virtual-keys/:id', () => {
    it('returns the record without the key, with its spend', async () => {
      const created = (await create({ budget: { max_usd: 3, period: '1d' } })).body;
      const res = await call('GET', `/api/virtual-keys/${created.id}`);
      expect(res.status).toBe(200);
      const { key: _key, ...record } = created;
      expect(res.body).toEqual({
        ...record,
        spend: { period_start: expect.any(String), period_end: expect.any(String), spent_usd: 0, remaining_usd: 3 },
        total_spent_usd: 0,
      });
    });

    it('404 not_found for an unknown id, 400 for a non-uuid id', async () => {
      const missing = await call('GET', `/api/virtual-keys/${randomUUID()}`);
      expect(missing.status).toBe(404);
      expect(missing.body.error).toMatchObject({ code: 'not_found', type: 'invalid_request_error', param: null });
      const bad = await call('GET', '/api/virtual-keys/not-a-uuid');
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'invalid_request', param: 'id' });
    });
  });

  describe('PATCH /api/virtual-keys/:id', () => {
    it('changes the given fields only and moves updated_at forward', async () => {
      const created = (
        await create({ budget: { max_usd: 10, period: '1w' }, rate_limit: { requests_per_minute: 5, tokens_per_minute: 500 }, expires_at: '2031-05-01T00:00:00Z', metadata: { a: 1 } })
      ).body;
      const before = await dbRow(created.id);

      const res = await call('PATCH', `/api/virtual-keys/${created.id}`, { body: { name: 'renamed', allowed_models: ['openai/*'], is_active: false } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        name: 'renamed',
        allowed_models: ['openai/*'],
        is_active: false,
        budget: { max_usd: 10, period: '1w' },
        rate_limit: { requests_per_minute: 5, tokens_per_minute: 500 },
        expires_at: '2031-05-01T00:00:00.000Z',
        metadata: { a: 1 },
        key_prefix: created.key_prefix,
        created_at: created.created_at,
      });
      expect(await movedForward(created.id, before.updated_at_text as string)).toBe(true);
      expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
      expect((await dbRow(created.id)).key_hash).toBe(sha256(created.key));
    });

    it('clears budget, rate_limit, expires_at and fallback_policy_id with null', async () => {
      const created = (
        await create({ budget: { max_usd: 1, period: 'total' }, rate_limit: { tokens_per_minute: 9 }, expires_at: '2031-01-01T00:00:00Z', fallback_policy_id: await createPolicy() })
      ).body;
      const res = await call('PATCH', `/api/virtual-keys/${created.id}`, { body: { budget: null, rate_limit: null, expires_at: null, fallback_policy_id: null } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ budget: null, rate_limit: null, expires_at: null, fallback_policy_id: null });
      const row = await dbRow(created.id);
      expect(row).toMatchObject({ budget_max_usd: null, budget_period: null, rate_limit_rpm: null, rate_limit_tpm: null, expires_at: null });
    });

    it('replaces rate_limit as a whole', async () => {
      const created = (await create({ rate_limit: { requests_per_minute: 5, tokens_per_minute: 500 } })).body;
      const res = await call('PATCH', `/api/virtual-keys/${created.id}`, { body: { rate_limit: { requests_per_minute: 7 } } });
      expect(res.body.rate_limit).toEqual({ requests_per_minute: 7, tokens_per_minute: null, max_concurrent_requests: null });
    });

    it('400 for unknown fields, null in a non-nullable field and bad values; 404 for an unknown id', async () => {
      const { id } = (await create()).body;
      const unknown = await call('PATCH', `/api/virtual-keys/${id}`, { body: { key_hash: 'x' } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.param).toBe('key_hash');
      const nullName = await call('PATCH', `/api/virtual-keys/${id}`, { body: { name: null } });
      expect(nullName.status).toBe(400);
      expect(nullName.body.error.param).toBe('name');
      const period = await call('PATCH', `/api/virtual-keys/${id}`, { body: { budget: { max_usd: 1, period: 'month' } } });
      expect(period.body.error.param).toBe('budget.period');
      const missing = await call('PATCH', `/api/virtual-keys/${randomUUID()}`, { body: { name: 'x' } });
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('not_found');
    });
  });

  describe('fallback_policy_id', () => {
    it('400 naming the field for a policy that does not exist or was deleted, on create and on PATCH', async () => {
      const deleted = await createPolicy();
      expect((await call('DELETE', `/api/fallback-policies/${deleted}`)).status).toBe(200);
      const { id } = (await create()).body;
      for (const policyId of [randomUUID(), deleted]) {
        const created = await call('POST', '/api/virtual-keys', { body: { name: 'x', fallback_policy_id: policyId } });
        expect(created.status).toBe(400);
        expect(created.body.error).toMatchObject({ code: 'invalid_request', param: 'fallback_policy_id', message: expect.stringContaining(policyId) });
        const patched = await call('PATCH', `/api/virtual-keys/${id}`, { body: { fallback_policy_id: policyId } });
        expect(patched.status).toBe(400);
        expect(patched.body.error.param).toBe('fallback_policy_id');
      }
      expect((await dbRow(id)).fallback_policy_id).toBeNull();
    });

    it('accepts a live policy on PATCH', async () => {
      const policyId = await createPolicy();
      const { id } = (await create()).body;
      const res = await call('PATCH', `/api/virtual-keys/${id}`, { body: { fallback_policy_id: policyId } });
      expect(res.status).toBe(200);
      expect(res.body.fallback_policy_id).toBe(policyId);
    });
  });

  describe('spend', () => {
    async function log(keyId: string, createdAt: Date, costUsd: string | null): Promise<void> {
      await app.pg.query(
        `INSERT INTO request_logs (id, request_id, created_at, virtual_key_id, provider, model, model_requested, fallback_index, status, http_status, stream, cost_usd, latency_ms)
         VALUES ($1, $2, $3, $4, 'openai', 'gpt-4o-mini', 'openai/gpt-4o-mini', 0, 'success', 200, false, $5, 12)`,
        [randomUUID(), `req-${randomUUID()}`, createdAt, keyId, costUsd],
      );
    }
    const before = (d: Date): Date => new Date(d.getTime() - 1);

    it('sums cost_usd of the current period per key, exactly, leaving out earlier and unpriced rows', async () => {
      const now = new Date();
      const day = (await create({ budget: { max_usd: 1, period: '1d' } })).body;
      const hour = (await create({ budget: { max_usd: 0.5, period: '1h' } })).body;
      const total = (await create({ budget: { max_usd: 2, period: 'total' } })).body;
      const none = (await create()).body;
      const other = (await create({ budget: { max_usd: 1, period: '1d' } })).body;

      const dayStart = periodStart('1d', now);
      const hourStart = periodStart('1h', now);
      for (const id of [day.id, hour.id, total.id, none.id]) {
        // 0.1 + 0.2 is 0.30000000000000004 in floating point: the sum must be exact.
        await log(id, hourStart, '0.1000000000');
        await log(id, now, '0.2000000000');
        await log(id, now, null);
        await log(id, before(hourStart), '0.0500000000');
        await log(id, before(dayStart), '10.0000000000');
      }
      // Another key's spend is not ours; the listed keys were all just created, so `other` shows 0.
      await log(randomUUID(), now, '7.0000000000');

      const res = await call('GET', '/api/virtual-keys');
      expect(res.status).toBe(200);
      const listed = new Map((res.body.data as { id: string }[]).map((k) => [k.id, k]));

      // With hourStart == dayStart (the first hour of the day) the 0.05 row falls before both.
      const dayPeriod = hourStart.getTime() === dayStart.getTime() ? 0.3 : 0.35;
      expect(listed.get(day.id)).toMatchObject({
        spend: { period_start: dayStart.toISOString(), period_end: new Date(dayStart.getTime() + 86_400_000).toISOString(), spent_usd: dayPeriod, remaining_usd: Number((1 - dayPeriod).toFixed(10)) },
        total_spent_usd: 10.35,
      });
      expect(listed.get(hour.id)).toMatchObject({
        spend: { period_start: hourStart.toISOString(), period_end: new Date(hourStart.getTime() + 3_600_000).toISOString(), spent_usd: 0.3, remaining_usd: 0.2 },
        total_spent_usd: 10.35,
      });
      // A total budget counts every row and has no window; over budget, nothing remains.
      expect(listed.get(total.id)).toMatchObject({ spend: { period_start: null, period_end: null, spent_usd: 10.35, remaining_usd: 0 }, total_spent_usd: 10.35 });
      expect(listed.get(none.id)).toMatchObject({ spend: null, total_spent_usd: 10.35 });
      expect(listed.get(other.id)).toMatchObject({ spend: { spent_usd: 0, remaining_usd: 1 }, total_spent_usd: 0 });

      // GET of one key agrees with the list.
      for (const key of [day, hour, total, none]) {
        const one = await call('GET', `/api/virtual-keys/${key.id}`);
        expect(one.status).toBe(200);
        expect(one.body).toEqual(listed.get(key.id));
      }
    });

    it('lists revoked keys with their spend too', async () => {
      const key = (await create({ budget: { max_usd: 1, period: '1M' } })).body;
      await log(key.id, new Date(), '0.4200000000');
      await call('DELETE', `/api/virtual-keys/${key.id}`);
      const res = await call('GET', '/api/virtual-keys?include_revoked=true');
      const listed = (res.body.data as { id: string }[]).find((k) => k.id === key.id);
      expect(listed).toMatchObject({ revoked_at: expect.any(String), spend: { spent_usd: 0.42, remaining_usd: 0.58 }, total_spent_usd: 0.42 });
    });
  });

  describe('DELETE /api/virtual-keys/:id', () => {
    it('revokes, keeps the row, moves updated_at, and is idempotent', async () => {
      const created = (await create()).body;
      const before = await dbRow(created.id);
      const res = await call('DELETE', `/api/virtual-keys/${created.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: created.id, is_active: false, revoked_at: expect.any(String) });
      expect(res.body).not.toHaveProperty('key');
      expect(await movedForward(created.id, before.updated_at_text as string)).toBe(true);
      const row = await dbRow(created.id);
      expect(row).toMatchObject({ is_active: false, key_hash: sha256(created.key) });

      const again = await call('DELETE', `/api/virtual-keys/${created.id}`);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(res.body);
      expect((await call('GET', `/api/virtual-keys/${created.id}`)).body.revoked_at).toBe(res.body.revoked_at);
    });

    it('refuses to change or rotate a revoked key (409) and 404s an unknown id', async () => {
      const { id } = (await create()).body;
      await call('DELETE', `/api/virtual-keys/${id}`);
      const patch = await call('PATCH', `/api/virtual-keys/${id}`, { body: { is_active: true } });
      expect(patch.status).toBe(409);
      expect(patch.body.error.code).toBe('virtual_key_revoked');
      expect((await call('POST', `/api/virtual-keys/${id}/rotate`)).status).toBe(409);
      expect((await dbRow(id)).is_active).toBe(false);
      const missing = await call('DELETE', `/api/virtual-keys/${randomUUID()}`);
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('not_found');
    });
  });

  describe('POST /api/virtual-keys/:id/rotate', () => {
    it('issues a new secret and forgets the old hash', async () => {
      const created = (await create({ name: 'rotating', budget: { max_usd: 2, period: '1h' } })).body;
      const before = await dbRow(created.id);
      const res = await call('POST', `/api/virtual-keys/${created.id}/rotate`);
      expect(res.status).toBe(200);
      expect(res.body.key).toMatch(/^sk-bf-[A-Za-z0-9_-]{43}$/);
      expect(res.body.key).not.toBe(created.key);
      expect(res.body).toMatchObject({ id: created.id, name: 'rotating', key_prefix: res.body.key.slice(0, 10), budget: { max_usd: 2, period: '1h' } });
      expect((await dbRow(created.id)).key_hash).toBe(sha256(res.body.key));
      const old = await app.pg.query('SELECT 1 FROM virtual_keys WHERE key_hash = $1', [sha256(created.key)]);
      expect(old.rowCount).toBe(0);
      expect(await movedForward(created.id, before.updated_at_text as string)).toBe(true);
    });

    it('404 for an unknown id', async () => {
      const res = await call('POST', `/api/virtual-keys/${randomUUID()}/rotate`);
      expect(res.status).toBe(404);
    });
  });

  describe('the app around the routes', () => {
    it('404 not_found for an unknown route', async () => {
      const res = await call('GET', '/api/nothing-here');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'not_found' } });
    });

    it('serves Swagger UI at /docs and an OpenAPI document listing every route at /docs-json, without a token', async () => {
      const ui = await call('GET', '/docs', { token: null });
      expect(ui.status).toBe(200);
      expect(ui.headers.get('content-type')).toContain('text/html');

      const { status, body: doc } = await call('GET', '/docs-json', { token: null });
      expect(status).toBe(200);
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.info.title).toEqual(expect.any(String));
      expect(doc.components.securitySchemes['admin-token']).toMatchObject({ type: 'http', scheme: 'bearer' });
      const routes: [string, string, string[]][] = [
        ['/api/virtual-keys', 'post', ['201', '400', '401']],
        ['/api/virtual-keys', 'get', ['200', '400', '401']],
        ['/api/virtual-keys/{id}', 'get', ['200', '400', '401', '404']],
        ['/api/virtual-keys/{id}', 'patch', ['200', '400', '401', '404', '409']],
        ['/api/virtual-keys/{id}', 'delete', ['200', '400', '401', '404']],
        ['/api/virtual-keys/{id}/rotate', 'post', ['200', '400', '401', '404', '409']],
      ];
      for (const [path, method, statuses] of routes) {
        const op = doc.paths[path]?.[method];
        expect({ path, method, found: Boolean(op) }).toEqual({ path, method, found: true });
        expect(op.security).toEqual([{ 'admin-token': [] }]);
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(statuses));
        if (path.includes('{id}')) expect(op.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path', required: true })]));
      }
      expect(doc.paths['/api/virtual-keys'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CreateVirtualKeyDto');

      // Every $ref resolves, and the schemas speak the API's snake_case.
      const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
      for (const ref of refs) {
        const name = ref.replace(/^"\$ref":"#\/components\/schemas\//, '').replace(/"$/, '');
        expect(doc.components.schemas).toHaveProperty([name]);
      }
      expect(Object.keys(doc.components.schemas.VirtualKeyDto.properties)).toEqual(
        expect.arrayContaining(['key_prefix', 'allowed_models', 'budget', 'rate_limit', 'revoked_at', 'updated_at']),
      );
      expect(doc.components.schemas.VirtualKeyDto.properties).not.toHaveProperty('key_hash');
      expect(doc.paths['/api/virtual-keys/{id}'].get.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/VirtualKeyWithSpendDto');
      expect(Object.keys(doc.components.schemas.VirtualKeyWithSpendDto.properties)).toEqual(expect.arrayContaining(['spend', 'total_spent_usd']));
      expect(Object.keys(doc.components.schemas.KeySpendDto.properties)).toEqual(['period_start', 'period_end', 'spent_usd', 'remaining_usd']);
      expect(doc.components.schemas.BudgetDto.properties.period.enum).toEqual(['1h', '1d', '1w', '1M', 'total']);
    });

    it('refuses to build without an admin token', async () => {
      const config = loadConfig({ DATABASE_URL: app.db.url });
      await expect(createAdminApp(config, { logger: false })).rejects.toThrow(/ADMIN_TOKEN/);
    });
  });
});
