import { randomUUID } from 'node:crypto';
import { useAdminApp } from '../../../../test/support/admin-app';

describe('admin fallback policies (e2e)', () => {
  const app = useAdminApp();
  const call = app.call;

  // A model of its own per test, so that list assertions hold on the embedded database shared by all files.
  const uniqueModel = (): string => `openai/gpt-test-${randomUUID()}`;

  const createPolicy = async (body: Record<string, unknown> = {}): Promise<any> => {
    const res = await call('POST', '/api/fallback-policies', { body: { name: `p-${randomUUID()}`, model: uniqueModel(), fallbacks: ['anthropic/claude-sonnet-4-5'], ...body } });
    expect(res.status).toBe(201);
    return res.body;
  };

  const createKey = async (body: Record<string, unknown> = {}): Promise<any> => {
    const res = await call('POST', '/api/virtual-keys', { body: { name: `k-${randomUUID()}`, ...body } });
    expect(res.status).toBe(201);
    return res.body;
  };

  async function policyRow(id: string): Promise<Record<string, unknown>> {
    const r = await app.pg.query('SELECT *, updated_at::text AS updated_at_text FROM fallback_policies WHERE id = $1', [id]);
    return r.rows[0] as Record<string, unknown>;
  }

  async function keyRow(id: string): Promise<Record<string, unknown>> {
    const r = await app.pg.query('SELECT fallback_policy_id, updated_at::text AS updated_at_text FROM virtual_keys WHERE id = $1', [id]);
    return r.rows[0] as Record<string, unknown>;
  }

  /** Compared in SQL: the API shows milliseconds, the column keeps microseconds. */
  async function movedForward(table: 'fallback_policies' | 'virtual_keys', id: string, before: unknown): Promise<boolean> {
    const r = await app.pg.query(`SELECT updated_at > $2::timestamptz AS moved FROM ${table} WHERE id = $1`, [id, before]);
    return r.rows[0].moved as boolean;
  }

  it('401 without the admin token, before validating the body', async () => {
    expect((await call('GET', '/api/fallback-policies', { token: null })).status).toBe(401);
    const res = await call('POST', '/api/fallback-policies', { body: { foo: 1 }, token: 'wrong' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  describe('POST /api/fallback-policies', () => {
    it('creates a policy and returns the record', async () => {
      const model = uniqueModel();
      const res = await call('POST', '/api/fallback-policies', {
        body: { name: 'gpt-4o to claude', model, fallbacks: ['anthropic/claude-sonnet-4-5', 'openrouter/meta-llama/llama-3.1-70b', 'anthropic/claude-sonnet-4-5'], on_status: [503, 429, 500, 429] },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'gpt-4o to claude',
        model,
        // Order kept, repeats too (a second try of the same model).
        fallbacks: ['anthropic/claude-sonnet-4-5', 'openrouter/meta-llama/llama-3.1-70b', 'anthropic/claude-sonnet-4-5'],
        // A set: sorted, without repeats.
        on_status: [429, 500, 503],
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const row = await policyRow(res.body.id);
      expect(row).toMatchObject({ model, on_status: [429, 500, 503], deleted_at: null });
    });

    it('accepts a provider wildcard as the model, and no on_status (the default)', async () => {
      const body = await createPolicy({ model: 'mistral/*', fallbacks: ['groq/llama-3.3-70b-versatile'] });
      expect(body).toMatchObject({ model: 'mistral/*', on_status: null });
      const explicitNull = await createPolicy({ on_status: null });
      expect(explicitNull.on_status).toBeNull();
    });

    const tenModels = Array.from({ length: 10 }, (_, i) => `openai/m-${i}`);
    it.each<[string, Record<string, unknown>, string]>([
      ['a missing name', { name: undefined }, 'name'],
      ['an empty name', { name: '' }, 'name'],
      ['a missing model', { model: undefined }, 'model'],
      ['a model without provider', { model: 'gpt-4o' }, 'model'],
      ['a model with a partial wildcard', { model: 'openai/gpt-*' }, 'model'],
      ['a model as a number', { model: 4 }, 'model'],
      ['missing fallbacks', { fallbacks: undefined }, 'fallbacks'],
      ['empty fallbacks', { fallbacks: [] }, 'fallbacks'],
      ['more than 10 fallbacks', { fallbacks: [...tenModels, 'openai/m-10'] }, 'fallbacks'],
      ['a wildcard fallback', { fallbacks: ['anthropic/*'] }, 'fallbacks'],
      ['a fallback without provider', { fallbacks: ['claude-sonnet-4-5'] }, 'fallbacks'],
      ['a fallback that is not a string', { fallbacks: [42] }, 'fallbacks'],
      ['fallbacks as a string', { fallbacks: 'anthropic/claude-sonnet-4-5' }, 'fallbacks'],
      ['on_status below 400', { on_status: [399] }, 'on_status'],
      ['on_status above 599', { on_status: [600] }, 'on_status'],
      ['a fractional on_status', { on_status: [429.5] }, 'on_status'],
      ['on_status as strings', { on_status: ['429'] }, 'on_status'],
      ['an empty on_status', { on_status: [] }, 'on_status'],
      ['on_status as a number', { on_status: 429 }, 'on_status'],
      ['an unknown field', { priority: 1 }, 'priority'],
    ])('400 for %s, naming the field', async (_label, patch, param) => {
      const body = { name: 'valid', model: 'openai/gpt-4o', fallbacks: ['anthropic/claude-sonnet-4-5'], ...patch };
      const res = await call('POST', '/api/fallback-policies', { body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { message: expect.stringContaining(param), type: 'invalid_request_error', param, code: 'invalid_request' } });
    });

    it('words the message as one rule per field and lists the offending entries', async () => {
      const base = { name: 'x', model: 'openai/gpt-4o' };
      const wild = await call('POST', '/api/fallback-policies', { body: { ...base, fallbacks: ['openai/gpt-4o-mini', 'anthropic/*'] } });
      expect(wild.body.error.message).toBe('fallbacks must be an array of 1 to 10 "provider/model" strings, without wildcards (invalid: "anthropic/*")');
      const status = await call('POST', '/api/fallback-policies', { body: { ...base, fallbacks: ['openai/gpt-4o-mini'], on_status: [429, 200, 700] } });
      expect(status.body.error.message).toBe('on_status must be a non-empty array of integer HTTP statuses from 400 to 599, or null for the default (invalid: 200, 700)');
    });
  });

  describe('GET /api/fallback-policies', () => {
    it('lists live policies newest first, filtered by model, without deleted ones', async () => {
      const model = uniqueModel();
      const a = await createPolicy({ model });
      const b = await createPolicy({ model });
      const c = await createPolicy({ model });
      const elsewhere = await createPolicy();
      expect((await call('DELETE', `/api/fallback-policies/${b.id}`)).status).toBe(200);

      const filtered = await call('GET', `/api/fallback-policies?model=${encodeURIComponent(model)}`);
      expect(filtered.status).toBe(200);
      expect(filtered.body.data).toEqual([c, a]);

      const all = await call('GET', '/api/fallback-policies');
      const ids = (all.body.data as { id: string }[]).map((p) => p.id);
      expect(ids).toEqual(expect.arrayContaining([a.id, c.id, elsewhere.id]));
      expect(ids).not.toContain(b.id);
      expect(ids.indexOf(c.id)).toBeLessThan(ids.indexOf(a.id));
    });

    it('400 for a bad model filter or an unknown query parameter', async () => {
      const bad = await call('GET', '/api/fallback-policies?model=gpt-4o');
      expect(bad.status).toBe(400);
      expect(bad.body.error.param).toBe('model');
      const unknown = await call('GET', '/api/fallback-policies?limit=5');
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.param).toBe('limit');
    });
  });

  describe('GET /api/fallback-policies/:id', () => {
    it('returns the record', async () => {
      const created = await createPolicy({ on_status: [502] });
      const res = await call('GET', `/api/fallback-policies/${created.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(created);
    });

    it('404 not_found for an unknown id, 400 naming id for a non-uuid', async () => {
      const missing = await call('GET', `/api/fallback-policies/${randomUUID()}`);
      expect(missing.status).toBe(404);
      expect(missing.body.error).toMatchObject({ code: 'not_found', type: 'invalid_request_error', param: null });
      const bad = await call('GET', '/api/fallback-policies/not-a-uuid');
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'invalid_request', param: 'id' });
    });
  });

  describe('PATCH /api/fallback-policies/:id', () => {
    it('changes the given fields only and moves updated_at forward', async () => {
      const created = await createPolicy({ on_status: [429] });
      const before = (await policyRow(created.id)).updated_at_text;
      const res = await call('PATCH', `/api/fallback-policies/${created.id}`, { body: { fallbacks: ['google/gemini-2.5-flash', 'openai/gpt-4o-mini'] } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...created, fallbacks: ['google/gemini-2.5-flash', 'openai/gpt-4o-mini'], updated_at: expect.any(String) });
      expect(await movedForward('fallback_policies', created.id, before)).toBe(true);

      const renamed = await call('PATCH', `/api/fallback-policies/${created.id}`, { body: { name: 'renamed', model: 'openai/*', on_status: null } });
      expect(renamed.body).toMatchObject({ name: 'renamed', model: 'openai/*', on_status: null, fallbacks: ['google/gemini-2.5-flash', 'openai/gpt-4o-mini'] });
    });

    it('400 for null in a required field, bad values and unknown fields; 404 for unknown and deleted ids', async () => {
      const { id } = await createPolicy();
      for (const [body, param] of [
        [{ name: null }, 'name'],
        [{ model: null }, 'model'],
        [{ fallbacks: null }, 'fallbacks'],
        [{ fallbacks: ['openai/*'] }, 'fallbacks'],
        [{ on_status: [100] }, 'on_status'],
        [{ deleted_at: null }, 'deleted_at'],
      ] as const) {
        const res = await call('PATCH', `/api/fallback-policies/${id}`, { body });
        expect({ body, status: res.status, param: res.body.error?.param }).toEqual({ body, status: 400, param });
      }
      expect((await call('PATCH', `/api/fallback-policies/${randomUUID()}`, { body: { name: 'x' } })).status).toBe(404);
      await call('DELETE', `/api/fallback-policies/${id}`);
      const deleted = await call('PATCH', `/api/fallback-policies/${id}`, { body: { name: 'x' } });
      expect(deleted.status).toBe(404);
      expect(deleted.body.error.code).toBe('not_found');
    });
  });

  describe('DELETE /api/fallback-policies/:id', () => {
    it('soft-deletes: the row stays with deleted_at and a newer updated_at, and the API no longer sees it', async () => {
      const created = await createPolicy();
      const before = (await policyRow(created.id)).updated_at_text;
      const res = await call('DELETE', `/api/fallback-policies/${created.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: created.id, deleted: true, detached_virtual_key_ids: [] });
      const row = await policyRow(created.id);
      expect(row.deleted_at).toBeInstanceOf(Date);
      expect(await movedForward('fallback_policies', created.id, before)).toBe(true);
      expect((await call('GET', `/api/fallback-policies/${created.id}`)).status).toBe(404);
      const again = await call('DELETE', `/api/fallback-policies/${created.id}`);
      expect(again.status).toBe(404);
      expect(again.body.error.code).toBe('not_found');
      expect((await call('DELETE', '/api/fallback-policies/nope')).status).toBe(400);
    });

    it('detaches the keys that used the policy, moving their updated_at, and leaves other keys alone', async () => {
      const doomed = await createPolicy();
      const kept = await createPolicy();
      const a = await createKey({ fallback_policy_id: doomed.id });
      const revoked = await createKey({ fallback_policy_id: doomed.id });
      await call('DELETE', `/api/virtual-keys/${revoked.id}`);
      const b = await createKey({ fallback_policy_id: kept.id });
      const beforeA = (await keyRow(a.id)).updated_at_text;
      const beforeB = (await keyRow(b.id)).updated_at_text;

      const res = await call('DELETE', `/api/fallback-policies/${doomed.id}`);
      expect(res.status).toBe(200);
      expect([...res.body.detached_virtual_key_ids].sort()).toEqual([a.id, revoked.id].sort());

      expect((await call('GET', `/api/virtual-keys/${a.id}`)).body.fallback_policy_id).toBeNull();
      expect((await keyRow(revoked.id)).fallback_policy_id).toBeNull();
      expect(await movedForward('virtual_keys', a.id, beforeA)).toBe(true);
      expect(await keyRow(b.id)).toEqual({ fallback_policy_id: kept.id, updated_at_text: beforeB });
    });

    it('never leaves a key pointing at a deleted policy when the two race', async () => {
      for (let i = 0; i < 5; i++) {
        const policy = await createPolicy();
        const existing = await createKey();
        const results = await Promise.all([
          call('POST', '/api/virtual-keys', { body: { name: `race-${i}`, fallback_policy_id: policy.id } }),
          call('PATCH', `/api/virtual-keys/${existing.id}`, { body: { fallback_policy_id: policy.id } }),
          call('DELETE', `/api/fallback-policies/${policy.id}`),
        ]);
        expect(results.map((r) => r.status).every((s) => [200, 201, 400].includes(s))).toBe(true);
        const dangling = await app.pg.query(
          'SELECT k.id FROM virtual_keys k JOIN fallback_policies p ON p.id = k.fallback_policy_id WHERE p.id = $1 AND p.deleted_at IS NOT NULL',
          [policy.id],
        );
        expect(dangling.rows).toEqual([]);
      }
    });
  });

  describe('the foreign key', () => {
    it('refuses a fallback_policy_id that names no policy, even written past the API', async () => {
      const key = await createKey();
      await expect(app.pg.query('UPDATE virtual_keys SET fallback_policy_id = $2 WHERE id = $1', [key.id, randomUUID()])).rejects.toMatchObject({
        code: '23503',
        constraint: 'virtual_keys_fallback_policy_id_fkey',
      });
    });

    it('clears the reference when a policy row is removed for good', async () => {
      const policy = await createPolicy();
      const key = await createKey({ fallback_policy_id: policy.id });
      await app.pg.query('DELETE FROM fallback_policies WHERE id = $1', [policy.id]);
      expect((await keyRow(key.id)).fallback_policy_id).toBeNull();
    });
  });

  it('documents every route in the OpenAPI document', async () => {
    const { body: doc } = await call('GET', '/docs-json', { token: null });
    const routes: [string, string, string[]][] = [
      ['/api/fallback-policies', 'post', ['201', '400', '401']],
      ['/api/fallback-policies', 'get', ['200', '400', '401']],
      ['/api/fallback-policies/{id}', 'get', ['200', '400', '401', '404']],
      ['/api/fallback-policies/{id}', 'patch', ['200', '400', '401', '404']],
      ['/api/fallback-policies/{id}', 'delete', ['200', '400', '401', '404']],
    ];
    for (const [path, method, statuses] of routes) {
      const op = doc.paths[path]?.[method];
      expect({ path, method, found: Boolean(op) }).toEqual({ path, method, found: true });
      expect(op.security).toEqual([{ 'admin-token': [] }]);
      expect(op.tags).toEqual(['fallback-policies']);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(statuses));
    }
    expect(doc.paths['/api/fallback-policies'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CreateFallbackPolicyDto');
    expect(doc.components.schemas.CreateFallbackPolicyDto.required).toEqual(expect.arrayContaining(['name', 'model', 'fallbacks']));
    expect(Object.keys(doc.components.schemas.FallbackPolicyDto.properties)).toEqual(['id', 'name', 'model', 'fallbacks', 'on_status', 'created_at', 'updated_at']);
    expect(doc.components.schemas.FallbackPolicyDto.properties.on_status).toMatchObject({ type: 'array', nullable: true, items: { type: 'integer' } });
  });
});
