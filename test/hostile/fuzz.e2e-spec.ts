import { Agent, request } from 'undici';
import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { seededRandom } from '../support/seeded-random';
import { testEnv } from '../support/test-env.config';
import { Fuzzer } from './fuzz-bodies';

/**
 * A seeded fuzz run against the gateway and the admin app: thousands of bodies varying
 * structure, unicode, sizes, types and depth. Whatever comes in, no answer is a 5xx, every 4xx
 * is a JSON error in the contract's shape, and the apps serve normally afterwards.
 * FUZZ_SEED picks another seed; a failure names the seed and the body's index.
 */

const SEED = testEnv.fuzzSeed ?? 20_261_201;
const GATEWAY_BODIES = 5_000;
const ADMIN_BODIES = 500;
/** Per other front door (Chat Completions, Embeddings). */
const OTHER_DOOR_BODIES = 1_000;
const CONCURRENCY = 16;

const MODELS = [
  'openai/gpt-4o-mini', 'backup/m', 'anthropic/claude-sonnet-4-5', 'gemini/gemini-2.5-flash', 'cohere/command-a',
  'bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0', 'mistral/mistral-small-latest',
];

interface Outcome {
  index: number;
  status: number;
  problem: string;
  body: string;
}

/** Runs `count` cases `CONCURRENCY` at a time; returns the ones that broke the contract. */
async function run(count: number, one: (index: number) => Promise<Outcome | null>): Promise<Outcome[]> {
  const broken: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const outcome = await one(next++);
        if (outcome !== null) broken.push(outcome);
      }
    }),
  );
  return broken;
}

/** What is wrong with an answer, or null: a 5xx, or a 4xx that is not a JSON error in the contract's shape. */
function problemOf(status: number, contentType: string | null, text: string): string | null {
  if (status >= 500) return `status ${status}`;
  if (status < 400) return null;
  if (!contentType?.includes('application/json')) return `a ${status} with content-type ${contentType}`;
  try {
    const e = (JSON.parse(text) as { error?: Record<string, unknown> }).error;
    if (typeof e?.message !== 'string' || typeof e.type !== 'string' || typeof e.code !== 'string' || !('param' in e)) return `a ${status} without the error shape`;
  } catch {
    return `a ${status} that is not JSON`;
  }
  return null;
}

function header(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? value.join(', ') : (value ?? null);
}

// undici's request, not fetch: a fraction of the client's CPU per call, which is most of the run's.
const dispatcher = new Agent({ connections: CONCURRENCY });

function show(body: string | Buffer): string {
  const text = typeof body === 'string' ? body : `<bytes ${body.toString('hex').slice(0, 80)}>`;
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
}

