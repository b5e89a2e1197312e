import { crc32 } from 'node:zlib';
import type { ProviderConfig, UpstreamKey } from '@app/common';
import { GatewayError } from '@app/common';
import { BEDROCK_DEFAULT_BASE_URL } from './bedrock-endpoint';
import { converseEvent, converseException, encodeEventStreamMessage } from '../../../../apps/fake-upstream/src/bedrock-eventstream';
import { FAKE_AWS_CREDENTIALS, sigV4Signature } from '../../../../apps/fake-upstream/src/bedrock-format';
import { UpstreamFailure } from '../http/upstream-failure';
import type { ResponsesStreamEvent, SseEvent } from '../types';
import { BedrockAdapter } from './bedrock.adapter';
import { BedrockStreamDecoder, EventStreamReader } from './event-stream';
import { signV4 } from './sigv4';
import { testProvider } from '../testing/adapter-fixtures';
import { carryThinking, uncarryThinking } from '../responses/reasoning-carrier';

const provider = (over: Partial<ProviderConfig> = {}): ProviderConfig => testProvider({ name: 'bedrock', kind: 'bedrock', baseUrl: BEDROCK_DEFAULT_BASE_URL, ...over });
const key: UpstreamKey = { id: 'k', value: '', weight: 1, models: [], aws: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', region: 'eu-west-3' } };
const FIXED = new Date('2026-01-02T03:04:05Z');
const adapter = new BedrockAdapter(() => FIXED);
const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

function build(body: Record<string, unknown>, stream = false, over: Partial<ProviderConfig> = {}) {
  return adapter.buildRequest({ body: { model: `bedrock/${MODEL}`, ...body }, upstreamModel: MODEL, stream, provider: provider(over), key });
}

describe('SigV4 (aws4) against the AWS Signature Version 4 test suite', () => {
  const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const now = new Date('2015-08-30T12:36:00Z');
  const scope = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

  it('post-vanilla', () => {
    const h = signV4({ method: 'POST', url: 'https://example.amazonaws.com/', headers: {}, body: '', service: 'service', region: 'us-east-1', credentials: creds, now });
    expect(h.authorization).toBe(`${scope}, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b`);
    expect(h['x-amz-date']).toBe('20150830T123600Z');
  });

  it('post-sts-header-before (temporary credentials sign the session token)', () => {
    const token = 'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==';
    const h = signV4({ method: 'POST', url: 'https://example.amazonaws.com/', headers: {}, body: '', service: 'service', region: 'us-east-1', credentials: { ...creds, sessionToken: token }, now });
    expect(h.authorization).toBe(`${scope}, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead`);
    expect(h['x-amz-security-token']).toBe(token);
  });

  it('signs a Bedrock call so that an independent SigV4 verifier (the fake upstream) agrees, model id escaped', () => {
    const fakeKey: UpstreamKey = { ...key, aws: { ...FAKE_AWS_CREDENTIALS, region: 'us-west-2' } };
    const req = new BedrockAdapter(() => FIXED).buildRequest({ body: { model: 'x', input: 'hi' }, upstreamModel: MODEL, stream: true, provider: provider({ baseUrl: 'http://127.0.0.1:4010' }), key: fakeKey });
    const url = new URL(req.url);
    expect(url.pathname).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream');
    const m = /SignedHeaders=([^,]+), Signature=([0-9a-f]+)/.exec(req.headers.authorization)!;
    const expected = sigV4Signature(
      { method: 'POST', path: url.pathname, query: '', headers: req.headers, signedHeaders: m[1], body: Buffer.from(req.body), date: req.headers['x-amz-date'], region: 'us-west-2', service: 'bedrock' },
      FAKE_AWS_CREDENTIALS.secretAccessKey,
    );
    expect(m[2]).toBe(expected);
    // Deterministic for a fixed clock.
    expect(new BedrockAdapter(() => FIXED).buildRequest({ body: { model: 'x', input: 'hi' }, upstreamModel: MODEL, stream: true, provider: provider({ baseUrl: 'http://127.0.0.1:4010' }), key: fakeKey }).headers.authorization).toBe(req.headers.authorization);
  });
});

describe('BedrockAdapter request mapping', () => {
  it('builds a signed Converse call to the key region endpoint', () => {
    const req = build({ input: 'hi', instructions: 'Be brief.', max_output_tokens: 100, temperature: 0.2, top_p: 0.9 });
    expect(req.url).toBe('https://bedrock-runtime.eu-west-3.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(req.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json', host: 'bedrock-runtime.eu-west-3.amazonaws.com', 'x-amz-date': '20260102T030405Z' });
    expect(req.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260102\/eu-west-3\/bedrock\/aws4_request, SignedHeaders=accept;content-length;content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/);
    expect(JSON.parse(req.body)).toEqual({
      messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 100, temperature: 0.2, topP: 0.9 },
    });
    expect(build({ input: 'hi' }, true, { baseUrl: 'http://127.0.0.1:9' }).url).toBe('http://127.0.0.1:9/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream');
  });

  it('maps tools, tool calls and results, images, tool_choice and reasoning', () => {
    const body = JSON.parse(build({
      tools: [{ type: 'function', name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
      tool_choice: { type: 'function', name: 'weather' },
      reasoning: { effort: 'low' },
      input: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] },
        { type: 'reasoning', summary: [], encrypted_content: carryThinking('bedrock', { text: 'Plan.', signature: 'sig' }) },
        { type: 'reasoning', summary: [], encrypted_content: carryThinking('anthropic', { text: 'Not Bedrock.', signature: 'sig-a' }) },
        { type: 'function_call', call_id: 'tooluse_1', name: 'weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'tooluse_1', output: 'sunny' },
        { type: 'function_call_output', call_id: 'tooluse_1', output: '{"temp":20}' },
      ],
    }).body);
    expect(body.system).toEqual([{ text: 'sys' }]);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ text: 'look' }, { image: { format: 'png', source: { bytes: 'AAAA' } } }] },
      { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'Plan.', signature: 'sig' } } }, { toolUse: { toolUseId: 'tooluse_1', name: 'weather', input: { city: 'Paris' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: 'sunny' }] } }, { toolResult: { toolUseId: 'tooluse_1', content: [{ json: { temp: 20 } }] } }] },
    ]);
    expect(body.toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'weather', description: 'Weather', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } } }],
      toolChoice: { tool: { name: 'weather' } },
    });
    expect(body.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 } });
  });

  it('continues a tool loop whose reasoning was lost without thinking (Claude would refuse it)', () => {
    const body = JSON.parse(build({
      tools: [{ type: 'function', name: 'weather' }],
      reasoning: { effort: 'low' },
      input: [
        { role: 'user', content: 'look' },
        { type: 'function_call', call_id: 'tooluse_1', name: 'weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'tooluse_1', output: 'sunny' },
      ],
    }).body);
    expect(body.additionalModelRequestFields).toBeUndefined();
    const redacted = JSON.parse(build({
      tools: [{ type: 'function', name: 'weather' }],
      reasoning: { effort: 'low' },
      input: [
        { role: 'user', content: 'look' },
        { type: 'reasoning', summary: [], encrypted_content: carryThinking('bedrock', { redacted: 'AAEC' }) },
        { type: 'function_call', call_id: 'tooluse_1', name: 'weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'tooluse_1', output: 'sunny' },
      ],
    }).body);
    expect(redacted.messages[1].content[0]).toEqual({ reasoningContent: { redactedContent: 'AAEC' } });
    expect(redacted.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 } });
  });

  it('drops hosted tools Converse has no equivalent for, and reports them', () => {
    const req = build({ input: 'x', tools: [{ type: 'web_search_preview' }, { type: 'function', name: 'f' }] });
    expect(req.droppedTools).toEqual(['web_search_preview']);
    expect(JSON.parse(req.body).toolConfig.tools.map((t: { toolSpec: { name: string } }) => t.toolSpec.name)).toEqual(['f']);
  });

  it('declares the functions of the history when a follow-up sends no tools (Converse requires toolConfig)', () => {
    const body = JSON.parse(build({
      input: [
        { type: 'function_call', call_id: 'c1', name: 'get_weather', arguments: '{"location":"SF"}' },
        { type: 'function_call_output', call_id: 'c1', output: '64 degrees' },
      ],
    }).body) as Record<string, unknown>;
    expect(body.toolConfig).toEqual({ tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } }] });
  });

  it('turns json_schema output into a forced tool', () => {
    const body = JSON.parse(build({ input: 'json please', text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } } } }).body);
    expect(body.toolConfig.toolChoice).toEqual({ tool: { name: 'json_response' } });
    expect(body.toolConfig.tools[0].toolSpec).toMatchObject({ name: 'json_response', inputSchema: { json: { type: 'object' } } });
  });

  it.each([
    [{ input: 'x', tools: [{ type: 'web_search_preview' }], tool_choice: { type: 'web_search_preview' } }, "bedrock does not support forcing the hosted tool 'web_search_preview' with tool_choice (it has no equivalent there) through /v1/responses.", 'tool_choice'],
    [{ input: 'x', background: true }, "bedrock does not support 'background' mode through /v1/responses.", 'background'],
    [{ input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/cat.png' }] }] }, 'bedrock does not support image URLs (send the bytes as a data: URL)', 'input[0].content[0]'],
    [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, "bedrock does not support 'item_reference' input items (stored responses); send the items themselves, e.g. with store: false through /v1/responses.", 'input[0]'],
  ])('refuses what Converse cannot honour: %j', (body, message, param) => {
    let err: unknown;
    try {
      build(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, message, param });
  });
});

