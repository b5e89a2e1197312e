import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import OpenAI from 'openai';
import type { ResponsesStreamEvent } from '../types';
import { buildResponse, makeUsage, ResponsesStreamBuilder } from './response-builder';

/**
 * The strict clients are the judges: every built sequence is served over HTTP and read by
 * the official SDK's `responses.stream()` helper and by the AI SDK's `streamText`.
 */
describe('ResponsesStreamBuilder', () => {
  let server: Server;
  let url: string;
  let next: { events?: ResponsesStreamEvent[]; json?: unknown } = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (next.json !== undefined) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(next.json));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end((next.events ?? []).map((e) => `event: ${e.type}\ndata: ${e.data}\n\n`).join(''));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const body = {
    model: 'x/m',
    input: 'hi',
    instructions: 'Be brief.',
    tools: [{ type: 'function', name: 'weather', parameters: { type: 'object', properties: {} } }],
    temperature: 0.2,
    metadata: { a: '1' },
  };

  function mixedSequence(): { b: ResponsesStreamBuilder; events: ResponsesStreamEvent[] } {
    const b = new ResponsesStreamBuilder({ model: 'm-1', requestBody: body });
    const events = [
      ...b.start(),
      ...b.reasoningDelta('Think'),
      ...b.reasoningDelta('ing.'),
      ...b.textDelta('Hel'),
      ...b.textDelta('lo'),
      ...b.functionCallStart('call_1', 'weather'),
      ...b.functionCallArgsDelta('{"city":'),
      ...b.functionCallStart('call_2', 'weather'),
      ...b.functionCallArgsDelta('{"city":"Oslo"}', 'call_2'),
      ...b.functionCallArgsDelta('"Paris"}', 'call_1'),
      ...b.finish({ status: 'completed', usage: makeUsage(10, 5, 2, 1) }),
    ];
    return { b, events };
  }

  it('emits a well-formed sequence with increasing sequence numbers and consistent ids', () => {
    const { b, events } = mixedSequence();
    const parsed = events.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(parsed.map((p) => p.sequence_number)).toEqual(parsed.map((_, i) => i));
    expect(parsed.every((p, i) => p.type === events[i].type)).toBe(true);
    expect(events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta', 'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
      'response.function_call_arguments.done', 'response.output_item.done',
      'response.function_call_arguments.done', 'response.output_item.done',
      'response.completed',
    ]);
    const final = parsed[parsed.length - 1].response as Record<string, unknown>;
    expect(events[events.length - 1].parsed).toEqual(parsed[parsed.length - 1]);
    expect(final).toMatchObject({
      id: b.id, object: 'response', status: 'completed', error: null, incomplete_details: null, instructions: 'Be brief.', model: 'm-1',
      tools: body.tools, tool_choice: 'auto', parallel_tool_calls: true, metadata: { a: '1' }, temperature: 0.2, top_p: 1,
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 2 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 1 }, total_tokens: 15 },
    });
    const output = final.output as Record<string, unknown>[];
    expect(output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call']);
    expect(output[0]).toMatchObject({ summary: [{ type: 'summary_text', text: 'Thinking.' }] });
    expect(output[1]).toMatchObject({ role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello', annotations: [], logprobs: [] }] });
    expect(output[2]).toMatchObject({ call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}', status: 'completed' });
    expect(output[3]).toMatchObject({ call_id: 'call_2', arguments: '{"city":"Oslo"}' });
    // Items in the final response carry the ids they were streamed with.
    const added = parsed.filter((p) => p.type === 'response.output_item.added').map((p) => (p.item as { id: string }).id);
    expect(output.map((o) => o.id)).toEqual(added);
    expect(added[0]).toMatch(/^rs_/);
    expect(added[1]).toMatch(/^msg_/);
    expect(added[2]).toMatch(/^fc_/);
    expect(new Set(added).size).toBe(4);
  });

  it('passes the official SDK stream helper (text, reasoning, parallel calls)', async () => {
    const { events } = mixedSequence();
    next = { events };
    const client = new OpenAI({ apiKey: 'k', baseURL: url, maxRetries: 0 });
    const seen: string[] = [];
    const stream = client.responses.stream({ model: 'x/m', input: 'hi' });
    stream.on('event', (e) => seen.push(e.type));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Hello');
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call']);
    expect(seen[0]).toBe('response.created');
    expect(seen).toHaveLength(events.length);
  });

  it('passes the official SDK with an incomplete answer and with a failure mid-answer', async () => {
    const client = new OpenAI({ apiKey: 'k', baseURL: url, maxRetries: 0 });
    const b = new ResponsesStreamBuilder({ model: 'm' });
    next = { events: [...b.start(), ...b.textDelta('cut sh'), ...b.finish({ status: 'incomplete', usage: makeUsage(1, 2) })] };
    const inc = await client.responses.stream({ model: 'x/m', input: 'hi' }).finalResponse();
    expect(inc.status).toBe('incomplete');
    expect(inc.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(inc.output_text).toBe('cut sh');
    expect(b.terminal).toBe('incomplete');

    const f = new ResponsesStreamBuilder({ model: 'm' });
    const failed = [...f.start(), ...f.textDelta('par'), ...f.fail({ message: 'Overloaded', code: 'overloaded_error' })];
    expect(f.terminal).toBe('failed');
    expect(f.streamError).toMatchObject({ message: 'Overloaded', code: 'overloaded_error' });
    const last = JSON.parse(failed[failed.length - 1].data) as { response: { error: unknown; status: string } };
    expect(last.response).toMatchObject({ status: 'failed', error: { code: 'overloaded_error', message: 'Overloaded' } });
    next = { events: failed };
    const types: string[] = [];
    const s = client.responses.stream({ model: 'x/m', input: 'hi' });
    s.on('event', (e) => types.push(e.type));
    await s.finalResponse().catch(() => undefined);
    expect(types[types.length - 1]).toBe('response.failed');
  });

  it('makes a single error event when failing before anything was sent', () => {
    const b = new ResponsesStreamBuilder({ model: 'm' });
    const events = b.error({ message: 'Overloaded', code: 'overloaded_error', type: 'overloaded_error' });
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0].data)).toEqual({
      type: 'error', sequence_number: 0, code: 'overloaded_error', message: 'Overloaded', param: null,
      error: { type: 'overloaded_error', code: 'overloaded_error', message: 'Overloaded', param: null },
    });
    expect(b.terminal).toBe('error');
    expect(b.started).toBe(false);
  });

  it('ends a stream cut off mid-answer with error, then response.failed holding what was streamed', () => {
    const b = new ResponsesStreamBuilder({ model: 'm' });
    const started = b.textDelta('Hel');
    const events = b.abort({ message: 'idle timeout', code: 'upstream_timeout' });
    expect(events.map((e) => e.type)).toEqual(['error', 'response.failed']);
    const [error, failed] = events.map((e) => JSON.parse(e.data));
    expect(error).toMatchObject({ sequence_number: started.length, code: 'upstream_timeout', error: { code: 'upstream_timeout', message: 'idle timeout' } });
    expect(failed).toMatchObject({ sequence_number: started.length + 1, response: { status: 'failed', completed_at: null, error: { code: 'upstream_timeout' } } });
    expect(failed.response.output[0].content[0].text).toBe('Hel');
    expect(b.abort({ message: 'again', code: 'x' })).toEqual([]);
  });

  it('echoes every field of the Response object, function tools with description, parameters and strict', () => {
    const tool = { type: 'function', name: 'f', parameters: { type: 'object' } };
    const response = buildResponse({
      model: 'm', status: 'completed', usage: makeUsage(1, 1), output: [{ type: 'text', text: 'x' }],
      requestBody: { model: 'p/m', tools: [tool, { type: 'web_search' }], text: { verbosity: 'low' }, prompt_cache_key: 'k', safety_identifier: 's', max_tool_calls: 3, service_tier: 'flex', presence_penalty: 0.5, top_logprobs: 2 },
    });
    expect(response).toMatchObject({
      tools: [{ ...tool, description: null, strict: null }, { type: 'web_search' }],
      text: { format: { type: 'text' }, verbosity: 'low' },
      prompt_cache_key: 'k', safety_identifier: 's', max_tool_calls: 3, service_tier: 'flex', presence_penalty: 0.5, frequency_penalty: 0, top_logprobs: 2,
    });
    expect(response.completed_at).toEqual(expect.any(Number));
    const defaults = buildResponse({ model: 'm', status: 'incomplete', usage: makeUsage(1, 1), output: [] });
    expect(defaults).toMatchObject({ completed_at: null, prompt_cache_key: null, safety_identifier: null, max_tool_calls: null, service_tier: 'default', presence_penalty: 0, frequency_penalty: 0, top_logprobs: 0, tools: [] });
  });

  it('passes the AI SDK streamText without error parts', async () => {
    const { events } = mixedSequence();
    next = { events };
    const provider = createOpenAI({ apiKey: 'k', baseURL: url });
    const result = streamText({ model: provider.responses('m'), prompt: 'hi', maxRetries: 0 });
    const types: string[] = [];
    for await (const part of result.fullStream) {
      types.push(part.type);
      if (part.type === 'error') throw part.error;
    }
    expect(await result.text).toBe('Hello');
    expect(await result.reasoningText).toBe('Thinking.');
    expect((await result.toolCalls).map((c) => c.input)).toEqual([{ city: 'Paris' }, { city: 'Oslo' }]);
    expect(await result.finishReason).toBe('tool-calls');
    expect((await result.usage).inputTokens).toBe(10);
  });

  it('buildResponse gives the same item shapes for non-streaming answers', async () => {
    const response = buildResponse({
      model: 'm', requestBody: body, status: 'completed', usage: makeUsage(3, 4),
      output: [
        { type: 'reasoning', text: 'hmm', encryptedContent: 'sig' },
        { type: 'text', text: 'A' },
        { type: 'text', text: 'B' },
        { type: 'function_call', callId: 'c1', name: 'weather', arguments: '{}' },
      ],
    });
    const output = response.output as Record<string, unknown>[];
    expect(output).toHaveLength(3);
    expect(output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'hmm' }], encrypted_content: 'sig' });
    expect(output[1]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'AB', annotations: [], logprobs: [] }] });
    expect(output[2]).toMatchObject({ type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{}', status: 'completed' });
    expect(response.usage).toMatchObject({ input_tokens: 3, output_tokens: 4, total_tokens: 7 });

    next = { json: response };
    const client = new OpenAI({ apiKey: 'k', baseURL: url, maxRetries: 0 });
    const got = await client.responses.create({ model: 'x/m', input: 'hi' });
    expect(got.output_text).toBe('AB');
    const provider = createOpenAI({ apiKey: 'k', baseURL: url });
    const { generateText } = await import('ai');
    const gen = await generateText({ model: provider.responses('m'), prompt: 'hi', maxRetries: 0 });
    expect(gen.text).toBe('AB');
    expect(gen.toolCalls).toHaveLength(1);
  });
});