describe(`fuzz (seed ${SEED})`, () => {
  let h: GatewayHarness;
  let keys: string[];

  beforeAll(async () => {
    h = await startGatewayHarness({
      admin: true,
      pricing: { 'backup/m': { input_per_mtok: 1, output_per_mtok: 2 } },
      providers: ({ upstream }) => ({
        anthropic: { base_url: upstream, keys: [{ value: 'sk-ant-fuzz' }], max_retries: 0 },
        gemini: { base_url: upstream, keys: [{ value: 'gemini-fuzz' }], max_retries: 0 },
        cohere: { base_url: upstream, keys: [{ value: 'co-fuzz' }], max_retries: 0 },
        mistral: { base_url: `${upstream}/v1`, keys: [{ value: 'sk-mistral-fuzz' }], max_retries: 0 },
        bedrock: { base_url: upstream, keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey }], max_retries: 0 },
      }),
    });
    // One key without limits, one whose every request goes through reservation and settlement.
    keys = [
      (await h.createKey({ name: 'fuzz' })).key,
      (await h.createKey({ name: 'fuzz-governed', budget_max_usd: 1_000, budget_period: 'total', rate_limit_tpm: 2_000_000_000, max_concurrent_requests: 1_000 })).key,
    ];
  });
  afterAll(async () => {
    await dispatcher.close();
    await h?.close();
  });

  it(`${GATEWAY_BODIES} bodies to POST /v1/responses: no 5xx, a JSON error on every 4xx, and a healthy gateway after`, async () => {
    const fuzz = new Fuzzer(seededRandom(SEED), MODELS);
    const cases = Array.from({ length: GATEWAY_BODIES }, () => ({ body: fuzz.body(), key: fuzz.pick(keys), clientId: fuzz.chance(0.05) ? fuzz.text() : null }));
    const statuses = new Map<number, number>();
    const broken = await run(GATEWAY_BODIES, async (index) => {
      const c = cases[index];
      const headers: Record<string, string> = { authorization: `Bearer ${c.key}`, 'content-type': 'application/json' };
      // Header values a client can actually send (fetch refuses control characters itself).
      if (c.clientId !== null && /^[\t\x20-\x7e]*$/.test(c.clientId)) headers['x-request-id'] = c.clientId;
      const res = await request(`${h.url}/v1/responses`, { method: 'POST', headers, body: c.body, dispatcher }).catch((err: Error) => {
        throw new Error(`seed ${SEED}, body ${index}: ${err.message} for ${show(c.body)}`);
      });
      const text = await res.body.text();
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const problem = problemOf(res.statusCode, header(res.headers['content-type']), text);
      return problem === null ? null : { index, status: res.statusCode, problem: `${problem}: ${text.slice(0, 300)}`, body: show(c.body) };
    });
    expect({ seed: SEED, broken: broken.slice(0, 5) }).toEqual({ seed: SEED, broken: [] });
    // The run reached the providers, not only the validation.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(GATEWAY_BODIES / 10);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(GATEWAY_BODIES / 10);

    expect((await fetch(`${h.url}/health`)).status).toBe(200);
    const ok = await fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${keys[0]}` }, body: '{"model":"openai/gpt-4o-mini","input":"still fine?"}' });
    expect(ok.status).toBe(200);
    expect((await fetch(`${h.url}/metrics`)).status).toBe(200);
  }, 120_000);

  const EMBEDDING_MODELS = [
    'openai/text-embedding-3-small', 'gemini/gemini-embedding-001', 'cohere/embed-v4.0', 'bedrock/amazon.titan-embed-text-v2:0',
    'bedrock/cohere.embed-english-v3', 'mistral/mistral-embed', 'anthropic/claude-sonnet-4-5',
  ];

  it.each([
    ['/v1/chat/completions', (f: Fuzzer) => f.chatBody()],
    ['/v1/embeddings', (f: Fuzzer) => f.embeddingsBody(EMBEDDING_MODELS)],
  ])(`${OTHER_DOOR_BODIES} bodies to POST %s: no 5xx, a JSON error on every 4xx`, async (path, body) => {
    const fuzz = new Fuzzer(seededRandom(SEED + path.length), MODELS);
    const cases = Array.from({ length: OTHER_DOOR_BODIES }, () => ({ body: body(fuzz), key: fuzz.pick(keys) }));
    const statuses = new Map<number, number>();
    const broken = await run(OTHER_DOOR_BODIES, async (index) => {
      const c = cases[index];
      const res = await request(`${h.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${c.key}`, 'content-type': 'application/json' }, body: c.body, dispatcher });
      const text = await res.body.text();
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const problem = problemOf(res.statusCode, header(res.headers['content-type']), text);
      return problem === null ? null : { index, status: res.statusCode, problem: `${problem}: ${text.slice(0, 300)}`, body: show(c.body) };
    });
    expect({ seed: SEED, broken: broken.slice(0, 5) }).toEqual({ seed: SEED, broken: [] });
    // The run reached the providers, not only the validation.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(OTHER_DOOR_BODIES / 20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(OTHER_DOOR_BODIES / 10);
  }, 120_000);

  it(`${ADMIN_BODIES} bodies and queries to the admin API: no 5xx, a JSON error on every 4xx`, async () => {
    const fuzz = new Fuzzer(seededRandom(SEED + 1), MODELS);
    const broken = await run(ADMIN_BODIES, async (index) => {
      const route = fuzz.pick(['POST /api/virtual-keys', 'POST /api/fallback-policies', 'GET /api/logs', 'GET /api/usage', 'PATCH /api/virtual-keys']);
      const [method, path] = route.split(' ');
      let url = `${h.adminUrl}${path}`;
      let body: string | Buffer | undefined;
      if (method === 'GET') {
        const params = new URLSearchParams();
        for (const name of ['model', 'provider', 'status', 'from', 'to', 'limit', 'cursor', 'virtual_key_id', 'client_request_id', 'group_by', fuzz.text()]) {
          if (fuzz.chance(0.3)) params.set(name, String(fuzz.value(0)));
        }
        url += `?${params.toString()}`;
      } else {
        if (method === 'PATCH') url += `/${fuzz.pick(['00000000-0000-4000-8000-000000000000', 'nope', '%00'])}`;
        body = fuzz.chance(0.9) ? JSON.stringify(fuzz.chance(0.5) ? fuzz.value(3) : { name: fuzz.value(0), model: fuzz.model(), fallbacks: fuzz.value(1), metadata: fuzz.value(3), rate_limit: fuzz.value(2), budget: fuzz.value(2) }) : fuzz.body();
      }
      const res = await request(url, { method: method as 'GET' | 'POST' | 'PATCH', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' }, body, dispatcher }).catch(
        (err: Error) => {
          throw new Error(`seed ${SEED + 1}, case ${index}: ${err.message} for ${route} ${show(body ?? url)}`);
        },
      );
      const text = await res.body.text();
      const problem = problemOf(res.statusCode, header(res.headers['content-type']), text);
      return problem === null ? null : { index, status: res.statusCode, problem: `${route}: ${problem}: ${text.slice(0, 300)}`, body: body === undefined ? url : show(body) };
    });
    expect({ seed: SEED + 1, broken: broken.slice(0, 5) }).toEqual({ seed: SEED + 1, broken: [] });
    expect((await h.admin('GET', '/api/virtual-keys')).status).toBe(200);
  }, 90_000);
});
