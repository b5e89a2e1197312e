import { type FakeUpstream, createFakeUpstream } from './fake-upstream';

/** The fake's Gemini, Cohere wire formats driven with plain fetch (Bedrock: bedrock-format.spec.ts). */
describe('fake upstream: Gemini and Cohere formats', () => {
  let fake: FakeUpstream;

  beforeAll(async () => {
    fake = await createFakeUpstream();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  // Bodies are asserted field by field; a loose type keeps those assertions readable.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Json = any;
  const json = (res: Response): Promise<Json> => res.json() as Promise<Json>;
  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    fetch(fake.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const gemini = { 'x-goog-api-key': 'AIza-test' };
  const cohere = { authorization: 'Bearer co-test' };
  const contents = (text: string) => ({ contents: [{ role: 'user', parts: [{ text }] }] });

  describe('Gemini', () => {
    it('answers generateContent with candidates, finishReason and usageMetadata (thoughts apart)', async () => {
      const res = await post('/v1beta/models/gemini-2.5-flash:generateContent', { ...contents('Hi [[usage:10,6]] [[reasoning:2]]'), generationConfig: { thinkingConfig: { includeThoughts: true } } }, gemini);
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body).toMatchObject({
        candidates: [{ content: { role: 'model', parts: [{ thought: true }, { text: 'Hello from gemini-2.5-flash! You said: Hi [[usage:10,6]] [[reasoning:2]]' }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4, thoughtsTokenCount: 2, totalTokenCount: 16 },
        modelVersion: 'gemini-2.5-flash',
      });
    });

    it('streams SSE data lines, CRLF separated, the last with finishReason; requires alt=sse', async () => {
      const res = await post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', contents('one two [[chunks:3]]'), gemini);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const frames = (await res.text()).split('\r\n\r\n').filter((f) => f !== '').map((f) => JSON.parse(f.replace(/^data: /, '')));
      expect(frames).toHaveLength(3);
      expect(frames.map((f) => f.candidates[0].finishReason)).toEqual([undefined, undefined, 'STOP']);
      expect(frames.map((f) => f.candidates[0].content.parts[0].text).join('')).toBe('Hello from gemini-2.5-flash! You said: one two [[chunks:3]]');
      expect((await post('/v1beta/models/m:streamGenerateContent', contents('x'), gemini)).status).toBe(400);
    });

    it('calls a declared function, and reads functionResponse outputs', async () => {
      const tools = [{ functionDeclarations: [{ name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] }];
      const call = await json(await post('/v1beta/models/m:generateContent', { ...contents('weather?'), tools }, gemini));
      expect(call.candidates[0].content.parts).toEqual([{ functionCall: { name: 'weather', args: { city: 'test' } } }]);
      const answer = await json(await post('/v1beta/models/m:generateContent', {
        contents: [
          { role: 'user', parts: [{ text: 'weather?' }] },
          { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'test' } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { output: 'sunny' } } }] },
        ],
        tools,
      }, gemini));
      expect(answer.candidates[0].content.parts[0].text).toBe('Tool said: sunny');
    });

    it('sends Google error bodies for auth and injected failures', async () => {
      const missing = await post('/v1beta/models/m:generateContent', contents('x'), {});
      expect(missing.status).toBe(403);
      expect((await json(missing)).error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
      const bad = await post('/v1beta/models/m:generateContent', contents('x'), { 'x-goog-api-key': 'bad-key' });
      expect(await json(bad)).toEqual({ error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } });
      const limited = await post('/v1beta/models/m:generateContent', contents('x [[fail:429]]'), gemini);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect((await json(limited)).error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
      const streamErr = await (await post('/v1beta/models/m:streamGenerateContent?alt=sse', contents('x y [[stream-error]]'), gemini)).text();
      expect(streamErr).toContain('"status":"INTERNAL"');
    });
  });

  describe('Cohere', () => {
    const chat = (text: string, extra: Record<string, unknown> = {}) => ({ model: 'command-a', messages: [{ role: 'user', content: text }], ...extra });

    it('answers v2 chat JSON with billed units', async () => {
      const body = await json(await post('/v2/chat', chat('Hi [[usage:5,2]]'), cohere));
      expect(body).toMatchObject({
        finish_reason: 'COMPLETE',
        message: { role: 'assistant', content: [{ type: 'text', text: 'Hello from command-a! You said: Hi [[usage:5,2]]' }] },
        usage: { billed_units: { input_tokens: 5, output_tokens: 2 } },
      });
    });

    it('streams named SSE events ending in message-end', async () => {
      const text = await (await post('/v2/chat', chat('Hi [[chunks:2]]', { stream: true }), cohere)).text();
      const types = [...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1]);
      expect(types).toEqual(['message-start', 'content-start', 'content-delta', 'content-delta', 'content-end', 'message-end']);
    });

    it('streams tool calls and sends {id, message} errors', async () => {
      const tools = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
      const text = await (await post('/v2/chat', chat('weather?', { stream: true, tools }), cohere)).text();
      expect(text).toContain('event: tool-call-start');
      expect(text).toContain('"finish_reason":"TOOL_CALL"');
      const unauth = await post('/v2/chat', chat('x'), { authorization: 'Bearer bad-key' });
      expect(unauth.status).toBe(401);
      expect(await json(unauth)).toMatchObject({ message: 'invalid api token' });
      const failed = await post('/v2/chat', chat('x [[fail:503]]'), cohere);
      expect(failed.status).toBe(503);
      expect(Object.keys(await json(failed)).sort()).toEqual(['id', 'message']);
    });
  });
});
