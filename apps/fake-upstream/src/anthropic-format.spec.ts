import { SseParser, adapterFor } from '@app/providers';
import { type FakeUpstream, createFakeUpstream } from './fake-upstream';

/**
 * The fake's Anthropic Messages format, driven with plain fetch (wire shape, checks that
 * Anthropic itself makes) and through the gateway's Anthropic adapter (the two must agree).
 */
describe('fake upstream: Anthropic Messages format', () => {
  let fake: FakeUpstream;

  beforeAll(async () => {
    fake = await createFakeUpstream();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  const headers = { 'content-type': 'application/json', 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' };
  const post = (body: unknown, h: Record<string, string> = headers) => fetch(`${fake.url}/v1/messages`, { method: 'POST', headers: h, body: JSON.stringify(body) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Json = any;
  const base = { model: 'claude-sonnet-4-5', max_tokens: 100 };

  it('answers a message in JSON with Anthropic usage (cache reads outside input_tokens)', async () => {
    const res = await post({ ...base, system: 'Be brief.', messages: [{ role: 'user', content: 'hi [[usage:50,6]] [[cached:20]]' }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({
      type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', stop_reason: 'end_turn', stop_sequence: null,
      content: [{ type: 'text', text: 'Hello from claude-sonnet-4-5! You said: hi [[usage:50,6]] [[cached:20]]' }],
      usage: { input_tokens: 30, cache_read_input_tokens: 20, cache_creation_input_tokens: 0, output_tokens: 6 },
    });
    expect(body.id).toMatch(/^msg_/);
  });

  it('streams with an event: line per frame, in Anthropic order', async () => {
    const res = await post({ ...base, stream: true, messages: [{ role: 'user', content: 'hi [[chunks:2]]' }] });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const frames = text.split('\n\n').filter((f) => f !== '');
    const names = frames.map((f) => /^event: (.*)$/m.exec(f)?.[1]);
    expect(names).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    for (const f of frames) expect(JSON.parse(/^data: (.*)$/m.exec(f)![1]).type).toBe(/^event: (.*)$/m.exec(f)![1]);
  });

  it('calls the first tool with input_json_delta, and answers a tool_result', async () => {
    const tools = [{ name: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
    const call = (await (await post({ ...base, tools, messages: [{ role: 'user', content: 'weather?' }] })).json()) as Json;
    expect(call).toMatchObject({ stop_reason: 'tool_use', content: [{ type: 'tool_use', name: 'weather', input: { city: 'test' } }] });
    const id = call.content[0].id as string;
    const answer = (await (await post({
      ...base, tools,
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: [{ type: 'tool_use', id, name: 'weather', input: { city: 'test' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'sunny' }] },
      ],
    })).json()) as Json;
    expect(answer.content).toEqual([{ type: 'text', text: 'Tool said: sunny' }]);
  });

  it('rejects what Anthropic rejects, with its error body', async () => {
    const cases: [unknown, string][] = [
      [{ model: 'c', messages: [{ role: 'user', content: 'x' }] }, 'max_tokens: Field required'],
      [{ ...base, messages: [{ role: 'system', content: 'x' }] }, 'Unexpected role "system"'],
      [{ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }, 'text content blocks must be non-empty'],
      [{ ...base, messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] }, { role: 'user', content: 'y' }] }, 'without `tool_result` blocks'],
      [{ ...base, thinking: { type: 'enabled', budget_tokens: 2000 }, messages: [{ role: 'user', content: 'x' }] }, 'max_tokens` must be greater'],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status).toBe(400);
      const err = (await res.json()) as Json;
      expect(err.type).toBe('error');
      expect(err.error.type).toBe('invalid_request_error');
      expect(err.error.message).toContain(message);
    }
    const noKey = await post({ ...base, messages: [{ role: 'user', content: 'x' }] }, { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as Json).error.type).toBe('authentication_error');
  });

  it('[[fail:529]] answers overloaded_error; [[stream-error]] sends an error event mid-stream', async () => {
    const res = await post({ ...base, messages: [{ role: 'user', content: 'x [[fail:529]]' }] });
    expect(res.status).toBe(529);
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    fake.failNext(1, 529);
    expect((await post({ ...base, messages: [{ role: 'user', content: 'x' }] })).status).toBe(529);
    const text = await (await post({ ...base, stream: true, messages: [{ role: 'user', content: 'x [[stream-error]]' }] })).text();
    expect(text.trimEnd().endsWith('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')).toBe(true);
  });

  it('agrees with the gateway adapter: request built by it, stream translated by it (thinking included)', async () => {
    const adapter = adapterFor('anthropic');
    const provider = {
      name: 'anthropic', kind: 'anthropic' as const, baseUrl: fake.url, keys: [], timeoutMs: 1, streamIdleTimeoutMs: 1, maxRetries: 0,
      retryBackoffMs: 0, retryBackoffMaxMs: 0, models: [], aliases: {}, headers: {}, deployments: {},
    };
    const req = adapter.buildRequest({
      body: { model: 'anthropic/claude-x', input: 'hello [[chunks:3]]', reasoning: { effort: 'low' } },
      upstreamModel: 'claude-x', stream: true, provider, key: { id: 'k', value: 'sk', weight: 1, models: [] },
    });
    const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
    expect(res.status).toBe(200);
    const parser = new SseParser();
    const t = adapter.createStreamTranslator();
    const events = parser.push(Buffer.from(await res.arrayBuffer())).flatMap((ev) => t.push(ev));
    expect(t.terminal).toBe('completed');
    const final = JSON.parse(events.at(-1)!.data) as Json;
    expect(final.response.output.map((o: Json) => o.type)).toEqual(['reasoning', 'message']);
    expect(final.response.output[1].content[0].text).toBe('Hello from claude-x! You said: hello [[chunks:3]]');
  });
});