describe('BedrockAdapter responses and errors', () => {
  it('parses a Converse response with text, tool use, reasoning and cache usage', () => {
    const { response, usage } = adapter.parseResponse(JSON.stringify({
      output: { message: { role: 'assistant', content: [
        { reasoningContent: { reasoningText: { text: 'thinking', signature: 'sig' } } },
        { text: 'Let me check.' },
        { toolUse: { toolUseId: 'tooluse_9', name: 'weather', input: { city: 'Paris' } } },
      ] } },
      stopReason: 'tool_use',
      usage: { inputTokens: 10, outputTokens: 20, totalTokens: 45, cacheReadInputTokens: 5, cacheWriteInputTokens: 10 },
      metrics: { latencyMs: 100 },
    }), { upstreamModel: MODEL, requestBody: { model: 'm', reasoning: { effort: 'low', summary: 'auto' } } });
    expect(usage).toEqual({ inputTokens: 25, cachedTokens: 5, cacheWriteTokens: 10, outputTokens: 20, reasoningTokens: 0, totalTokens: 45 });
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: MODEL, usage: { input_tokens: 25, input_tokens_details: { cached_tokens: 5 }, output_tokens: 20, total_tokens: 45 } });
    const output = response.output as Record<string, unknown>[];
    expect(output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(output[0]).toMatchObject({ summary: [{ type: 'summary_text', text: 'thinking' }] });
    expect(uncarryThinking(output[0].encrypted_content as string, 'bedrock')).toEqual({ text: 'thinking', signature: 'sig' });
    expect(output[2]).toMatchObject({ call_id: 'tooluse_9', name: 'weather', arguments: '{"city":"Paris"}', status: 'completed' });
  });

  it('maps stop reasons to status and reads the structured-output tool as text', () => {
    const parse = (stopReason: string, content: unknown[] = [{ text: 'x' }]) =>
      adapter.parseResponse(JSON.stringify({ output: { message: { role: 'assistant', content } }, stopReason, usage: { inputTokens: 1, outputTokens: 1 } })).response;
    expect(parse('max_tokens')).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(parse('guardrail_intervened')).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'content_filter' } });
    const json = parse('tool_use', [{ toolUse: { toolUseId: 't', name: 'json_response', input: { a: 'b' } } }]);
    expect(json.output).toEqual([expect.objectContaining({ type: 'message', content: [expect.objectContaining({ type: 'output_text', text: '{"a":"b"}' })] })]);
  });

  it('parses Bedrock error bodies', () => {
    expect(adapter.parseError(429, '{"message":"Too many requests, please wait before trying again."}')).toEqual({
      message: 'Too many requests, please wait before trying again.', type: 'ThrottlingException', code: 'ThrottlingException', param: null,
    });
    expect(adapter.parseError(400, '{"__type":"com.amazon.coral.validate#ValidationException","Message":"bad"}')).toMatchObject({ message: 'bad', code: 'ValidationException' });
    expect(adapter.parseError(502, 'upstream down').message).toBe('upstream down');
  });
});

