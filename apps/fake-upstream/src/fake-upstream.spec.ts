import OpenAI, { APIError, AzureOpenAI, AuthenticationError } from 'openai';
import { useFakeUpstream } from './testing/use-fake-upstream';
import { fakeProse } from './prose';

/**
 * Drives the fake upstream with plain fetch and with the official `openai` SDK. The SDK's
 * streaming helpers reject any out-of-order or malformed event, so passing them is the
 * proof that the wire format is right.
 */
describe('fake upstream', () => {
  const up = useFakeUpstream();
  beforeEach(() => up.fake.reset());

  const auth = { authorization: 'Bearer test-key' };

  function post(path: string, body: unknown, headers: Record<string, string> = auth, signal?: AbortSignal) {
    return fetch(up.fake.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });
  }

  interface SseEvent {
    event?: string;
    data: string;
  }

  function parseSse(text: string): SseEvent[] {
    return text
      .split('\n\n')
      .filter((frame) => frame.trim() !== '')
      .map((frame) => {
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1] ?? '';
        return { event, data };
      });
  }

  // Bodies are asserted field by field; a loose type keeps those assertions readable.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Json = any;

  function bodyOf(res: Response): Promise<Json> {
    return res.json() as Promise<Json>;
  }

  async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  const weatherTool = {
    type: 'function' as const,
    name: 'get_weather',
    description: 'Weather for a city',
    strict: true,
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        days: { type: 'integer' },
        metric: { type: 'boolean' },
        note: { type: ['string', 'null'] },
        extra: { type: 'string' },
      },
      required: ['city', 'days', 'metric'],
      additionalProperties: false,
    },
  };

  describe('POST /v1/responses (fetch)', () => {
    it('returns a complete Response object with deterministic text and usage', async () => {
      const res = await post('/v1/responses', {
        model: 'gpt-4o',
        instructions: 'Be brief.',
        input: [
          { role: 'system', content: 'You are a test.' },
          { role: 'user', content: [{ type: 'input_text', text: 'What is the weather like in Paris today?' }] },
        ],
        metadata: { k: 'v' },
        temperature: 0.2,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = await bodyOf(res);
      expect(body).toMatchObject({
        object: 'response',
        status: 'completed',
        error: null,
        incomplete_details: null,
        instructions: 'Be brief.',
        model: 'gpt-4o',
        metadata: { k: 'v' },
        temperature: 0.2,
        top_p: 1,
        tool_choice: 'auto',
        tools: [],
        parallel_tool_calls: true,
        store: true,
      });
      expect(body.id).toMatch(/^resp_[0-9a-f]+$/);
      expect(typeof body.created_at).toBe('number');
      const text = 'Hello from gpt-4o! You said: What is the weather like in Paris today?';
      expect(body.output).toEqual([
        {
          id: expect.stringMatching(/^msg_[0-9a-f]+$/),
          type: 'message',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
        },
      ]);
      // 2 (instructions) + 4 (system) + 8 (user) + 10 = 24 in; 13 words out.
      expect(body.usage).toEqual({
        input_tokens: 24,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 13,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 37,
      });
    });

    it('echoes only the first 40 characters of the last user text', async () => {
      const body = await bodyOf(await post('/v1/responses', { model: 'm', input: `${'x'.repeat(30)} ${'y'.repeat(30)}` }));
      expect(body.output[0].content[0].text).toBe(`Hello from m! You said: ${'x'.repeat(30)} ${'y'.repeat(9)}`);
    });

    it('streams OpenAI’s exact event order with sequence numbers, no [DONE], even with Accept: application/json', async () => {
      const res = await post(
        '/v1/responses',
        { model: 'gpt-4o', input: 'one two', stream: true },
        { ...auth, accept: 'application/json' },
      );
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const frames = parseSse(await res.text());
      expect(frames.some((f) => f.data === '[DONE]')).toBe(false);
      const events = frames.map((f) => {
        const data = JSON.parse(f.data);
        expect(f.event).toBe(data.type);
        return data;
      });
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      const words = ['Hello', ' from', ' gpt-4o!', ' You', ' said:', ' one', ' two'];
      expect(events.map((e) => e.type)).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        ...words.map(() => 'response.output_text.delta'),
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      expect(events[0].response).toMatchObject({ status: 'in_progress', output: [], usage: null });
      const itemId = events[2].item.id;
      expect(events[2].item).toMatchObject({ type: 'message', status: 'in_progress', content: [], role: 'assistant' });
      expect(events[3].part).toEqual({ type: 'output_text', text: '', annotations: [], logprobs: [] });
      const deltas = events.filter((e) => e.type === 'response.output_text.delta');
      expect(deltas.map((e) => e.delta)).toEqual(words);
      for (const e of deltas) expect(e).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0, logprobs: [] });
      const last = events[events.length - 1].response;
      expect(last.id).toBe(events[0].response.id);
      expect(last.output[0].content[0].text).toBe(words.join(''));
      expect(last.usage).toMatchObject({ input_tokens: 12, output_tokens: 7, total_tokens: 19 });
    });

    it('streams a function call with argument deltas', async () => {
      const res = await post('/v1/responses', { model: 'm', input: 'weather?', tools: [weatherTool], stream: true });
      const events = parseSse(await res.text()).map((f) => JSON.parse(f.data));
      const types = events.map((e) => e.type);
      expect(types.slice(0, 3)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added']);
      expect(types.slice(-4)).toEqual([
        'response.function_call_arguments.delta',
        'response.function_call_arguments.done',
        'response.output_item.done',
        'response.completed',
      ]);
      expect(events[2].item).toMatchObject({ type: 'function_call', arguments: '', name: 'get_weather', status: 'in_progress' });
      const args = '{"city":"test","days":1,"metric":true}';
      const deltas = events.filter((e) => e.type === 'response.function_call_arguments.delta');
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.map((e) => e.delta).join('')).toBe(args);
      expect(events.at(-3)).toMatchObject({ arguments: args, name: 'get_weather', item_id: events[2].item.id });
      expect(events.at(-1).response.usage.output_tokens).toBe(5);
    });
  });

  describe('Responses API through the official SDK', () => {
    it('responses.create returns output_text', async () => {
      const response = await up.client.responses.create({ model: 'gpt-4o-mini', input: 'ping' });
      expect(response.output_text).toBe('Hello from gpt-4o-mini! You said: ping');
      expect(response.usage?.total_tokens).toBe(11 + 6);
    });

    it('responses.create with stream: true yields every event', async () => {
      const stream = await up.client.responses.create({ model: 'gpt-4o', input: 'ping', stream: true });
      const types: string[] = [];
      let text = '';
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.output_text.delta') text += event.delta;
      }
      expect(types[0]).toBe('response.created');
      expect(types.at(-1)).toBe('response.completed');
      expect(text).toBe('Hello from gpt-4o! You said: ping');
    });

    it('responses.stream().finalResponse() accepts text, chunked text and incomplete streams', async () => {
      const final = await up.client.responses.stream({ model: 'gpt-4o', input: 'hello [[chunks:3]]' }).finalResponse();
      expect(final.output_text).toBe('Hello from gpt-4o! You said: hello [[chunks:3]]');

      const incomplete = await up.client.responses.stream({ model: 'gpt-4o', input: 'x [[incomplete]]' }).finalResponse();
      expect(incomplete.status).toBe('incomplete');
      expect(incomplete.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    });

    it('answers a function call, then uses the tool output', async () => {
      const first = await up.client.responses.stream({ model: 'gpt-4o', input: 'weather?', tools: [weatherTool] }).finalResponse();
      const call = first.output[0];
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
      if (call.type !== 'function_call') throw new Error('expected a function call');
      expect(call.id).toMatch(/^fc_/);
      expect(call.call_id).toMatch(/^call_/);
      expect(JSON.parse(call.arguments)).toEqual({ city: 'test', days: 1, metric: true });
      expect(first.usage?.output_tokens).toBe(5);

      const second = await up.client.responses.create({
        model: 'gpt-4o',
        tools: [weatherTool],
        input: [
          { role: 'user', content: 'weather?' },
          { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
          { type: 'function_call_output', call_id: call.call_id, output: 'sunny and warm' },
        ],
      });
      expect(second.output_text).toBe('Tool said: sunny and warm');
      // weather? (1) + sunny and warm (3) + 10
      expect(second.usage?.input_tokens).toBe(14);
    });

    it('[[no-tool]] and tool_choice "none" answer with text', async () => {
      const a = await up.client.responses.create({ model: 'm', input: 'hi [[no-tool]]', tools: [weatherTool] });
      const b = await up.client.responses.create({ model: 'm', input: 'hi', tools: [weatherTool], tool_choice: 'none' });
      expect(a.output[0].type).toBe('message');
      expect(b.output[0].type).toBe('message');
    });

    it('builds JSON from text.format json_schema, and {"ok":true} for [[json]]', async () => {
      const structured = await up.client.responses
        .stream({
          model: 'm',
          input: 'give me json',
          text: {
            format: {
              type: 'json_schema',
              name: 'answer',
              strict: true,
              schema: {
                type: 'object',
                properties: { name: { type: 'string' }, size: { type: 'number' }, tags: { type: 'array', items: { type: 'string' } } },
                required: ['name', 'size', 'tags'],
                additionalProperties: false,
              },
            },
          },
        })
        .finalResponse();
      expect(JSON.parse(structured.output_text)).toEqual({ name: 'test', size: 1, tags: [] });
      const plain = await up.client.responses.create({ model: 'm', input: '[[json]]' });
      expect(plain.output_text).toBe('{"ok":true}');
    });

    it('applies usage directives', async () => {
      const exact = await up.client.responses.create({ model: 'm', input: 'a [[usage:100,50]] [[cached:40]] [[reasoning:20]]' });
      expect(exact.usage).toEqual({
        input_tokens: 100,
        input_tokens_details: { cached_tokens: 40 },
        output_tokens: 50,
        output_tokens_details: { reasoning_tokens: 20 },
        total_tokens: 150,
      });
      const counted = await up.client.responses.create({ model: 'm', input: '[[reasoning:7]] [[reply:just three words]]' });
      expect(counted.output_text).toBe('just three words');
      // Directives are words of the input too: 4 + 10 in; 3 words + 7 reasoning out.
      expect(counted.usage).toMatchObject({ input_tokens: 14, output_tokens: 10, output_tokens_details: { reasoning_tokens: 7 } });
    });

    it('[[prose:N]] answers N words of prose, the same for the same user text in every format and stream; a bad N is a 400', async () => {
      const input = 'write it up [[prose:300]]';
      const json = await up.client.responses.create({ model: 'm', input });
      expect(json.output_text).toBe(fakeProse(300, input));
      // 4 words + 10 in; 300 out.
      expect(json.usage).toMatchObject({ input_tokens: 14, output_tokens: 300 });
      const streamed = await up.client.responses.stream({ model: 'm', input }).finalResponse();
      expect(streamed.output_text).toBe(json.output_text);
      const chat = await up.client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: input }] });
      expect(chat.choices[0].message.content).toBe(json.output_text);
      expect(chat.usage).toMatchObject({ completion_tokens: 300 });
      const messages = await post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: input }] }, { 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' });
      expect((await bodyOf(messages)).content[0].text).toBe(json.output_text);
      const other = await up.client.responses.create({ model: 'm', input: 'write another [[prose:300]]' });
      expect(other.output_text).not.toBe(json.output_text);
      for (const bad of ['[[prose]]', '[[prose:-1]]', '[[prose:many]]', '[[prose:100001]]']) {
        const res = await post('/v1/responses', { model: 'm', input: bad });
        expect(res.status).toBe(400);
        expect((await bodyOf(res)).error.message).toContain('[[prose');
      }
    });

    it('surfaces [[stream-error]] as an APIError after the first delta', async () => {
      const stream = await up.client.responses.create({ model: 'm', input: 'boom [[stream-error]]', stream: true });
      const seen: string[] = [];
      await expect(
        (async () => {
          for await (const event of stream) seen.push(event.type);
        })(),
      ).rejects.toBeInstanceOf(APIError);
      expect(seen.at(-1)).toBe('response.output_text.delta');
    });
  });

  describe('POST /v1/chat/completions', () => {
    it('returns a chat.completion through the SDK', async () => {
      const completion = await up.client.chat.completions.create({
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: 'be nice' },
          { role: 'user', content: 'hello there' },
        ],
      });
      expect(completion.id).toMatch(/^chatcmpl-/);
      expect(completion.object).toBe('chat.completion');
      expect(completion.choices[0]).toMatchObject({
        index: 0,
        finish_reason: 'stop',
        message: { role: 'assistant', content: 'Hello from gpt-4o! You said: hello there', refusal: null },
      });
      expect(completion.usage).toMatchObject({
        prompt_tokens: 14,
        completion_tokens: 7,
        total_tokens: 21,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      });
    });

    it('streams chunks, a usage chunk and [DONE]', async () => {
      const res = await post('/v1/chat/completions', {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const frames = parseSse(await res.text());
      expect(frames.at(-1)?.data).toBe('[DONE]');
      const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.data));
      expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '', refusal: null });
      expect(chunks.at(-2).choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 6 } });
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      expect(text).toBe('Hello from gpt-4o! You said: hi');

      const sdkStream = await up.client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      let sdkText = '';
      for await (const chunk of sdkStream) sdkText += chunk.choices[0]?.delta.content ?? '';
      expect(sdkText).toBe(text);
    });

    it('calls tools (non-stream and through the stream helper) and reads tool results', async () => {
      const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: weatherTool.parameters } }];
      const messages = [{ role: 'user' as const, content: 'weather?' }];
      const plain = await up.client.chat.completions.create({ model: 'm', messages, tools });
      expect(plain.choices[0].finish_reason).toBe('tool_calls');
      const call = plain.choices[0].message.tool_calls?.[0];
      expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"test","days":1,"metric":true}' } });

      const streamed = await up.client.chat.completions.stream({ model: 'm', messages, tools }).finalChatCompletion();
      expect(streamed.choices[0].message.tool_calls?.[0]).toMatchObject({
        function: { name: 'get_weather', arguments: '{"city":"test","days":1,"metric":true}' },
      });

      const answered = await up.client.chat.completions.create({
        model: 'm',
        tools,
        messages: [
          ...messages,
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: 'rainy' },
        ],
      });
      expect(answered.choices[0].message.content).toBe('Tool said: rainy');
    });

    it('maps [[incomplete]] to finish_reason length and [[stream-error]] to an APIError', async () => {
      const cut = await up.client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: '[[incomplete]]' }] });
      expect(cut.choices[0].finish_reason).toBe('length');
      const stream = await up.client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: '[[stream-error]]' }],
        stream: true,
      });
      await expect(
        (async () => {
          for await (const _chunk of stream) {
            // drain
          }
        })(),
      ).rejects.toBeInstanceOf(APIError);
    });
  });

  describe('POST /v1/chat/completions is as strict as OpenAI', () => {
    const call = { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{}' } };
    it.each([
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }], input: 'x' }, null, 'Unrecognized request argument supplied: input'],
      [{ model: 'm', messages: [] }, 'messages', "Invalid 'messages': empty array."],
      [{ model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 'messages.[0].role', "Invalid value: 'robot'."],
      [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'input_text', text: 'x' }] }] }, 'messages.[0].content[0].type', "Invalid value: 'input_text'."],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'call_1', content: 'r' }] }, 'messages.[1].role', "must be a response to a preceeding message with 'tool_calls'"],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [call] }, { role: 'user', content: 'y' }] }, 'messages.[1].role', 'did not have response messages: call_1'],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null }] }, 'messages.[1].content', "Invalid value for 'content'"],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'bad name' } }] }, 'tools[0].function.name', 'does not match pattern'],
    ])('refuses %j (param %s)', async (body, param, message) => {
      const res = await post('/v1/chat/completions', body);
      expect(res.status).toBe(400);
      const { error } = await bodyOf(res);
      expect(error.param).toBe(param);
      expect(error.message).toContain(message);
    });

    it('takes a complete tool exchange', async () => {
      const messages = [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'call_1', content: 'sunny' }];
      expect((await post('/v1/chat/completions', { model: 'm', messages })).status).toBe(200);
    });
  });

  describe('Azure OpenAI paths', () => {
    const azureKey = { 'api-key': 'azure-key' };

    it('serves the v1 and dated Responses paths with an api-key header', async () => {
      const v1 = await post('/openai/v1/responses', { model: 'my-dep', input: 'hi' }, azureKey);
      expect((await bodyOf(v1)).output[0].content[0].text).toBe('Hello from my-dep! You said: hi');
      const dated = await post('/openai/responses?api-version=2025-04-01-preview', { model: 'my-dep', input: 'hi' }, azureKey);
      expect(dated.status).toBe(200);
      const missing = await post('/openai/responses', { model: 'my-dep', input: 'hi' }, azureKey);
      expect(missing.status).toBe(404);
      expect((await bodyOf(missing)).error.type).toBe('invalid_request_error');
    });

    it('serves deployment chat completions to the AzureOpenAI client, model = deployment', async () => {
      const azure = new AzureOpenAI({
        apiKey: 'azure-key',
        endpoint: up.fake.url,
        apiVersion: '2024-10-21',
        deployment: 'gpt4o-prod',
        maxRetries: 0,
      });
      const completion = await azure.chat.completions.create({ model: '', messages: [{ role: 'user', content: 'yo' }] });
      expect(completion.model).toBe('gpt4o-prod');
      expect(up.fake.requests[0].path).toBe('/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21');
      expect(up.fake.requests[0].headers['api-key']).toBe('azure-key');
    });
  });

  describe('models, auth and protocol errors', () => {
    it('lists models', async () => {
      const page = await up.client.models.list();
      expect(page.data.length).toBeGreaterThan(0);
      expect(page.data[0]).toMatchObject({ object: 'model', owned_by: expect.any(String) });
    });

    it('rejects missing and bad credentials with OpenAI’s 401 body', async () => {
      const missing = await post('/v1/responses', { model: 'm', input: 'x' }, {});
      expect(missing.status).toBe(401);
      expect(await bodyOf(missing)).toEqual({
        error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
      });
      const empty = await post('/v1/responses', { model: 'm', input: 'x' }, { authorization: 'Bearer ' });
      expect(empty.status).toBe(401);
      const bad = new OpenAI({ apiKey: 'bad-key', baseURL: `${up.fake.url}/v1`, maxRetries: 0 });
      await expect(bad.responses.create({ model: 'm', input: 'x' })).rejects.toBeInstanceOf(AuthenticationError);
    });

    it('answers 404 for unknown paths, 400 for malformed JSON and unknown directives', async () => {
      const unknown = await post('/v1/nope', {});
      expect(unknown.status).toBe(404);
      expect((await bodyOf(unknown)).error).toMatchObject({ type: 'invalid_request_error', message: 'Invalid URL (POST /v1/nope)' });
      const malformed = await post('/v1/responses', '{"model":');
      expect(malformed.status).toBe(400);
      expect((await bodyOf(malformed)).error.type).toBe('invalid_request_error');
      const typo = await post('/v1/responses', { model: 'm', input: '[[fial:500]]' });
      expect(typo.status).toBe(400);
      expect((await bodyOf(typo)).error.message).toContain('[[fial]]');
    });
  });

  describe('failure injection', () => {
    it('[[fail:STATUS]] sends OpenAI error shapes; 429 carries retry-after', async () => {
      const limited = await post('/v1/responses', { model: 'm', input: '[[fail:429]]' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect((await bodyOf(limited)).error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded', param: null });

      const custom = await post('/v1/responses', { model: 'm', input: '[[fail:429]] [[retry-after:7]]' });
      expect(custom.headers.get('retry-after')).toBe('7');

      const down = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: '[[fail:503]]' }] });
      expect(down.status).toBe(503);
      expect((await bodyOf(down)).error.type).toBe('server_error');

      const bad = await post('/v1/responses', { model: 'm', input: '[[fail:400]]' });
      expect((await bodyOf(bad)).error.type).toBe('invalid_request_error');
    });

    it('[[fail-once:STATUS]] fails only the first time a text is seen', async () => {
      const body = { model: 'm', input: 'retry me [[fail-once:502]]' };
      expect((await post('/v1/responses', body)).status).toBe(502);
      expect((await post('/v1/responses', body)).status).toBe(200);
      expect((await post('/v1/responses', { ...body, input: 'other text [[fail-once:502]]' })).status).toBe(502);
    });

    it('[[fail-model:MODEL:STATUS]] fails that model every time, retries included, and no other', async () => {
      const input = 'down for one model [[fail-model:gpt-4o-mini:503]] [[fail-model:anthropic.claude-v2:1:529]]';
      for (let i = 0; i < 3; i++) expect((await post('/v1/responses', { model: 'gpt-4o-mini', input })).status).toBe(503);
      expect((await post('/v1/chat/completions', { model: 'anthropic.claude-v2:1', messages: [{ role: 'user', content: input }] })).status).toBe(529);
      expect((await post('/v1/responses', { model: 'gpt-4o', input })).status).toBe(200);
      expect((await post('/v1/responses', { model: 'm', input: '[[fail-model:503]]' })).status).toBe(400);
    });

    it('failNext(n) fails the next n model calls on any endpoint, with optional body and headers', async () => {
      up.fake.failNext(2, 500, { headers: { 'retry-after-ms': '1' } });
      const retrying = new OpenAI({ apiKey: 'x', baseURL: `${up.fake.url}/v1`, maxRetries: 2 });
      const response = await retrying.responses.create({ model: 'm', input: 'hi' });
      expect(response.output_text).toBe('Hello from m! You said: hi');
      expect(up.fake.stats.byPath['/v1/responses']).toBe(3);

      up.fake.failNext(1, 418, { body: { error: { message: 'teapot', type: 'x', param: null, code: null } } });
      const hi = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
      const res = await post('/v1/chat/completions', hi);
      expect(res.status).toBe(418);
      expect((await bodyOf(res)).error.message).toBe('teapot');
      expect((await post('/v1/chat/completions', hi)).status).toBe(200);
    });

    it('[[delay:MS]] waits before the headers', async () => {
      const started = Date.now();
      const res = await post('/v1/responses', { model: 'm', input: '[[delay:120]]' });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    });

    it('[[hang]] never answers and counts an abort when the client gives up', async () => {
      const controller = new AbortController();
      const aborted = post('/v1/responses', { model: 'm', input: '[[hang]]' }, auth, controller.signal);
      // Given up once the fake has it (a fixed timer may fire before a loaded machine sends it).
      await waitFor(() => up.fake.stats.requests === 1);
      controller.abort();
      await expect(aborted).rejects.toThrow();
      await waitFor(() => up.fake.stats.aborted === 1);
      expect(up.fake.stats.completed).toBe(0);
    });

    it('[[chunk-delay:MS]] paces frames; a client abort mid-stream is counted', async () => {
      const controller = new AbortController();
      // Timed from the request: frames that arrived while a busy test process looked away are already buffered.
      const started = Date.now();
      const res = await post('/v1/responses', { model: 'm', input: '[[chunk-delay:30]]', stream: true }, auth, controller.signal);
      const reader = res.body!.getReader();
      await reader.read();
      await reader.read();
      expect(Date.now() - started).toBeGreaterThanOrEqual(28);
      controller.abort();
      await waitFor(() => up.fake.stats.aborted === 1);
      expect(up.fake.stats.completed).toBe(0);
    });

    it('[[cut:N]] sends N frames then drops the connection without a terminal event', async () => {
      const res = await post('/v1/responses', { model: 'm', input: '[[cut:3]]', stream: true });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let received = '';
      await expect(
        (async () => {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            received += decoder.decode(value);
          }
        })(),
      ).rejects.toThrow();
      expect(parseSse(received).map((f) => f.event)).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
      ]);

      const headersOnly = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: '[[cut:0]]' }], stream: true });
      expect(headersOnly.status).toBe(200);
      await expect(headersOnly.text()).rejects.toThrow();

      const json = await post('/v1/responses', { model: 'm', input: '[[cut:0]]' });
      expect(json.status).toBe(200);
      await expect(json.json()).rejects.toThrow();
      await waitFor(() => up.fake.stats.cut === 3);
      expect(up.fake.stats.aborted).toBe(0);
    });

    it('the SDK stream helper rejects a cut stream', async () => {
      await expect(up.client.responses.stream({ model: 'm', input: '[[cut:5]]' }).finalResponse()).rejects.toThrow();
    });
  });

  describe('bookkeeping', () => {
    it('records requests and counts per path; reset() clears everything', async () => {
      await post('/v1/responses?trace=1', { model: 'm', input: 'hi' });
      await fetch(`${up.fake.url}/v1/models`, { headers: auth });
      expect(up.fake.stats).toMatchObject({ requests: 2, completed: 2, aborted: 0, byPath: { '/v1/responses': 1, '/v1/models': 1 } });
      expect(up.fake.requests[0]).toMatchObject({
        method: 'POST',
        path: '/v1/responses?trace=1',
        body: { model: 'm', input: 'hi' },
        headers: { authorization: 'Bearer test-key' },
      });
      expect(up.fake.requests[1].body).toBeUndefined();
      up.fake.failNext(5, 500);
      up.fake.reset();
      expect(up.fake.stats).toEqual({ requests: 0, completed: 0, aborted: 0, cut: 0, byPath: {} });
      expect(up.fake.requests).toEqual([]);
      expect((await post('/v1/responses', { model: 'm', input: 'hi' })).status).toBe(200);
    });

    it('keeps only the last 200 requests', async () => {
      await Promise.all(Array.from({ length: 210 }, (_, i) => post('/v1/responses', { model: 'm', input: `n${i}` })));
      expect(up.fake.requests).toHaveLength(200);
      expect(up.fake.stats.requests).toBe(210);
    });
  });
});
