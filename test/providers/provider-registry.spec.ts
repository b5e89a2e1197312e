import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@app/config';
import { CATALOG_PROVIDER_IDS, PRICE_SHEET, PriceBook } from '@app/pricing';
import { DIALECTS, PROVIDERS, PROVIDER_KINDS, type ProviderDefinition } from '@app/providers';
import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import type { FakeDialect } from '../../apps/fake-upstream/src/dialect-rules';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';

// Adding a provider means its folder, one registry line, its fake and its prices: this fails
// when a registered provider lacks one of the last two.

/** Where the fake serves each kind, as its base URL from the fake's origin; a new kind needs a route here and in the fake. */
const FAKE_BASE: ReadonlyMap<string, (origin: string) => string> = new Map([
  ['openai', (o: string) => `${o}/v1`],
  ['openai-compatible', (o: string) => `${o}/v1`],
  ['chat-completions', (o: string) => `${o}/v1`],
  ['azure', (o: string) => o],
  ['gemini', (o: string) => o],
  ['cohere', (o: string) => o],
  ['anthropic', (o: string) => o],
  ['bedrock', (o: string) => o],
]);

function configured(definition: ProviderDefinition, baseUrl: string) {
  const key = definition.kind.credentials
    ? { access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey, region: 'us-east-1' }
    : { value: 'registry-test-key' };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'registry-')), 'gateway.json');
  writeFileSync(file, JSON.stringify({ providers: { [definition.name]: { base_url: baseUrl, keys: [key], timeout_ms: 10_000 } } }));
  return loadConfig({ GATEWAY_CONFIG: file }).providers[definition.name];
}

describe('provider registry', () => {
  let fake: FakeUpstream | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('names each provider once and derives every kind from a registered provider', () => {
    const names = PROVIDERS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...FAKE_BASE.keys()].sort()).toEqual([...PROVIDER_KINDS].sort());
  });

  describe.each(PROVIDERS.map((p) => [p.name, p] as const))('%s', (name, definition) => {
    it('has a fake that answers the request its adapter builds', async () => {
      const base = FAKE_BASE.get(definition.kind.kind);
      if (base === undefined) throw new Error(`no fake route for kind ${definition.kind.kind}: add it to apps/fake-upstream and FAKE_BASE`);
      fake = await createFakeUpstream({ dialect: DIALECTS.has(name) ? (name as FakeDialect) : 'openai' });
      const provider = configured(definition, base(fake.url));
      const adapter = definition.kind.adapter;
      const upstreamModel = adapter.resolveModel(provider, 'registry-model');
      const request = adapter.buildRequest({ body: { model: upstreamModel, input: 'Say hello' }, upstreamModel, stream: false, provider, key: provider.keys[0] });
      const res = await fetch(request.url, { method: request.method ?? 'POST', headers: request.headers, body: request.body });
      const text = await res.text();
      expect({ status: res.status, text: res.status === 200 ? '' : text }).toEqual({ status: 200, text: '' });
      const parsed = adapter.parseResponse(text);
      expect(parsed.response.status).toBe('completed');
      expect(parsed.usage.outputTokens).toBeGreaterThan(0);
    });

    it('has a price source (the catalog or the built-in sheet), unless it is a local server', () => {
      const listed = CATALOG_PROVIDER_IDS.has(name) || Object.hasOwn(PRICE_SHEET, name);
      expect({ name, priced: listed || definition.keyOptional === true }).toEqual({ name, priced: true });
      if (listed) expect(new PriceBook().list().some((p) => p.provider === name)).toBe(true);
    });
  });
});
