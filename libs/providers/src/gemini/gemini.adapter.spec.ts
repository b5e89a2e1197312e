import type { ProviderConfig } from '@app/common';
import { GatewayError } from '@app/common';
import type { ResponsesStreamEvent } from '../types';
import { GeminiAdapter } from './gemini.adapter';
import { testProvider, translateSse } from '../testing/adapter-fixtures';
import { uncarryReasoning } from '../responses/reasoning-carrier';
import { carryThoughtSignature } from './gemini-request';

const provider = (over: Partial<ProviderConfig> = {}): ProviderConfig => testProvider({ name: 'gemini', kind: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com', ...over });
const key = { id: 'k', value: 'AIza-test', weight: 1, models: [] };
const adapter = new GeminiAdapter();

function build(body: Record<string, unknown>, stream = false, model = 'gemini-2.5-flash') {
  return adapter.buildRequest({ body: { model: `gemini/${model}`, ...body }, upstreamModel: model, stream, provider: provider(), key });
}

const weather = {
  type: 'function', name: 'weather', description: 'Weather in a city', strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: ['string', 'null'], enum: ['c', 'f'] } }, required: ['city'], additionalProperties: false },
};

describe('GeminiAdapter request mapping', () => {
  it('calls generateContent / streamGenerateContent?alt=sse with x-goog-api-key', () => {
    const req = build({ input: 'hi' });
    expect(req.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent');
    expect(req.headers).toMatchObject({ 'x-goog-api-key': 'AIza-test', 'content-type': 'application/json' });
    expect(req.headers.authorization).toBeUndefined();
    expect(JSON.parse(req.body)).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    expect(build({ input: 'hi' }, true).url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(adapter.resolveModel(provider({ aliases: { fast: 'models/gemini-2.0-flash' } }), 'fast')).toBe('gemini-2.0-flash');
  });

  it('maps roles, system instruction, images, function calls and named function responses', () => {
    const body = JSON.parse(build({
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Use metric.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Weather?' }, { type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/AA==' }, { type: 'input_image', image_url: 'https://x.test/cat.png' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
        { type: 'function_call_output', call_id: 'call_2', output: '{"temp":21}' },
      ],
      tools: [weather],
      tool_choice: 'required',
      max_output_tokens: 256,
      temperature: 0.5,
      top_p: 0.8,
      reasoning: { effort: 'low', summary: 'auto' },
    }).body);
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }, { text: 'Use metric.' }] });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather?' }, { inlineData: { mimeType: 'image/jpeg', data: '/9j/AA==' } }, { fileData: { mimeType: 'image/png', fileUri: 'https://x.test/cat.png' } }] },
      { role: 'model', parts: [{ text: 'Checking.' }, { functionCall: { name: 'weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { output: 'sunny' } } }, { functionResponse: { name: 'call_2', response: { temp: 21 } } }] },
    ]);
    expect(body.tools).toEqual([{
      functionDeclarations: [{
        name: 'weather', description: 'Weather in a city',
        parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', nullable: true, enum: ['c', 'f'] } }, required: ['city'] },
      }],
    }]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(body.generationConfig).toEqual({ maxOutputTokens: 256, temperature: 0.5, topP: 0.8, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
  });

  it('maps tool_choice variants, JSON schema output and Gemini 3 thinking levels', () => {
    const named = JSON.parse(build({ input: 'x', tools: [weather], tool_choice: { type: 'function', name: 'weather' } }).body);
    expect(named.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } });
    expect(JSON.parse(build({ input: 'x', tools: [weather], tool_choice: 'none' }).body).toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    const json = JSON.parse(build({ input: 'x', text: { format: { type: 'json_schema', name: 'a', strict: true, schema: { type: 'object', properties: { n: { const: 'x' } }, required: ['n'], additionalProperties: false } } } }).body);
    expect(json.generationConfig).toEqual({ responseMimeType: 'application/json', responseSchema: { type: 'object', properties: { n: { enum: ['x'], type: 'string' } }, required: ['n'] } });
    expect(JSON.parse(build({ input: 'x', text: { format: { type: 'json_object' } } }).body).generationConfig).toEqual({ responseMimeType: 'application/json' });
    expect(JSON.parse(build({ input: 'x', reasoning: { effort: 'high' } }, false, 'gemini-3-pro-preview').body).generationConfig).toEqual({ thinkingConfig: { thinkingLevel: 'high' } });
    const replay = JSON.parse(build({
      input: [{ role: 'user', content: 'x' }, { type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{}' }, { type: 'function_call', call_id: 'c2', name: 'weather', arguments: '{}' }, { type: 'function_call_output', call_id: 'c1', output: 'a' }, { type: 'function_call_output', call_id: 'c2', output: 'b' }],
      tools: [weather],
    }, false, 'gemini-3-flash-preview').body);
    expect(replay.contents[1].parts).toEqual([
      { functionCall: { name: 'weather', args: {} }, thoughtSignature: 'skip_thought_signature_validator' },
      { functionCall: { name: 'weather', args: {} } },
    ]);
    const noParams = JSON.parse(build({ input: 'x', tools: [{ type: 'function', name: 'now', parameters: { type: 'object', properties: {} } }] }).body);
    expect(noParams.tools[0].functionDeclarations[0]).toEqual({ name: 'now' });
  });

  it('sends thought signatures back on the calls they came with; a history without them gets the documented placeholder', () => {
    const replay = JSON.parse(build({
      input: [
        { role: 'user', content: 'x' },
        { type: 'reasoning', summary: [], encrypted_content: carryThoughtSignature('CiQB-sig', 'c1') },
        { type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'a' },
        { type: 'reasoning', summary: [], encrypted_content: 'gAAAA-openai' },
        { type: 'function_call', call_id: 'c2', name: 'weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c2', output: 'b' },
      ],
      tools: [weather],
    }, false, 'gemini-3-flash-preview').body);
    expect(replay.contents.map((c: { role: string }) => c.role)).toEqual(['user', 'model', 'user', 'model', 'user']);
    expect(replay.contents[1].parts).toEqual([{ functionCall: { name: 'weather', args: {} }, thoughtSignature: 'CiQB-sig' }]);
    expect(replay.contents[3].parts).toEqual([{ functionCall: { name: 'weather', args: {} }, thoughtSignature: 'skip_thought_signature_validator' }]);
  });

  it('grounds with Google Search when web search is offered alone; beside functions it is dropped and reported', () => {
    const alone = build({ input: 'news?', tools: [{ type: 'web_search_preview' }] });
    expect(JSON.parse(alone.body).tools).toEqual([{ googleSearch: {} }]);
    expect(alone.droppedTools).toEqual([]);
    const beside = build({ input: 'x', tools: [weather, { type: 'web_search' }, { type: 'file_search', vector_store_ids: ['vs'] }] });
    expect(JSON.parse(beside.body).tools).toEqual([{ functionDeclarations: [expect.objectContaining({ name: 'weather' })] }]);
    expect(beside.droppedTools).toEqual(['web_search', 'file_search']);
  });

  it.each([
    [{ input: 'x', tools: [{ type: 'file_search', vector_store_ids: ['vs'] }], tool_choice: 'required' }, "gemini does not support forcing the hosted tool 'file_search' with tool_choice (it has no equivalent there) through /v1/responses.", 'tool_choice'],
    [{ input: 'x', tools: [{ type: 'code_interpreter' }], tool_choice: { type: 'code_interpreter' } }, "gemini does not support forcing the hosted tool 'code_interpreter' with tool_choice (it has no equivalent there) through /v1/responses.", 'tool_choice'],
    [{ input: 'x', background: true }, "gemini does not support 'background' mode through /v1/responses.", 'background'],
    [{ input: 'x', previous_response_id: 'resp_1' }, "gemini does not support 'previous_response_id' (stored responses); send the earlier items in 'input' through /v1/responses.", 'previous_response_id'],
  ])('refuses what Gemini cannot honour with a 400: %j', (body, message, param) => {
    expect(() => build(body)).toThrow(GatewayError);
    try {
      build(body);
    } catch (e) {
      expect(e).toMatchObject({ status: 400, code: 'invalid_request', message, param });
    }
  });
});

// Recorded shape of generateContent answers (ai.google.dev API reference).
const TEXT_RESPONSE = {
  candidates: [{
    content: { parts: [{ text: '**Thinking** about it', thought: true }, { text: 'Hello there.' }], role: 'model' },
    finishReason: 'STOP', index: 0,
  }],
  usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 3, totalTokenCount: 55, cachedContentTokenCount: 4, thoughtsTokenCount: 40, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 12 }] },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'abc',
};

