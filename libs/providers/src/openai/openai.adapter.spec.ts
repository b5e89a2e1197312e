import type { ProviderConfig } from '@app/common';
import { SseParser } from '../sse/sse-parser';
import { AzureOpenAIAdapter } from '../azure/azure.adapter';
import { OpenAIAdapter } from './openai.adapter';
import { isDeltaType, ResponsesPassthroughTranslator } from './openai-stream';
import { usageFromResponses } from './openai-usage';
import { carryThinking } from '../responses/reasoning-carrier';
import { terminalTemplates } from '../responses/response-scan';
import { RESPONSE_MEMBERS } from '../types';

const provider = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({
  name: 'openai', kind: 'openai', baseUrl: 'https://api.openai.com/v1', keys: [], timeoutMs: 1, streamIdleTimeoutMs: 1, maxRetries: 0,
  retryBackoffMs: 0, retryBackoffMaxMs: 0, models: [], aliases: {}, headers: {}, deployments: {}, ...over,
});
const key = { id: 'k', value: 'sk-up', weight: 1, models: [] };

// Recorded shape of a real OpenAI Responses stream (abridged ids), as the AI SDK's fixtures hold it.
const RECORDED_STREAM = [
  'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","output":[],"usage":null}}\n\n',
  'event: response.in_progress\ndata: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","status":"in_progress","output":[]}}\n\n',
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}\n\n',
  'event: response.completed\ndata: {"type":"response.completed","sequence_number":3,"response":{"id":"resp_1","status":"completed","output":[],"usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":4},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":64},"total_tokens":123}}}\n\n',
].join('');

