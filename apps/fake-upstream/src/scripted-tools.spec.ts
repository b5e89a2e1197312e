import type { UpstreamKey } from '@app/common';
import type { ProviderKind } from '@app/providers';
import { adapterFor } from '../../../libs/providers/src/provider-registry';
import { signV4 } from '../../../libs/providers/src/bedrock/sigv4';
import { SseParser } from '../../../libs/providers/src/sse/sse-parser';
import { testProvider } from '../../../libs/providers/src/testing/adapter-fixtures';
import type { ResponsesRequest } from '../../../libs/providers/src/types';
import { FAKE_AWS_CREDENTIALS } from './bedrock-format';
import { GEMINI_THOUGHT_SIGNATURE } from './gemini-format';
import { type FakeUpstream, createFakeUpstream } from './fake-upstream';

/**
 * "Call a tool, then answer", scripted with [[tool:NAME]] and [[tool-args:JSON]], in every wire
 * format the fake speaks, driven by the gateway's own adapters over HTTP (streams through their
 * translators). And the fakes' reasoning checks: what a provider signed must come back as it was.
 */
describe('fake upstream: scripted tool calls and reasoning round trips, every format', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await createFakeUpstream();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  type Json = Record<string, unknown>;
  const KINDS: [ProviderKind, string][] = [
    ['openai', 'gpt-4o-mini'], ['azure', 'gpt-4o'], ['chat-completions', 'mistral-small'], ['anthropic', 'claude-sonnet-4-5'],
    ['gemini', 'gemini-3-flash-preview'], ['bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0'], ['cohere', 'command-a'],
  ];
  const key: UpstreamKey = { id: 'k', value: 'fake-key', weight: 1, models: [], aws: { ...FAKE_AWS_CREDENTIALS, region: 'us-west-2' } };

  /** One call through `kind`'s adapter: the Response it makes of the fake's answer, and the status. */
  async function call(kind: ProviderKind, model: string, body: Omit<ResponsesRequest, 'model'>, stream: boolean): Promise<{ status: number; response: Json; text: string }> {
    const baseUrl = kind === 'openai' || kind === 'chat-completions' ? `${fake.url}/v1` : fake.url;
    const adapter = adapterFor(kind);
    const requestBody = { model: `${kind}/${model}`, ...body };
    const req = adapter.buildRequest({ body: requestBody, upstreamModel: model, stream, provider: testProvider({ name: kind, kind, baseUrl, apiVersion: '2025-04-01-preview' }), key });
    const headers = { ...req.headers };
    delete headers.host;
    const res = await fetch(req.url, { method: 'POST', headers, body: req.body });
    const ctx = { requestBody, upstreamModel: model };
    if (res.status !== 200) return { status: res.status, response: {}, text: await res.text() };
    if (!stream) return { status: 200, response: adapter.parseResponse(await res.text(), ctx).response, text: '' };
    const decoder = adapter.createStreamDecoder?.() ?? new SseParser();
    const t = adapter.createStreamTranslator(ctx);
    let last: Json = {};
    for await (const chunk of res.body!) {
      for (const ev of decoder.push(Buffer.from(chunk))) for (const out of t.push(ev)) last = JSON.parse(out.data) as Json;
    }
    return { status: 200, response: last.response as Json, text: '' };
  }

  const tools = [
    { type: 'function', name: 'first', parameters: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } },
    { type: 'function', name: 'second', parameters: { type: 'object', properties: { n: { type: 'number' } } } },
  ];
  const prompt = 'Go. [[tool:second]] [[tool-args:{"n":42,"why":"scripted"}]]';

  it.each(KINDS.flatMap(([kind, model]) => [[kind, model, false], [kind, model, true]] as const))('%s (%s, stream %s): calls the named tool with the given arguments, then answers with its output', async (kind, model, stream) => {
    const first = await call(kind, model, { input: prompt, tools }, stream);
    expect(first.status).toBe(200);
    const output = first.response.output as Json[];
    const fc = output.find((o) => o.type === 'function_call')!;
    expect(fc).toMatchObject({ name: 'second' });
    expect(JSON.parse(fc.arguments as string)).toEqual({ n: 42, why: 'scripted' });
    const second = await call(kind, model, { input: [{ role: 'user', content: prompt }, ...output, { type: 'function_call_output', call_id: fc.call_id, output: '42 is done' }], tools }, stream);
    expect(second.status).toBe(200);
    expect((second.response.output as Json[]).at(-1)).toMatchObject({ type: 'message', content: [expect.objectContaining({ text: 'Tool said: 42 is done' })] });
  });

  it('refuses a script naming a tool the request does not offer', async () => {
    const res = await call('anthropic', 'claude-sonnet-4-5', { input: 'Go. [[tool:missing]]', tools }, false);
    expect(res.status).toBe(400);
    expect(res.text).toContain('[[tool:missing]] names no offered tool (offered: first, second)');
    expect((await call('cohere', 'command-a', { input: 'Go. [[tool-args:[1]]]', tools }, false)).status).toBe(400);
  });

  describe.each([['anthropic', 'claude-sonnet-4-5'], ['bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0']] as const)('%s thinking', (kind, model) => {
    const reasoning = { effort: 'low' };
    it('goes back signed through a tool loop; a tampered or missing thinking block is refused as the provider would', async () => {
      const first = await call(kind, model, { input: prompt, tools, reasoning }, true);
      const output = first.response.output as Json[];
      expect(output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
      const result = { type: 'function_call_output', call_id: output[1].call_id, output: 'ok' };
      const ok = await call(kind, model, { input: [{ role: 'user', content: prompt }, ...output, result], tools, reasoning }, false);
      expect(ok.status).toBe(200);
      expect(fake.requests.at(-1)!.body).toMatchObject(kind === 'anthropic' ? { thinking: { type: 'enabled' } } : { additionalModelRequestFields: { thinking: { type: 'enabled' } } });

      // The fake checks the wire itself: send it thinking it did not sign, and a tool loop without thinking.
      const wire = fake.requests.at(-1)!.body as Json;
      const messages = JSON.parse(JSON.stringify(wire.messages)) as { content: Json[] }[];
      const tampered = JSON.parse(JSON.stringify(wire)) as { messages: { content: Json[] }[] };
      if (kind === 'anthropic') (tampered.messages[1].content[0] as Json).thinking = 'Something else.';
      else ((tampered.messages[1].content[0].reasoningContent as Json).reasoningText as Json).text = 'Something else.';
      const stripped = { ...wire, messages: messages.map((m, i) => (i === 1 ? { ...m, content: m.content.slice(1) } : m)) };
      for (const body of [tampered, stripped]) {
        const res = await postRaw(kind, model, JSON.stringify(body));
        expect(res.status).toBe(400);
        expect(await res.text()).toMatch(kind === 'anthropic' ? /Invalid `signature`|must start with a thinking block/ : /signature is invalid|must start with a thinking block/);
      }
    });
  });

  /** A hand-made body to the fake (signed, for Bedrock, as the adapter signs its own). */
  function postRaw(kind: 'anthropic' | 'bedrock', model: string, body: string): Promise<Response> {
    if (kind === 'anthropic') {
      return fetch(`${fake.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body });
    }
    const url = `${fake.url}/model/${encodeURIComponent(model)}/converse`;
    const headers = signV4({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body, service: 'bedrock', credentials: FAKE_AWS_CREDENTIALS, region: 'us-west-2', now: new Date() });
    delete headers.host;
    return fetch(url, { method: 'POST', headers, body });
  }

  it('gemini 3: the thought signature is required on the current turn\'s call, and must be the one given', async () => {
    const first = await call('gemini', 'gemini-3-flash-preview', { input: prompt, tools }, false);
    const output = first.response.output as Json[];
    expect(output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
    const wire = (input: Json[]) => ({
      contents: [{ role: 'user', parts: [{ text: 'x' }] }, { role: 'model', parts: input }, { role: 'user', parts: [{ functionResponse: { name: 'second', response: { output: 'ok' } } }] }],
    });
    const post = (body: unknown) => fetch(`${fake.url}/v1beta/models/gemini-3-flash-preview:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': 'k', 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(wire([{ functionCall: { name: 'second', args: {} } }]))).status).toBe(400);
    expect((await post(wire([{ functionCall: { name: 'second', args: {} }, thoughtSignature: 'forged' }]))).status).toBe(400);
    expect((await post(wire([{ functionCall: { name: 'second', args: {} }, thoughtSignature: 'skip_thought_signature_validator' }]))).status).toBe(200);
    // Through the adapter the signature it was given goes back on its call.
    const result = { type: 'function_call_output', call_id: output[1].call_id, output: 'ok' };
    expect((await call('gemini', 'gemini-3-flash-preview', { input: [{ role: 'user', content: prompt }, ...output, result], tools }, false)).status).toBe(200);
    const contents = (fake.requests.at(-1)!.body as { contents: { parts: Json[] }[] }).contents;
    expect(contents[1].parts[0].thoughtSignature).toBe(GEMINI_THOUGHT_SIGNATURE);
  });
});
