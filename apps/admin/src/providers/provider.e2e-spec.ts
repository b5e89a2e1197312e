import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AdminReply as Reply, useAdminApp } from '../../../../test/support/admin-app';

const SECRETS = {
  openaiPrimary: `sk-proj-primary-${randomUUID()}`,
  openaiBackup: `sk-proj-backup-${randomUUID()}`,
  proxyPassword: `pw-${randomUUID()}`,
  proxyQuery: `q-${randomUUID()}`,
  proxyHeader: `hdr-${randomUUID()}`,
  openrouter: `sk-or-${randomUUID()}`,
};

const GATEWAY_CONFIG = {
  providers: {
    openai: {
      keys: [
        { id: 'primary', value: 'env.TEST_OPENAI_PRIMARY', weight: 3, models: ['gpt-4o*'] },
        { id: 'backup', value: SECRETS.openaiBackup },
      ],
      models: ['gpt-4o-mini', 'gpt-4o'],
      aliases: { fast: 'gpt-4o-mini' },
    },
    'local-proxy': {
      kind: 'openai-compatible',
      base_url: `https://gw:${SECRETS.proxyPassword}@proxy.internal.example/v1?token=${SECRETS.proxyQuery}`,
      keys: [{ id: 'proxy', value: 'env.TEST_PROXY_KEY' }],
      headers: { 'x-api-key': SECRETS.proxyHeader },
      models: ['llama-3.3-70b'],
    },
  },
  pricing: {
    'openai/gpt-4o-mini': { input_per_mtok: 0.1, output_per_mtok: '0.4' },
    'local-proxy/llama-3.3-70b': { input_per_mtok: '0.05', output_per_mtok: '0.08', request_cost: '0.0001' },
  },
};

describe('admin providers (e2e)', () => {
  let dir: string | undefined;
  const app = useAdminApp({
    env: () => {
      dir = mkdtempSync(join(tmpdir(), 'admin-providers-'));
      const file = join(dir, 'gateway.json');
      writeFileSync(file, JSON.stringify(GATEWAY_CONFIG));
      return {
        GATEWAY_CONFIG: file,
        TEST_OPENAI_PRIMARY: SECRETS.openaiPrimary,
        TEST_PROXY_KEY: `sk-proxy-${randomUUID()}`,
        OPENROUTER_API_KEY: SECRETS.openrouter,
      };
    },
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const call = (path: string, token?: string | null): Promise<Reply> => app.get(path, token);

  it('401 without the admin token', async () => {
    expect((await call('/api/providers', null)).status).toBe(401);
  });

  describe('GET /api/providers', () => {
    it('lists every configured provider with its models and keys', async () => {
      const res = await call('/api/providers');
      expect(res.status).toBe(200);
      expect(res.body.data.map((p: { name: string }) => p.name)).toEqual(['local-proxy', 'openai', 'openrouter']);
      const [proxy, openai, openrouter] = res.body.data;
      expect(openai).toEqual({
        name: 'openai',
        kind: 'openai',
        base_url: 'https://api.openai.com/v1',
        models: ['gpt-4o-mini', 'gpt-4o'],
        aliases: { fast: 'gpt-4o-mini' },
        keys: [
          { id: 'primary', weight: 3, models: ['gpt-4o*'] },
          { id: 'backup', weight: 1, models: [] },
        ],
      });
      expect(proxy).toEqual({
        name: 'local-proxy',
        kind: 'openai-compatible',
        base_url: 'https://***@proxy.internal.example/v1?token=***',
        models: ['llama-3.3-70b'],
        aliases: {},
        keys: [{ id: 'proxy', weight: 1, models: [] }],
      });
      expect(openrouter).toMatchObject({ name: 'openrouter', kind: 'openai-compatible', keys: [{ id: 'OPENROUTER_API_KEY', weight: 1, models: [] }] });
    });

    it('never shows a secret: key values, credentials in URLs, or headers', async () => {
      const { text } = await call('/api/providers');
      for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/"(value|headers|secret|api_key)"/);
      expect(text).not.toContain('sk-proxy-');
    });

    it('400 for an unknown query parameter', async () => {
      const res = await call('/api/providers?name=openai');
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', param: 'name' });
    });
  });
});