describe('OpenAIAdapter', () => {
  const adapter = new OpenAIAdapter();

  it('passes the body through with the upstream model and the provider key', () => {
    const req = adapter.buildRequest({ body: { model: 'openai/gpt-4o', input: 'hi', future_field: 1 }, upstreamModel: 'gpt-4o', stream: true, provider: provider({ headers: { 'openai-organization': 'org' } }), key });
    expect(req.url).toBe('https://api.openai.com/v1/responses');
    expect(req.headers).toMatchObject({ authorization: 'Bearer sk-up', accept: 'text/event-stream', 'openai-organization': 'org' });
    expect(JSON.parse(req.body)).toEqual({ model: 'gpt-4o', input: 'hi', future_field: 1, stream: true });
  });

  it("leaves out reasoning the gateway carried for another provider (OpenAI could not decrypt it), keeps OpenAI's own", () => {
    const input = [
      { role: 'user', content: 'hi' },
      { type: 'reasoning', summary: [], encrypted_content: carryThinking('anthropic', { text: 't', signature: 's' }) },
      { type: 'reasoning', summary: [], encrypted_content: 'gAAAAABo-openai' },
      { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
    ];
    const req = adapter.buildRequest({ body: { model: 'openai/gpt-4o', input }, upstreamModel: 'gpt-4o', stream: false, provider: provider(), key });
    expect(JSON.parse(req.body).input).toEqual([input[0], input[2], input[3]]);
  });

  it('resolves aliases', () => {
    expect(adapter.resolveModel(provider({ aliases: { fast: 'gpt-4o-mini' } }), 'fast')).toBe('gpt-4o-mini');
  });

  it('parses usage from a response and OpenAI error bodies', () => {
    const parsed = adapter.parseResponse('{"id":"resp_1","output":[],"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7}}');
    expect(parsed.usage).toEqual({ inputTokens: 5, cachedTokens: 0, outputTokens: 2, reasoningTokens: 0, totalTokens: 7 });
    expect(adapter.parseError(429, '{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}')).toEqual({
      message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded',
    });
    expect(adapter.parseError(502, '<html>Bad gateway</html>').message).toBe('<html>Bad gateway</html>');
    expect(adapter.parseError(500, '').message).toBe('HTTP 500');
  });

  it('reads usage off a plain body without parsing it, and parses the Response when asked', () => {
    const body = '{"id":"resp_1","output":[{"type":"x","usage":{"input_tokens":99}}],"usage":{"input_tokens":5,"input_tokens_details":{"cached_tokens":1},"output_tokens":2},"user":null}';
    const parsed = adapter.parseResponse(body);
    expect(parsed.usage).toEqual({ inputTokens: 5, cachedTokens: 1, outputTokens: 2, reasoningTokens: 0, totalTokens: 7 });
    expect(parsed.json).toBe(body);
    expect(parsed.usageAt).toBe(body.lastIndexOf('"usage":{') + '"usage":'.length);
    expect(body.slice(parsed.usageAt, parsed.usageEnd)).toBe('{"input_tokens":5,"input_tokens_details":{"cached_tokens":1},"output_tokens":2}');
    expect(parsed.response).toEqual(JSON.parse(body));
    expect(parsed.response).toBe(parsed.response); // parsed once
    // a caller that reads the object anyway has it parsed at once, the text not walked
    const eager = adapter.parseResponse(body, { needsResponse: true });
    expect([eager.usage, eager.usageAt, eager.json, eager.response]).toEqual([parsed.usage, undefined, body, JSON.parse(body)]);
    for (const plain of ['{"id":"r","usage":null}', '{"id":"r"}', '{"usage":[1]}']) {
      const p = adapter.parseResponse(plain);
      expect([p.usage, p.usageAt, p.usageEnd]).toEqual([{ inputTokens: 0, cachedTokens: 0, outputTokens: 0, reasoningTokens: 0, totalTokens: 0 }, -1, -1]);
    }
    // what the walk cannot tell is parsed whole, as before: the gateway then reads the object
    // Pretty-printed, as OpenAI answers: walked too.
    const pretty = adapter.parseResponse('{\n  "usage": {"input_tokens": 4}\n}');
    expect([pretty.usage.inputTokens, pretty.usageAt]).toEqual([4, 13]);
    for (const other of ['{"usage":{"input_tokens":4},"extra_fields":{}}', '{"usage":{"input_tokens":1},"usage":{"input_tokens":4}}']) {
      const p = adapter.parseResponse(other);
      expect([p.usage.inputTokens, p.usageAt, p.json]).toEqual([4, undefined, other]);
    }
  });

  it("reads OpenAI's usage off the text as the parse reads any usage, stored turn's walk or not", () => {
    const compact = '{"input_tokens":36,"input_tokens_details":{"cached_tokens":4},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":64},"total_tokens":123}';
    const usages = [
      compact,
      compact.replace('123', '999999999999999').replace('36', '0'),
      compact.replace('"total_tokens":123', '"total_tokens":1230000000000000000'), // past 15 digits: parsed
      compact.replace(':36,', ':036,'), // not JSON: the walk refuses the body, which is parsed and fails
      compact.replace(',"total_tokens":123', ''), // no total: parsed, the total summed
      compact.replace('{"input_tokens"', '{ "input_tokens"'),
      compact.replace('}', ',"extra":1}'),
      compact.replace(':87,', ':8.7e1,'),
      '{"input_tokens":1,"input_tokens_details":null,"output_tokens":2,"output_tokens_details":null,"total_tokens":3}',
    ];
    // Written as OpenAI writes it: its five counts in its order, at most 15 digits each.
    const OPENAI_SHAPES = new Set([usages[0], usages[1], usages[5]]);
    for (const usage of usages) {
      const body = `{"id":"resp_1","output":[],"usage":${usage},"user":null}`;
      for (const memberSpans of [false, true]) {
        let expected: unknown;
        try {
          expected = usageFromResponses((JSON.parse(body) as { usage: unknown }).usage);
        } catch {
          expect(() => adapter.parseResponse(body, { memberSpans })).toThrow(SyntaxError);
          continue;
        }
        const indented = JSON.stringify(JSON.parse(body), null, 2);
        const parse = jest.spyOn(JSON, 'parse');
        try {
          const parsed = adapter.parseResponse(body, { memberSpans });
          expect(parsed.usage).toEqual(expected);
          expect(body.slice(parsed.usageAt, parsed.usageEnd)).toBe(usage);
          // Indented, as OpenAI answers.
          expect(adapter.parseResponse(indented, { memberSpans }).usage).toEqual(expected);
          // OpenAI's own shape, compact or indented, is read off the text: no parse of the usage.
          if (OPENAI_SHAPES.has(usage)) expect(parse.mock.calls.filter(([text]) => String(text).includes('"input_tokens"'))).toHaveLength(0);
        } finally {
          parse.mockRestore();
        }
      }
    }
  });

  it("reports where the Response's top-level members lie when asked, in the same walk", () => {
    const body = '{\n  "id": "resp_1",\n  "output": [{"id": "x"}],\n  "status": "completed",\n  "usage": null\n}';
    const parsed = adapter.parseResponse(body, { memberSpans: true });
    const span = (key: string) => {
      const k = 2 * RESPONSE_MEMBERS.indexOf(key);
      const members = parsed.scan!.members;
      return members[k] === -1 ? undefined : body.slice(members[k], members[k + 1]);
    };
    expect(RESPONSE_MEMBERS.map(span)).toEqual([
      'null', undefined, '"resp_1"', undefined, undefined, undefined, '"completed"', undefined, undefined, '[{"id": "x"}]',
    ]);
    // the output items' ids, and whether the text is plain (its newlines are not), in the same walk
    const ids = parsed.scan!.itemIds!;
    expect([body.slice(ids[0], ids[1]), ids.length, parsed.scan!.plain]).toEqual(['"x"', 2, false]);
    expect(parsed.usageAt).toBe(-1);
    expect(adapter.parseResponse(body).scan).toBeUndefined();
    expect(adapter.parseResponse(body, { memberSpans: true, needsResponse: true }).scan).toBeUndefined();
    // a key the walk finds twice is left to the parse, as `usage` is
    expect(adapter.parseResponse('{"status":"a","status":"b"}', { memberSpans: true }).scan).toBeUndefined();
  });

  it('fails on a body that is not a whole JSON response: truncated anywhere, or garbled', () => {
    const body = JSON.stringify({ id: 'resp_1', output: [{ type: 'message', content: [{ type: 'output_text', text: 'a "quoted" {word}\n' }] }], usage: { input_tokens: 5, output_tokens: 2 } });
    for (let cut = 1; cut < body.length; cut++) {
      expect(() => adapter.parseResponse(body.slice(0, cut))).toThrow();
      expect(() => adapter.parseResponse(body.slice(0, cut), { needsResponse: true })).toThrow();
    }
    const garbled = [
      body.replace('"output":', '"output"'), body.replace('\\n', '\\q'), body.replace(':5,', ':05,'), body.replace('{word}', '{word}\u0001'),
      body.replace('[{"type":"message"', '[{"type":"message",'), body.slice(0, -1) + ']', `${body}}`, `${body} x`, '<html>502 Bad Gateway</html>', '',
    ];
    for (const text of garbled) {
      expect(() => adapter.parseResponse(text)).toThrow();
      expect(() => adapter.parseResponse(text, { needsResponse: true })).toThrow();
    }
  });

  it('relays a recorded stream untouched, split at any byte, and reads usage from the terminal event', () => {
    const bytes = Buffer.from(RECORDED_STREAM);
    for (const step of [1, 3, 17, bytes.length]) {
      const parser = new SseParser();
      const t = new ResponsesPassthroughTranslator();
      const out = [];
      for (let i = 0; i < bytes.length; i += step) for (const ev of parser.push(bytes.subarray(i, i + step))) out.push(...t.push(ev));
      expect(out.map((e) => `event: ${e.type}\ndata: ${e.data}\n\n`).join('')).toBe(RECORDED_STREAM);
      expect(t.terminal).toBe('completed');
      expect(t.usage).toEqual({ inputTokens: 36, cachedTokens: 4, outputTokens: 87, reasoningTokens: 64, totalTokens: 123 });
    }
  });

  it('reads usage off the terminal event alone, or by parsing it whole when the text is ambiguous', () => {
    const usage = { input_tokens: 5, input_tokens_details: { cached_tokens: 1 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 12 };
    const expected = { inputTokens: 5, cachedTokens: 1, outputTokens: 7, reasoningTokens: 2, totalTokens: 12 };
    const text = 'a "usage":{"input_tokens":999} look-alike \\';
    const events = [
      { type: 'response.completed', response: { output: [{ type: 'message', content: [{ type: 'output_text', text }] }], usage } },
      // a second usage object nested in an item: the whole event is parsed and response.usage wins
      { type: 'response.incomplete', response: { output: [{ type: 'x', usage: { input_tokens: 999 } }], usage } },
    ];
    for (const event of events) {
      const t = new ResponsesPassthroughTranslator();
      const [out] = t.push({ event: event.type, data: JSON.stringify(event) });
      expect(out.data).toBe(JSON.stringify(event));
      expect(t.usage).toEqual(expected);
      expect(t.terminal).toBe(event.type === 'response.completed' ? 'completed' : 'incomplete');
    }
  });

  it("reads the usage off the text only when it is the Response's own, wherever it lies in the Response", () => {
    const usage = { input_tokens: 5, output_tokens: 7, total_tokens: 12 };
    const expected = { inputTokens: 5, cachedTokens: 0, outputTokens: 7, reasoningTokens: 0, totalTokens: 12 };
    // Its own usage first, last, and among nested objects and strings with brackets.
    const own = [
      { type: 'response.completed', response: { usage, id: 'r', output: [{ content: [{ text: '}}]]"{' }] }] } },
      { type: 'response.completed', response: { id: 'r', output: [{ content: [{ text: '[[{{' }] }], usage }, sequence_number: 3 },
      { type: 'response.completed', sequence_number: 3, response: { metadata: { a: { b: {} } }, usage, user: null } },
    ];
    for (const event of own) {
      const t = new ResponsesPassthroughTranslator();
      const [out] = t.push({ event: event.type, data: JSON.stringify(event) });
      expect(out.at).toBeDefined();
      expect(out.parsed).toBeUndefined();
      expect(t.usage).toEqual(expected);
    }
    // The one usage object of the text at another depth is not the Response's: the event is parsed, and has none.
    const elsewhere = [
      { type: 'response.completed', response: { id: 'r', metadata: { usage } } },
      { type: 'response.completed', response: { id: 'r' }, usage },
      { type: 'response.completed', response: { id: 'r', output: [{ usage }] }, sequence_number: 3 },
    ];
    for (const event of elsewhere) {
      const t = new ResponsesPassthroughTranslator();
      const [out] = t.push({ event: event.type, data: JSON.stringify(event) });
      expect(out.at).toBeUndefined();
      expect(out.parsed).toEqual(event);
      expect(t.usage.totalTokens).toBe(0);
    }
  });

  it("reads off the text the usage parsing gives, for generated Responses: usage objects and their text elsewhere, compact or spaced", () => {
    let seed = 5;
    const next = (n: number) => ((seed = (seed * 48271) % 2147483647) >>> 4) % n;
    const pick = <T>(items: T[]) => items[next(items.length)];
    const usage = () => ({ input_tokens: next(100), output_tokens: next(100), total_tokens: next(1000) });
    // Strings a client's instructions could hold, spelling a usage object or brackets.
    const strings = ['"usage":{}', '"usage":{"input_tokens":9}', '}}]]', '{{[[', '\\', '"'];
    const value = (depth: number): unknown => {
      const kind = next(depth > 3 ? 3 : 5);
      if (kind === 0) return pick(strings);
      if (kind === 1) return next(10);
      if (kind === 2) return null;
      if (kind === 3) return Array.from({ length: next(3) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: next(3) }, () => [pick(['a', 'usage', 'text']), next(3) === 0 ? usage() : value(depth + 1)]));
    };
    let read = 0;
    for (let n = 0; n < 3000; n++) {
      const response: Record<string, unknown> = { id: 'r' };
      for (const member of ['instructions', 'output', 'usage', 'metadata', 'user']) {
        if (next(2) === 1) continue;
        response[member] = member === 'usage' ? (next(4) === 0 ? null : usage()) : member === 'output' || member === 'metadata' ? value(2) : pick(strings);
      }
      let data = JSON.stringify({ type: 'response.completed', response, sequence_number: 1 }, null, pick([undefined, undefined, 2]));
      if (next(3) === 0) data = data.replaceAll('":', '": ');
      const t = new ResponsesPassthroughTranslator();
      const [out] = t.push({ event: 'response.completed', data });
      if (out.at !== undefined) read++;
      expect(t.usage).toEqual(usageFromResponses((JSON.parse(data) as { response: { usage?: unknown } }).response.usage));
    }
    expect(read).toBeGreaterThan(300);
  });

  it("reads a stored stream's usage as the parse does, whether the terminal event's walk left it to the usage's pattern or not", () => {
    const usage = (input: number, output: number) => ({ input_tokens: input, input_tokens_details: { cached_tokens: 1 }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output });
    const response = (u: unknown, text = 'Hi') => ({
      id: 'resp_1', object: 'response', created_at: 1700000000, status: 'completed', output: [{ id: 'msg_1', type: 'message', content: [{ type: 'output_text', text }] }], usage: u, user: null, metadata: {},
    });
    const event = (r: unknown, sequence = 3) => JSON.stringify({ type: 'response.completed', sequence_number: sequence, response: r });
    const events = [
      event(response(usage(5, 7))),
      event(response(usage(6, 8)), 4),
      event(response(usage(123456, 7), 'escaped \\ "quotes", \u00e9'), 12),
      event(response(usage(5, 7))).replace('"input_tokens":5,', '"input_tokens": 5,'),
      event(response({ input_tokens: 5, output_tokens: 7, total_tokens: 12 })),
      event(response(null)),
      event(response(usage(9, 9), `"usage":${JSON.stringify(usage(1, 1))}`)),
    ];
    for (const data of [...events, ...events]) {
      const t = new ResponsesPassthroughTranslator(false, true);
      const [out] = t.push({ event: 'response.completed', data });
      const parsed = JSON.parse(data) as { response: { usage: unknown } };
      expect(t.usage).toEqual(usageFromResponses(parsed.response.usage));
      expect(out.at?.stored).toBeTruthy();
      const u = data.indexOf('"usage":{"input') + 8;
      expect(out.at?.usage).toBe(parsed.response.usage === null ? -1 : u);
      if (parsed.response.usage !== null) expect(JSON.parse(data.slice(u, out.at?.usageEnd))).toEqual(parsed.response.usage);
    }
  });

  describe("a stored stream's usage read by its pattern while matching a template", () => {
    const usage = (input: number, output: number) => ({ input_tokens: input, input_tokens_details: { cached_tokens: 1 }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output });
    const event = (u: unknown) => JSON.stringify({ type: 'response.completed', sequence_number: 3, response: { id: 'resp_1', status: 'completed', output: [], usage: u, user: null, metadata: {} } });
    const stored = (data: string) => new ResponsesPassthroughTranslator(false, true).push({ event: 'response.completed', data })[0].at;
    beforeEach(() => terminalTemplates.reset());

    it('is taken only when the usage is all of its slot: not when more members follow it there', () => {
      // The template's usage slot runs to the text after it (`,"user":null,…`): here it holds the
      // compact usage and another member, which the pattern's read stops before.
      const data = event(usage(5, 7)).replace(',"user":null', ',"extra":1,"user":null');
      const fresh = stored(data);
      terminalTemplates.reset();
      stored(event(usage(6, 8)));
      const t = new ResponsesPassthroughTranslator(false, true);
      const [out] = t.push({ event: 'response.completed', data });
      expect(out.at).toEqual(fresh);
      expect(data.slice(out.at?.usage, out.at?.usageEnd)).toBe(JSON.stringify(usage(5, 7)));
      expect(t.usage).toEqual(usageFromResponses(usage(5, 7)));
    });

    it('is not kept for a later terminal event of the same translator', () => {
      // The first event matches the template and its usage is read by the pattern; the second,
      // walked (the templates dropped), has another usage at the same place.
      stored(event(usage(5, 7)));
      const t = new ResponsesPassthroughTranslator(false, true);
      const first = t.push({ event: 'response.completed', data: event(usage(6, 8)) })[0].at;
      expect(terminalTemplates.matched).toBe(1);
      expect(t.usage).toEqual(usageFromResponses(usage(6, 8)));
      terminalTemplates.reset();
      const second = t.push({ event: 'response.completed', data: event(usage(7, 9)) })[0].at;
      expect(second?.usage).toBe(first?.usage);
      expect(t.usage).toEqual(usageFromResponses(usage(7, 9)));
    });
  });

  it('parses the terminal event whole, once, for a caller that needs the Response, with the same usage', () => {
    const usage = { input_tokens: 5, output_tokens: 7, total_tokens: 12 };
    const data = JSON.stringify({ type: 'response.completed', response: { id: 'r', output: [], usage }, sequence_number: 3 });
    const plain = new ResponsesPassthroughTranslator().push({ event: 'response.completed', data })[0];
    expect(plain.parsed).toBeUndefined();
    expect(plain.at).toBeDefined();
    const t = new ResponsesPassthroughTranslator(true);
    const [ev] = t.push({ event: 'response.completed', data });
    expect(ev.at).toBeUndefined();
    expect(ev.parsed).toEqual(JSON.parse(data));
    expect([t.terminal, t.usage]).toEqual(['completed', { inputTokens: 5, cachedTokens: 0, outputTokens: 7, reasoningTokens: 0, totalTokens: 12 }]);
    expect(new OpenAIAdapter().createStreamTranslator({ needsResponse: true }).push({ event: 'response.completed', data })[0].parsed).toEqual(JSON.parse(data));
    // Text that is not JSON: its plain usage is still read, as without the request to parse.
    const broken = `${data.slice(0, -1)},}`;
    const b = new ResponsesPassthroughTranslator(true);
    expect(b.push({ event: 'response.completed', data: broken })[0]).toEqual({ type: 'response.completed', data: broken, parsed: undefined });
    expect([b.terminal, b.usage]).toEqual(['completed', t.usage]);
  });

  it('takes the type from the JSON when a compatible server omits event lines, and reads stream errors', () => {
    const t = new ResponsesPassthroughTranslator();
    expect(t.push({ event: null, data: '{"type":"response.created","response":{}}' })).toEqual([{ type: 'response.created', data: '{"type":"response.created","response":{}}' }]);
    expect(t.push({ event: null, data: '[DONE]' })).toEqual([]);
    const fresh = new ResponsesPassthroughTranslator();
    const [error] = fresh.push({ event: 'error', data: '{"type":"error","code":"server_error","message":"boom","param":null}' });
    // Before anything was created the error stands alone: the gateway may still fall back.
    expect(fresh.terminal).toBe('error');
    expect(fresh.streamError).toMatchObject({ code: 'server_error', message: 'boom' });
    expect(JSON.parse(error.data)).toMatchObject({ type: 'error', code: 'server_error', error: { type: 'server_error', code: 'server_error', message: 'boom', param: null } });
  });

  it('follows an upstream error after the response started with response.failed (Open Responses), keeping the finished items', () => {
    const t = new ResponsesPassthroughTranslator();
    const created = { type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [], usage: null, error: null, completed_at: null } };
    const item = { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] };
    t.push({ event: 'response.created', data: JSON.stringify(created) });
    t.push({ event: 'response.output_item.done', data: JSON.stringify({ type: 'response.output_item.done', sequence_number: 1, output_index: 0, item }) });
    // Real streams nest the error under `error`.
    const out = t.push({ event: 'error', data: '{"type":"error","sequence_number":2,"error":{"type":"server_error","code":"server_error","message":"boom","param":null}}' });
    expect(out.map((e) => e.type)).toEqual(['error', 'response.failed']);
    const [error, failed] = out.map((e) => JSON.parse(e.data));
    expect(error).toMatchObject({ sequence_number: 2, code: 'server_error', message: 'boom', error: { code: 'server_error' } });
    expect(failed).toEqual({ type: 'response.failed', sequence_number: 3, response: { ...created.response, status: 'failed', error: { code: 'server_error', message: 'boom' }, output: [item] } });
    expect(t.terminal).toBe('failed');
    expect(t.streamError).toEqual({ message: 'boom', code: 'server_error', type: 'server_error', param: null });
  });

  it('ends a stream the gateway cuts off the same way', () => {
    const t = new ResponsesPassthroughTranslator();
    expect(t.abort({ message: 'gone', code: 'upstream_error' }).map((e) => e.type)).toEqual(['error']);
    t.push({ event: 'response.created', data: '{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[]}}' });
    const out = t.abort({ message: 'gone', code: 'upstream_error' });
    expect(out.map((e) => [e.type, (JSON.parse(e.data) as { sequence_number: number }).sequence_number])).toEqual([['error', 1], ['response.failed', 2]]);
  });

  it("tells delta events by their type's end as endsWith does, one letter changed, dropped or added anywhere in it", () => {
    const types = ['response.output_text.delta', 'response.function_call_arguments.delta', 'response.reasoning_summary_text.delta', '.delta', 'delta', 'response.output_text.done', 'response.completed', ''];
    const variants = new Set(types);
    for (const type of types) {
      for (let i = 0; i <= type.length; i++) {
        variants.add(type.slice(0, i) + type.slice(i + 1));
        variants.add(type.slice(0, i) + 'a' + type.slice(i));
        if (i < type.length) variants.add(type.slice(0, i) + String.fromCharCode(type.charCodeAt(i) ^ 0x20) + type.slice(i + 1));
      }
    }
    let deltas = 0;
    for (const type of variants) {
      expect(isDeltaType(type)).toBe(type.endsWith('.delta'));
      if (isDeltaType(type)) deltas++;
    }
    expect(deltas).toBeGreaterThan(types.length);
    // A delta's text is counted toward the estimate of a stream cut short; any other event's is not.
    const t = new ResponsesPassthroughTranslator();
    t.push({ event: 'response.output_text.delta', data: '{"type":"response.output_text.delta","delta":"abc"}' });
    t.push({ event: 'response.output_text.deltas', data: '{"type":"response.output_text.deltas","delta":"abcd"}' });
    expect(t.streamedChars).toBe(3);
  });
});