describe('GeminiAdapter responses and errors', () => {
  it('parses text, thoughts (as reasoning) and usage: output = candidates + thoughts', () => {
    const { response, usage } = adapter.parseResponse(JSON.stringify(TEXT_RESPONSE), { upstreamModel: 'gemini-2.5-flash' });
    expect(usage).toEqual({ inputTokens: 12, cachedTokens: 4, outputTokens: 43, reasoningTokens: 40, totalTokens: 55 });
    expect(response).toMatchObject({
      object: 'response', status: 'completed', model: 'gemini-2.5-flash', error: null, incomplete_details: null,
      usage: { input_tokens: 12, input_tokens_details: { cached_tokens: 4 }, output_tokens: 43, output_tokens_details: { reasoning_tokens: 40 }, total_tokens: 55 },
    });
    const output = response.output as Record<string, unknown>[];
    expect(output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: '**Thinking** about it' }] });
    expect(output[1]).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello there.', annotations: [] }] });
  });

  it('parses function calls with generated call ids', () => {
    const { response } = adapter.parseResponse(JSON.stringify({
      candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }, { functionCall: { id: 'g1', name: 'weather', args: {} } }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 5, totalTokenCount: 10 },
    }));
    const output = response.output as Record<string, unknown>[];
    expect(output[0]).toMatchObject({ type: 'function_call', name: 'weather', arguments: '{"city":"Paris"}', status: 'completed' });
    expect(output[0].call_id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(output[1]).toMatchObject({ call_id: 'g1', arguments: '{}' });
  });

  it('carries a function call\'s thought signature in the reasoning before it, and shows thoughts only as asked', () => {
    const { response } = adapter.parseResponse(JSON.stringify({
      candidates: [{
        content: { role: 'model', parts: [{ text: 'Plan', thought: true }, { functionCall: { name: 'weather', args: {} }, thoughtSignature: 'CiQB' }, { functionCall: { name: 'weather', args: {} } }] },
        finishReason: 'STOP',
      }],
      usageMetadata: {},
    }));
    const output = response.output as Record<string, unknown>[];
    expect(output.map((o) => o.type)).toEqual(['reasoning', 'function_call', 'function_call']);
    expect(output[0].summary).toEqual([{ type: 'summary_text', text: 'Plan' }]);
    expect(uncarryReasoning(output[0].encrypted_content as string, 'gemini')).toEqual({ s: 'CiQB', c: output[1].call_id });
    // Sent back, the signature lands on its call again.
    const next = JSON.parse(build({ input: [{ role: 'user', content: 'x' }, ...output, { type: 'function_call_output', call_id: output[1].call_id, output: 'a' }, { type: 'function_call_output', call_id: output[2].call_id, output: 'b' }], tools: [weather] }).body);
    expect(next.contents[1].parts[0].thoughtSignature).toBe('CiQB');
    expect(next.contents[1].parts[1].thoughtSignature).toBeUndefined();
  });

  it('turns grounding metadata into url_citations (byte offsets to characters) and a web_search_call', () => {
    const { response } = adapter.parseResponse(JSON.stringify({
      candidates: [{
        content: { role: 'model', parts: [{ text: 'Émile won. Paris hosted.' }] },
        finishReason: 'STOP',
        groundingMetadata: {
          webSearchQueries: ['who won'],
          groundingChunks: [{ web: { uri: 'https://vertexaisearch.test/1', title: 'a.test' } }, { web: { uri: 'https://vertexaisearch.test/2', title: 'b.test' } }],
          groundingSupports: [{ segment: { startIndex: 0, endIndex: 11, text: 'Émile won.' }, groundingChunkIndices: [0, 1] }],
        },
      }],
      usageMetadata: {},
    }));
    const output = response.output as Record<string, unknown>[];
    expect(output[0]).toMatchObject({
      type: 'message',
      content: [{ text: 'Émile won. Paris hosted.', annotations: [
        { type: 'url_citation', url: 'https://vertexaisearch.test/1', title: 'a.test', start_index: 0, end_index: 10 },
        { type: 'url_citation', url: 'https://vertexaisearch.test/2', title: 'b.test', start_index: 0, end_index: 10 },
      ] }],
    });
    expect(output[1]).toEqual({
      id: expect.stringMatching(/^ws_/), type: 'web_search_call', status: 'completed',
      action: { type: 'search', query: 'who won', queries: ['who won'], sources: [{ type: 'url', url: 'https://vertexaisearch.test/1' }, { type: 'url', url: 'https://vertexaisearch.test/2' }] },
    });
  });

  it.each([
    ['MAX_TOKENS', { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }],
    ['SAFETY', { status: 'incomplete', incomplete_details: { reason: 'content_filter' } }],
    ['RECITATION', { status: 'incomplete', incomplete_details: { reason: 'content_filter' } }],
    ['MALFORMED_FUNCTION_CALL', { status: 'failed', error: { code: 'malformed_function_call', message: 'Gemini stopped with finish reason MALFORMED_FUNCTION_CALL' } }],
  ])('maps finishReason %s', (finishReason, expected) => {
    const { response } = adapter.parseResponse(JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'x' }] }, finishReason }], usageMetadata: {} }));
    expect(response).toMatchObject(expected);
  });

  it('maps a blocked prompt to a failed response naming the reason', () => {
    const { response, usage } = adapter.parseResponse(JSON.stringify({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 } }));
    expect(response).toMatchObject({ status: 'failed', output: [], error: { code: 'content_filter', message: 'Gemini blocked the prompt (SAFETY)' } });
    expect(usage.inputTokens).toBe(7);
  });

  it('parses Google error bodies', () => {
    expect(adapter.parseError(429, '{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}')).toEqual({
      message: 'Resource has been exhausted (e.g. check quota).', type: 'RESOURCE_EXHAUSTED', code: 'RESOURCE_EXHAUSTED', param: null,
    });
    expect(adapter.parseError(503, '[{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}]').message).toBe('The model is overloaded.');
    expect(adapter.parseError(500, '').message).toBe('HTTP 500');
  });
});