// A recorded-shape ConverseStream: text, then a tool call, then usage.
const STREAM_EVENTS: Buffer[] = [
  converseEvent('messageStart', { role: 'assistant' }),
  converseEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Héllo' } }),
  converseEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' there' } }),
  converseEvent('contentBlockStop', { contentBlockIndex: 0 }),
  converseEvent('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_1', name: 'weather' } } }),
  converseEvent('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } }),
  converseEvent('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '"Paris"}' } } }),
  converseEvent('contentBlockStop', { contentBlockIndex: 1 }),
  converseEvent('messageStop', { stopReason: 'tool_use' }),
  converseEvent('metadata', { usage: { inputTokens: 12, outputTokens: 7, totalTokens: 19 }, metrics: { latencyMs: 3 } }),
];

function translate(
  bytes: Buffer, splits: number[], ctx: Parameters<BedrockAdapter['createStreamTranslator']>[0] = { upstreamModel: MODEL },
): { events: ResponsesStreamEvent[]; t: ReturnType<BedrockAdapter['createStreamTranslator']>; decoder: BedrockStreamDecoder } {
  const decoder = new BedrockStreamDecoder();
  const t = adapter.createStreamTranslator(ctx);
  const events: ResponsesStreamEvent[] = [];
  let prev = 0;
  for (const at of [...splits, bytes.length]) {
    for (const ev of decoder.push(bytes.subarray(prev, at))) events.push(...t.push(ev));
    prev = at;
  }
  return { events, t, decoder };
}

