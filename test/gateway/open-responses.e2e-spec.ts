import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { COMPLIANCE_CHECKS, type ComplianceCheck, finalResponse, functionCallEventErrors, parseSse, responseErrors, semanticErrors, streamErrors } from '../support/open-responses';
import { FAST } from '../support/provider-scenarios';

/**
 * The Open Responses HTTP compliance checks (basic, streaming, system prompt, tool calling,
 * function-call round trip, image and file input, multi-turn, previous_response_id) against
 * every provider the gateway serves, each streaming and not. Responses and every stream
 * event are validated against the spec's JSON schemas.
 */
describe('Open Responses compliance, every provider', () => {
  let fake: FakeUpstream;
  let h: GatewayHarness;
  let key: string;

  beforeAll(async () => {
    fake = await createFakeUpstream();
    h = await startGatewayHarness(() => ({
      azure: { base_url: fake.url, keys: [{ value: 'az-key' }], deployments: { 'gpt-4o': 'prod-gpt4o' }, ...FAST },
      anthropic: { base_url: fake.url, keys: [{ value: 'sk-ant-test' }], ...FAST },
      gemini: { base_url: fake.url, keys: [{ value: 'gemini-key' }], ...FAST },
      bedrock: { base_url: fake.url, keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey, region: 'us-east-1' }], ...FAST },
      cohere: { base_url: fake.url, keys: [{ value: 'co-key' }], ...FAST },
      chatbridge: { kind: 'chat-completions', base_url: `${fake.url}/v1`, keys: [{ value: 'chat-key' }], ...FAST },
    }));
    key = (await h.createKey({ name: 'open-responses' })).key;
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  const post = (body: Record<string, unknown>): Promise<Response> =>
    fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** One turn: the final response and every error the suite would report. */
  async function turn(body: Record<string, unknown>, stream: boolean): Promise<{ response: Record<string, unknown>; errors: string[]; events: ReturnType<typeof parseSse> }> {
    const res = await post({ ...body, stream });
    const text = await res.text();
    if (!res.ok) return { response: {}, errors: [`HTTP ${res.status}: ${text}`], events: [] };
    if (!stream) {
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const response = JSON.parse(text) as Record<string, unknown>;
      return { response, errors: responseErrors(response), events: [] };
    }
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(text);
    const response = (finalResponse(events) ?? {}) as Record<string, unknown>;
    return { response, errors: [...streamErrors(events), ...responseErrors(response)], events };
  }

  async function run(check: ComplianceCheck, model: string, stream: boolean): Promise<string[]> {
    let result = await turn(check.request(model), stream);
    if (result.errors.length === 0 && check.second) result = await turn(check.second(model, result.response), stream);
    if (result.errors.length > 0) return result.errors;
    const errors = semanticErrors(check, result.response);
    if (stream && check.streamExpect === 'functionCallEvents') errors.push(...functionCallEventErrors(result.events));
    return errors;
  }

  /**
   * Checks a provider cannot pass because its API lacks the feature: the gateway then answers
   * the 400 that names it (Cohere's v2 chat takes no files, only text documents).
   */
  const UNSUPPORTED: Record<string, Record<string, string>> = {
    cohere: { 'file-input': 'cohere does not support input_file parts' },
  };
  const PROVIDERS: [string, string][] = [
    ['openai', 'openai/gpt-4o-mini'],
    ['azure', 'azure/gpt-4o'],
    ['anthropic', 'anthropic/claude-sonnet-4-5'],
    ['gemini', 'gemini/gemini-2.5-flash'],
    ['bedrock', 'bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['cohere', 'cohere/command-a-03-2025'],
    ['chat bridge', 'chatbridge/llama-3.3-70b'],
  ];

  describe.each(PROVIDERS)('%s', (name, model) => {
    it.each(COMPLIANCE_CHECKS.map((c) => [c.id, c] as const))('%s, not streaming and streaming', async (id, check) => {
      const refusal = UNSUPPORTED[name]?.[id];
      for (const stream of [false, true]) {
        const errors = await run(check, model, stream);
        if (refusal === undefined) expect({ stream, errors }).toEqual({ stream, errors: [] });
        else expect(errors).toEqual([expect.stringMatching(new RegExp(`^HTTP 400: .*${refusal}`))]);
      }
    });
  });

  it('a stream that fails after it started ends with error, then response.failed, both valid', async () => {
    for (const [, model] of PROVIDERS) {
      const { errors, events } = await turn({ model, input: 'hi [[stream-error]]' }, true);
      const types = events.map((e) => e.data.type);
      expect({ model, errors: streamErrors(events) }).toEqual({ model, errors: [] });
      expect({ model, last: types.at(-1) }).toEqual({ model, last: 'response.failed' });
      expect(errors.filter((e) => !e.startsWith('event'))).toEqual([]);
    }
  });

  it('a stored response read back (GET /v1/responses/{id}, and its replayed stream) is valid too', async () => {
    for (const [, model] of PROVIDERS) {
      const { response } = await turn({ model, input: 'Remember papaya.' }, false);
      const get = (query = '') => fetch(`${h.url}/v1/responses/${String(response.id)}${query}`, { headers: { authorization: `Bearer ${key}` } });
      const stored = (await (await get()).json()) as Record<string, unknown>;
      expect({ model, errors: responseErrors(stored) }).toEqual({ model, errors: [] });
      const replay = parseSse(await (await get('?stream=true')).text());
      expect({ model, errors: [...streamErrors(replay), ...responseErrors(finalResponse(replay))] }).toEqual({ model, errors: [] });
    }
  });

  it('a stream the upstream cuts off is ended by the gateway with error and response.failed', async () => {
    const { events } = await turn({ model: 'openai/gpt-4o-mini', input: 'hi [[chunks:6]] [[cut:5]]' }, true);
    expect(streamErrors(events)).toEqual([]);
    expect(events.slice(-2).map((e) => e.data.type)).toEqual(['error', 'response.failed']);
    expect(events.at(-1)!.data.response).toMatchObject({ status: 'failed', error: { code: 'upstream_error' } });
  });
});