// Recorded shape of a streamGenerateContent?alt=sse answer: CRLF frames, usage on every chunk.
const STREAM = [
  'data: {"candidates": [{"content": {"parts": [{"text": "Thinking…","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9},"modelVersion": "gemini-2.5-flash","responseId": "r1"}\r\n\r\n',
  'data: {"candidates": [{"content": {"parts": [{"text": "Héllo"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9},"modelVersion": "gemini-2.5-flash","responseId": "r1"}\r\n\r\n',
  'data: {"candidates": [{"content": {"parts": [{"text": " world"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9},"modelVersion": "gemini-2.5-flash","responseId": "r1"}\r\n\r\n',
  'data: {"candidates": [{"content": {"parts": [{"functionCall": {"name": "weather","args": {"city": "Paris"}}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 6,"totalTokenCount": 20,"thoughtsTokenCount": 5},"modelVersion": "gemini-2.5-flash","responseId": "r1"}\r\n\r\n',
].join('');

function run(bytes: Buffer, step: number): { events: ResponsesStreamEvent[]; t: ReturnType<GeminiAdapter['createStreamTranslator']> } {
  return translateSse(bytes, step, adapter.createStreamTranslator({ upstreamModel: 'gemini-2.5-flash' }));
}

describe('Gemini stream translation', () => {
  const bytes = Buffer.from(STREAM);

  it('builds the exact Responses sequence with reasoning, text and a function call', () => {
    const { events, t } = run(bytes, bytes.length);
    expect(events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => JSON.parse(e.data).sequence_number)).toEqual(events.map((_, i) => i));
    const done = JSON.parse(events.at(-1)!.data).response;
    expect(done.output[1].content[0].text).toBe('Héllo world');
    expect(done.output[2]).toMatchObject({ type: 'function_call', name: 'weather', arguments: '{"city":"Paris"}' });
    expect(t.terminal).toBe('completed');
    expect(t.usage).toEqual({ inputTokens: 9, cachedTokens: 0, outputTokens: 11, reasoningTokens: 5, totalTokens: 20 });
  });

  it('is unaffected by where the bytes are split (every step size, inside UTF-8 and CRLF)', () => {
    const norm = (evs: ResponsesStreamEvent[]) => evs.map((e) => e.data.replace(/"(resp|msg|fc|rs|call)_[0-9a-f]+"/g, '"ID"').replace(/"created_at":\d+/g, ''));
    const expected = norm(run(bytes, bytes.length).events);
    for (let step = 1; step < 64; step++) expect(norm(run(bytes, step).events)).toEqual(expected);
  });

  it('streams a thought signature into the open thoughts, grounding as annotations then the search', () => {
    const frames = [
      { candidates: [{ content: { role: 'model', parts: [{ text: 'Plan', thought: true }] } }] },
      { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'weather', args: {} }, thoughtSignature: 'CiQB' }] }, finishReason: 'STOP' }], usageMetadata: {} },
    ].map((f) => `data: ${JSON.stringify(f)}\r\n\r\n`).join('');
    const ctx = { upstreamModel: 'gemini-2.5-flash', requestBody: { model: 'm', reasoning: { summary: 'auto' } } };
    const signed = translateSse(Buffer.from(frames), 9, adapter.createStreamTranslator(ctx));
    const out = JSON.parse(signed.events.at(-1)!.data).response.output;
    expect(out.map((o: { type: string }) => o.type)).toEqual(['reasoning', 'function_call']);
    expect(uncarryReasoning(out[0].encrypted_content, 'gemini')).toEqual({ s: 'CiQB', c: out[1].call_id });

    const grounded = [
      { candidates: [{ content: { role: 'model', parts: [{ text: 'Émile won.' }] } }] },
      {
        candidates: [{
          content: { role: 'model', parts: [{ text: ' Yes.' }] }, finishReason: 'STOP',
          groundingMetadata: { webSearchQueries: ['q'], groundingChunks: [{ web: { uri: 'https://v.test/1', title: 't' } }], groundingSupports: [{ segment: { endIndex: 11 }, groundingChunkIndices: [0] }] },
        }],
        usageMetadata: {},
      },
    ].map((f) => `data: ${JSON.stringify(f)}\r\n\r\n`).join('');
    const g = translateSse(Buffer.from(grounded), 5, adapter.createStreamTranslator());
    expect(g.events.map((e) => e.type).slice(-10)).toEqual([
      'response.output_text.annotation.added', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.web_search_call.in_progress', 'response.web_search_call.searching', 'response.web_search_call.completed', 'response.output_item.done',
      'response.completed',
    ]);
    const done = JSON.parse(g.events.at(-1)!.data).response.output;
    expect(done[0].content[0].annotations).toEqual([{ type: 'url_citation', url: 'https://v.test/1', title: 't', start_index: 0, end_index: 10 }]);
    expect(done[1]).toMatchObject({ type: 'web_search_call', action: { query: 'q' } });
  });

  it('is truncated (no terminal) without a finishReason; an error chunk first is a bare error, later a failure', () => {
    const cut = run(Buffer.from(STREAM.split('\r\n\r\n').slice(0, 2).join('\r\n\r\n') + '\r\n\r\n'), 7);
    expect(cut.t.terminal).toBeNull();
    expect(cut.t.usage.inputTokens).toBe(9);

    const t = adapter.createStreamTranslator();
    expect(t.push({ event: null, data: '{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}' }).map((e) => e.type)).toEqual(['error']);
    expect(t.streamError).toMatchObject({ message: 'The model is overloaded.', code: 'UNAVAILABLE' });

    const t2 = adapter.createStreamTranslator();
    t2.push({ event: null, data: '{"candidates":[{"content":{"parts":[{"text":"a"}],"role":"model"}}]}' });
    const failed = t2.push({ event: null, data: '{"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}' });
    expect(failed.at(-1)!.type).toBe('response.failed');
    expect(t2.terminal).toBe('failed');
  });

  it('ends with response.incomplete on MAX_TOKENS and response.failed on a blocked prompt', () => {
    const t = adapter.createStreamTranslator();
    const ev = t.push({ event: null, data: '{"candidates":[{"content":{"parts":[{"text":"a"}],"role":"model"},"finishReason":"MAX_TOKENS"}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2}}' });
    expect(ev.at(-1)!.type).toBe('response.incomplete');
    expect(JSON.parse(ev.at(-1)!.data).response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    const b = adapter.createStreamTranslator();
    const blocked = b.push({ event: null, data: '{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":3}}' });
    expect(blocked.map((e) => e.type)).toEqual(['response.created', 'response.in_progress', 'response.failed']);
    expect(b.streamError).toMatchObject({ code: 'content_filter' });
  });
});
