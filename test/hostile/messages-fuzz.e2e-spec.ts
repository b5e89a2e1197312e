import { Agent, request } from 'undici';
import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { seededRandom } from '../support/seeded-random';
import { testEnv } from '../support/test-env.config';
import { Fuzzer } from './fuzz-bodies';

/**
 * A seeded fuzz run against POST /v1/messages and /v1/messages/count_tokens: Anthropic-shaped
 * bodies with every block type, wrong shapes and hostile strings. Whatever comes in, no answer
 * is a 5xx, every 4xx is Anthropic's error shape, and the gateway serves normally afterwards.
 */

const SEED = (testEnv.fuzzSeed ?? 20_261_201) + 17;
const BODIES = 1_500;
const CONCURRENCY = 8;
const MODELS = ['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-5', 'claude-haiku-4-5', 'gemini/gemini-2.5-flash', 'bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0'];

/** Messages bodies from the shared fuzzer's values. */
class MessagesFuzzer {
  constructor(private readonly f: Fuzzer) {}

  source(): unknown {
    return this.f.pick([
      { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
      { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
      { type: 'url', url: this.f.pick(['https://example.com/a.png', this.f.text()]) },
      { type: 'text', media_type: 'text/plain', data: this.f.value(0) },
      { type: 'file', file_id: 'file_1' },
      this.f.value(1),
    ]);
  }

  block(): unknown {
    const f = this.f;
    switch (f.int(12)) {
      case 0:
      case 1:
        return { type: 'text', text: f.chance(0.85) ? f.text() : f.value(1), cache_control: f.chance(0.2) ? { type: 'ephemeral' } : undefined };
      case 2:
        return { type: f.pick(['image', 'document']), source: this.source(), title: f.value(0) };
      case 3:
        return { type: 'tool_use', id: f.pick(['toolu_1', f.text()]), name: f.value(0), input: f.value(2) };
      case 4:
        return { type: 'tool_result', tool_use_id: f.pick(['toolu_1', f.text()]), content: f.chance(0.5) ? f.text() : [this.block()], is_error: f.value(0) };
      case 5:
        return { type: 'thinking', thinking: f.value(0), signature: f.pick(['gwr1.anthropic.e30', 'gwo1.bm9wZQ', 'EqQB', f.text()]) };
      case 6:
        return { type: 'redacted_thinking', data: f.value(0) };
      case 7:
        return { type: f.pick(['server_tool_use', 'web_search_tool_result', 'search_result', 'container_upload']), id: f.text() };
      case 8:
        return { type: f.text() };
      default:
        return f.value(2);
    }
  }

  message(): unknown {
    const f = this.f;
    if (f.chance(0.1)) return f.value(2);
    const role = f.pick(['user', 'user', 'assistant', 'system', 'tool', f.text()]);
    return { role, content: f.chance(0.3) ? f.text() : Array.from({ length: f.int(4) }, () => this.block()) };
  }

  tool(): unknown {
    const f = this.f;
    switch (f.int(5)) {
      case 0:
        return { name: 'get_weather', description: 'w', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };
      case 1:
        return { type: f.pick(['web_search_20250305', 'bash_20250124', 'custom', f.text()]), name: f.value(0), input_schema: f.value(2) };
      default:
        return f.value(2);
    }
  }

  body(): string | Buffer {
    const f = this.f;
    if (f.chance(0.04)) return f.body();
    const body: Record<string, unknown> = {};
    if (f.chance(0.97)) body.model = f.chance(0.85) ? f.pick(MODELS) : f.model();
    if (f.chance(0.9)) body.max_tokens = f.chance(0.8) ? f.pick([1, 100, 4096]) : f.value(0);
    if (f.chance(0.95)) body.messages = f.chance(0.9) ? Array.from({ length: f.int(5) }, () => this.message()) : f.value(2);
    if (f.chance(0.3)) body.system = f.chance(0.5) ? f.text() : [{ type: 'text', text: f.text() }, f.value(1)];
    if (f.chance(0.2)) body.tools = Array.from({ length: f.int(3) }, () => this.tool());
    if (f.chance(0.15)) body.tool_choice = f.pick([{ type: 'auto' }, { type: 'any' }, { type: 'tool', name: f.value(0) }, { type: 'none' }, f.value(1)]);
    if (f.chance(0.15)) body.thinking = f.pick([{ type: 'enabled', budget_tokens: f.pick([1024, 2048, 512, f.value(0)]) }, { type: 'adaptive' }, { type: 'disabled' }, f.value(1)]);
    for (const field of ['temperature', 'top_p', 'top_k', 'stop_sequences', 'metadata', 'fallbacks', 'stream', 'mcp_servers']) {
      if (f.chance(0.08)) body[field] = field === 'metadata' ? { user_id: f.value(0) } : f.value(1);
    }
    if (!('stream' in body) && f.chance(0.2)) body.stream = true;
    return JSON.stringify(body);
  }
}

/** What is wrong with an answer, or null: a 5xx, or a 4xx that is not Anthropic's error shape. */
function problemOf(status: number, contentType: string | null, text: string): string | null {
  if (status >= 500) return `status ${status}`;
  if (status < 400) return null;
  if (!contentType?.includes('application/json')) return `a ${status} with content-type ${contentType}`;
  try {
    const body = JSON.parse(text) as { type?: unknown; error?: { type?: unknown; message?: unknown } };
    if (body.type !== 'error' || typeof body.error?.type !== 'string' || typeof body.error.message !== 'string') return `a ${status} without Anthropic's error shape`;
  } catch {
    return `a ${status} that is not JSON`;
  }
  return null;
}

describe(`Messages fuzz (seed ${SEED})`, () => {
  let h: GatewayHarness;
  let key: string;
  const dispatcher = new Agent({ connections: CONCURRENCY });

  beforeAll(async () => {
    h = await startGatewayHarness(({ upstream }) => ({
      anthropic: { base_url: upstream, keys: [{ value: 'sk-ant-fuzz' }], max_retries: 0 },
      gemini: { base_url: upstream, keys: [{ value: 'gemini-fuzz' }], max_retries: 0 },
      bedrock: { base_url: upstream, keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey }], max_retries: 0 },
    }));
    key = (await h.createKey({ name: 'messages-fuzz', budget_max_usd: 1_000, budget_period: 'total' })).key;
  });
  afterAll(async () => {
    await dispatcher.close();
    await h?.close();
  });

  it(`${BODIES} bodies to /v1/messages and count_tokens: no 5xx, Anthropic's error shape on every 4xx, a healthy gateway after`, async () => {
    const fuzz = new MessagesFuzzer(new Fuzzer(seededRandom(SEED), MODELS));
    const cases = Array.from({ length: BODIES }, (_, i) => ({ body: fuzz.body(), path: i % 5 === 0 ? '/v1/messages/count_tokens' : '/v1/messages' }));
    const statuses = new Map<number, number>();
    const broken: { index: number; problem: string; body: string }[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < BODIES) {
        const index = next++;
        const c = cases[index];
        const res = await request(`${h.url}${c.path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: c.body, dispatcher });
        const text = await res.body.text();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        const ct = res.headers['content-type'];
        const problem = problemOf(res.statusCode, Array.isArray(ct) ? ct.join(', ') : (ct ?? null), text);
        if (problem !== null) broken.push({ index, problem: `${c.path}: ${problem}: ${text.slice(0, 300)}`, body: String(c.body).slice(0, 300) });
      }
    }));
    expect({ seed: SEED, broken: broken.slice(0, 5) }).toEqual({ seed: SEED, broken: [] });
    // The run reached the providers, not only the validation.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(BODIES / 20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(BODIES / 10);
    const ok = await fetch(`${h.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key }, body: '{"model":"openai/gpt-4o-mini","max_tokens":10,"messages":[{"role":"user","content":"still fine?"}]}' });
    expect(ok.status).toBe(200);
  }, 120_000);
});