describe('Bedrock event-stream decoding', () => {
  const bytes = Buffer.concat(STREAM_EVENTS);
  const whole = translate(bytes, []);

  it('translates a ConverseStream into the exact Responses sequence', () => {
    expect(whole.events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
      'response.function_call_arguments.done', 'response.output_item.done',
      'response.completed',
    ]);
    const completed = JSON.parse(whole.events.at(-1)!.data);
    expect(completed.response.output[0].content[0].text).toBe('Héllo there');
    expect(completed.response.output[1]).toMatchObject({ type: 'function_call', call_id: 'tooluse_1', arguments: '{"city":"Paris"}' });
    expect(completed.response.model).toBe(MODEL);
    expect(whole.t.terminal).toBe('completed');
    expect(whole.t.usage).toEqual({ inputTokens: 12, cachedTokens: 0, outputTokens: 7, reasoningTokens: 0, totalTokens: 19 });
    expect(whole.decoder.end()).toEqual({ incomplete: false });
  });

  it('gives the same events whatever byte the stream is split at (every single and paired split point)', () => {
    const strip = (evs: ResponsesStreamEvent[]) => evs.map((e) => e.data.replace(/"(resp|msg|fc)_[0-9a-f]+"/g, '"ID"').replace(/"(created|completed)_at":\d+/g, ''));
    const expected = strip(whole.events);
    for (let i = 1; i < bytes.length; i++) expect(strip(translate(bytes, [i]).events)).toEqual(expected);
    for (let i = 1; i < bytes.length; i += 41) for (let j = i + 1; j < bytes.length; j += 53) expect(strip(translate(bytes, [i, j]).events)).toEqual(expected);
    // One byte at a time.
    expect(strip(translate(bytes, Array.from({ length: bytes.length - 1 }, (_, k) => k + 1)).events)).toEqual(expected);
  });

  it('streams reasoning as its own item, the whole thinking and signature carried back; a summary only when asked', () => {
    const reasoning = Buffer.concat([
      converseEvent('messageStart', { role: 'assistant' }),
      converseEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Let me ' } } }),
      converseEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'think.' } } }),
      converseEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig-1' } } }),
      converseEvent('contentBlockStop', { contentBlockIndex: 0 }),
      converseEvent('contentBlockDelta', { contentBlockIndex: 1, delta: { reasoningContent: { redactedContent: 'AAEC' } } }),
      converseEvent('contentBlockStop', { contentBlockIndex: 1 }),
      converseEvent('contentBlockDelta', { contentBlockIndex: 2, delta: { text: 'Hi' } }),
      converseEvent('contentBlockStop', { contentBlockIndex: 2 }),
      converseEvent('messageStop', { stopReason: 'end_turn' }),
      converseEvent('metadata', { usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }),
    ]);
    for (const summary of [true, false]) {
      const ctx = { upstreamModel: MODEL, requestBody: { model: 'm', reasoning: summary ? { effort: 'low', summary: 'auto' } : { effort: 'low' } } };
      const { events } = translate(reasoning, [17], ctx);
      expect(events.some((e) => e.type === 'response.reasoning_summary_text.delta')).toBe(summary);
      const output = JSON.parse(events.at(-1)!.data).response.output as Record<string, unknown>[];
      expect(output.map((o) => o.type)).toEqual(['reasoning', 'reasoning', 'message']);
      expect(output[0].summary).toEqual(summary ? [{ type: 'summary_text', text: 'Let me think.' }] : []);
      expect(uncarryThinking(output[0].encrypted_content as string, 'bedrock')).toEqual({ text: 'Let me think.', signature: 'sig-1' });
      expect(uncarryThinking(output[1].encrypted_content as string, 'bedrock')).toEqual({ redacted: 'AAEC' });
    }
  });

  it('reports a partial frame at the end, and rejects corrupt CRCs', () => {
    const cut = translate(bytes.subarray(0, bytes.length - 5), []);
    expect(cut.t.terminal).toBeNull();
    expect(cut.decoder.end()).toEqual({ incomplete: true });

    const badPrelude = Buffer.from(STREAM_EVENTS[1]);
    badPrelude[9] ^= 0xff;
    expect(() => new EventStreamReader().push(badPrelude)).toThrow(UpstreamFailure);
    expect(() => new EventStreamReader().push(badPrelude)).toThrow(/prelude CRC/);
    const badBody = Buffer.from(STREAM_EVENTS[1]);
    badBody[badBody.length - 8] ^= 0x01;
    expect(() => new EventStreamReader().push(badBody)).toThrow(/message CRC/);
  });

  it('decodes every header value type', () => {
    const name = (n: string) => Buffer.concat([Buffer.from([n.length]), Buffer.from(n)]);
    const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
    const i16 = Buffer.alloc(2); i16.writeInt16BE(-2);
    const i32 = Buffer.alloc(4); i32.writeInt32BE(70000);
    const i64 = Buffer.alloc(8); i64.writeBigInt64BE(1234567890123n);
    const ts = Buffer.alloc(8); ts.writeBigInt64BE(1700000000000n);
    const headers = Buffer.concat([
      name('t'), Buffer.from([0]), name('f'), Buffer.from([1]), name('b'), Buffer.from([2, 0xff]), name('s'), Buffer.from([3]), i16,
      name('i'), Buffer.from([4]), i32, name('l'), Buffer.from([5]), i64, name('y'), Buffer.from([6]), u16(2), Buffer.from([1, 2]),
      name('str'), Buffer.from([7]), u16(3), Buffer.from('abc'), name('ts'), Buffer.from([8]), ts, name('u'), Buffer.from([9]), Buffer.alloc(16, 7),
    ]);
    const payload = Buffer.from('{}');
    const total = 12 + headers.length + payload.length + 4;
    const msg = Buffer.alloc(total);
    msg.writeUInt32BE(total, 0);
    msg.writeUInt32BE(headers.length, 4);
    msg.writeUInt32BE(crc32(msg.subarray(0, 8)), 8);
    headers.copy(msg, 12);
    payload.copy(msg, 12 + headers.length);
    msg.writeUInt32BE(crc32(msg.subarray(0, total - 4)), total - 4);
    expect(new EventStreamReader().push(msg)[0]).toEqual({
      headers: { t: true, f: false, b: -1, s: -2, i: 70000, l: 1234567890123n, y: Buffer.from([1, 2]), str: 'abc', ts: new Date(1700000000000), u: Buffer.alloc(16, 7) },
      payload,
    });
    expect(encodeEventStreamMessage({ ':event-type': 'x' }, '{}').length).toBe(12 + 1 + 11 + 1 + 2 + 1 + 2 + 4);
  });

  it('turns an exception before any output into a bare error (retryable), after output into response.failed', () => {
    const early = new BedrockStreamDecoder();
    const t1 = adapter.createStreamTranslator();
    const out1 = early.push(converseException('throttlingException', 'Too many tokens, please wait.')).flatMap((e: SseEvent) => t1.push(e));
    expect(out1.map((e) => e.type)).toEqual(['error']);
    expect(t1.streamError).toMatchObject({ code: 'throttlingException', message: 'Too many tokens, please wait.' });

    // messageStart carries nothing: throttling right after it is still retryable.
    const afterStart = new BedrockStreamDecoder();
    const t3 = adapter.createStreamTranslator();
    const out3 = afterStart.push(Buffer.concat([STREAM_EVENTS[0], converseException('throttlingException', 'slow down')])).flatMap((e) => t3.push(e));
    expect(out3.map((e) => e.type)).toEqual(['error']);

    const late = new BedrockStreamDecoder();
    const t2 = adapter.createStreamTranslator();
    const out2 = late.push(Buffer.concat([STREAM_EVENTS[0], STREAM_EVENTS[1], converseException('modelStreamErrorException', 'boom')])).flatMap((e) => t2.push(e));
    expect(out2.at(-1)!.type).toBe('response.failed');
    expect(JSON.parse(out2.at(-1)!.data).response.error).toEqual({ code: 'modelStreamErrorException', message: 'boom' });
    expect(t2.terminal).toBe('failed');
  });

  it('maps max_tokens to response.incomplete', () => {
    const bytes2 = Buffer.concat([STREAM_EVENTS[0], STREAM_EVENTS[1], STREAM_EVENTS[3], converseEvent('messageStop', { stopReason: 'max_tokens' }), STREAM_EVENTS[9]]);
    const { events, t } = translate(bytes2, []);
    expect(events.at(-1)!.type).toBe('response.incomplete');
    expect(t.terminal).toBe('incomplete');
  });
});