describe('AzureOpenAIAdapter', () => {
  const adapter = new AzureOpenAIAdapter();
  const azure = provider({ name: 'azure', kind: 'azure', baseUrl: 'https://res.openai.azure.com', apiVersion: '2025-04-01-preview', deployments: { 'gpt-4o': 'prod-gpt4o' } });

  it('calls the deployment with api-key and api-version', () => {
    const upstreamModel = adapter.resolveModel(azure, 'gpt-4o');
    expect(upstreamModel).toBe('prod-gpt4o');
    const req = adapter.buildRequest({ body: { model: 'azure/gpt-4o', input: 'hi' }, upstreamModel, stream: false, provider: azure, key });
    expect(req.url).toBe('https://res.openai.azure.com/openai/responses?api-version=2025-04-01-preview');
    expect(req.headers['api-key']).toBe('sk-up');
    expect(req.headers.authorization).toBeUndefined();
    expect(JSON.parse(req.body)).toEqual({ model: 'prod-gpt4o', input: 'hi' });
  });

  it("uses Azure's v1 API when the base URL ends in /openai/v1", () => {
    const req = adapter.buildRequest({ body: { model: 'x', input: 'hi' }, upstreamModel: 'x', stream: false, provider: { ...azure, baseUrl: 'https://res.openai.azure.com/openai/v1' }, key });
    expect(req.url).toBe('https://res.openai.azure.com/openai/v1/responses');
  });
});
