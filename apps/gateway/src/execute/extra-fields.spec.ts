import type { CostBreakdown } from '@app/pricing';
import { ResponsesPassthroughTranslator } from '@app/providers/openai/openai-stream';
import { type ParsedResponse, ZERO_USAGE } from '@app/providers';
import { OpenAIAdapter } from '@app/providers/openai/openai.adapter';
import type { Candidate } from '../routing/route-planner.service';
import { EventFieldInjector, eventFieldInjector, type ExtraFields, extraFields, extraFieldsJson, keptFrameTexts, splicedResponse, spliceTerminalEvent, withExtraFields } from './extra-fields';

const extra: ExtraFields = {
  request_type: 'responses', provider: 'openai', model_requested: 'openai/gpt-4o', model_deployment: 'gpt-4o', fallback_index: 0,
  latency: 12, cache_debug: null,
};

describe('splicedResponse', () => {
  const cost: CostBreakdown = { input_tokens_cost: 0.001, output_tokens_cost: 0.002, reasoning_tokens_cost: 0, request_cost: 0, total_cost: 0.003 };
  const fieldsJson = JSON.stringify(extra);
  const adapter = new OpenAIAdapter();
  /** The body parsed whole, as a translating adapter hands it (no walk of the text). */
  const unwalked = (json: string): ParsedResponse => ({ response: JSON.parse(json), usage: ZERO_USAGE, json });
  /** What setting the fields on the parsed body and re-serialising gives (the slow path). */
  const reference = (json: string, withCost: boolean) => JSON.parse(JSON.stringify(withExtraFields(JSON.parse(json), extra, withCost ? cost : null)));

  it('splices extra_fields and usage.cost into a pass-through body, equal to re-serialising it', () => {
    const tricky = JSON.stringify('a "usage":{"input_tokens":9} look-alike \\ {');
    const bodies = [
      '{"id":"resp_1","output":[],"usage":null}', '{\n  "id": "resp_1"\n}\n', '{}', '{ }',
      '{"id":"resp_1","usage":{"input_tokens":3,"output_tokens":4}}', '{"usage":{ },"id":"r"}',
      `{"output":[{"type":"message","content":[{"type":"output_text","text":${tricky}}]}],"usage":{"input_tokens":1}}`,
      '{"output":[{"usage":{"a":1}}],"usage":{"b":2}}',
    ];
    for (const body of bodies) {
      for (const withCost of [false, true]) {
        for (const parsed of [adapter.parseResponse(body), unwalked(body)]) {
          const out = splicedResponse(parsed, fieldsJson, withCost ? cost : null);
          if (out === undefined) {
            // only a body parsed whole whose usage the text cannot place is left to serialising
            expect([parsed.usageAt, withCost, body.includes('"output":[{')]).toEqual([undefined, true, true]);
            continue;
          }
          expect(JSON.parse(out)).toEqual(reference(body, withCost));
        }
      }
    }
  });

  it("puts the cost into the Response's own usage, which the walk tells from look-alikes", () => {
    const body = '{"output":[{"type":"x","usage":{"a":1}}],"usage":{"input_tokens":2}}';
    const out = splicedResponse(adapter.parseResponse(body), fieldsJson, cost)!;
    expect(JSON.parse(out).usage).toEqual({ cost, input_tokens: 2 });
    expect(out.startsWith('{"output":[{"type":"x","usage":{"a":1}}],"usage":{"cost":')).toBe(true);
  });

  it('leaves a usage that has a cost of its own to the object path, which replaces it', () => {
    for (const body of ['{"usage":{"input_tokens":2,"cost":0.5}}', '{\n  "usage": {\n    "cost" : {"total": 1}\n  }\n}']) {
      const parsed = adapter.parseResponse(body);
      expect(splicedResponse(parsed, fieldsJson, cost)).toBeUndefined();
      expect(splicedResponse(parsed, fieldsJson, null)).toBe(`${body.slice(0, body.lastIndexOf('}'))},"extra_fields":${fieldsJson}}`);
      expect(JSON.parse(JSON.stringify(withExtraFields(parsed.response, extra, cost))).usage.cost).toEqual(cost);
    }
    // a cost after the usage object is not its own
    const after = '{"usage":{"input_tokens":2},"metadata":{"cost":"x"}}';
    expect(JSON.parse(splicedResponse(adapter.parseResponse(after), fieldsJson, cost)!).usage).toEqual({ cost, input_tokens: 2 });
  });

  it('leaves to serialising a translated response, and a body that has extra_fields already', () => {
    expect(splicedResponse({ response: { id: 'resp_1' }, usage: ZERO_USAGE }, fieldsJson, null)).toBeUndefined();
    const body = '{"id":"resp_1","extra_fields":{"x":1}}';
    expect(splicedResponse(adapter.parseResponse(body), fieldsJson, null)).toBeUndefined();
    expect(splicedResponse(unwalked(body), fieldsJson, null)).toBeUndefined();
  });
});

describe('extraFieldsJson', () => {
  const candidate = { label: 'openai/gpt-4o', provider: { name: 'openai' }, model: 'gpt-4o', upstreamModel: 'gpt-4o-2024' } as unknown as Candidate;

  it('equals serialising the fields, for each request a candidate serves', () => {
    for (const [type, requested, index, latency] of [['responses', 'openai/gpt-4o', 0, 12], ['responses', 'openai/gpt-4o', 0, 7], ['chat_completions', 'x/y', 2, 0], ['responses', 'openai/gpt-4o', 1, 3]] as const) {
      const expected = { ...extraFields(type, candidate, requested, index), latency };
      expect(extraFieldsJson(type, candidate, requested, index, latency)).toBe(JSON.stringify(expected));
    }
  });
});

describe('EventFieldInjector', () => {
  const candidate = { label: 'openai/gpt-4o', provider: { name: 'openai' }, model: 'gpt-4o', upstreamModel: 'gpt-4o-2024' } as unknown as Candidate;

  it("frames an event with the stream's fields and its chunk index, and anything but an object as it came", () => {
    const injector = new EventFieldInjector(extra);
    const data = '{"type":"response.output_text.delta","delta":"é \\"}"}';
    const frame = injector.frame('response.output_text.delta', data, 7);
    expect(frame.startsWith('event: response.output_text.delta\ndata: ')).toBe(true);
    expect(frame.endsWith('\n\n')).toBe(true);
    expect(JSON.parse(frame.slice('event: response.output_text.delta\ndata: '.length, -2))).toEqual({ ...JSON.parse(data), extra_fields: { ...extra, chunk_index: 7 } });
    for (const text of ['[DONE]', '[1]', '{}x', '"}"', '{}']) expect(injector.frame('x', text, 1)).toBe(`event: x\ndata: ${text}\n\n`);
  });

  it("frames an event from the upstream's own text (its head) as it frames it from its type and data, past the kept indices too", () => {
    const type = 'response.output_text.delta';
    const data = '{"type":"response.output_text.delta","delta":"é"}';
    const head = `event: ${type}\ndata: ${data.slice(0, -1)}`;
    // Twice from the candidate's text (kept between streams), and once on its own.
    const injectors = [eventFieldInjector('responses', candidate, 'openai/gpt-4o', 0), eventFieldInjector('responses', candidate, 'openai/gpt-4o', 0), new EventFieldInjector(extra)];
    for (const injector of injectors) {
      for (let i = 0; i < 200; i += i < 70 ? 1 : 37) {
        const frame = injector.frame(type, data, i);
        expect(injector.frame(type, data, i, head)).toBe(frame);
        expect(JSON.parse(frame.slice(`event: ${type}\ndata: `.length, -2)).extra_fields.chunk_index).toBe(i);
      }
      // Data that takes no fields goes out as it came, the head unused.
      expect(injector.frame('x', '[DONE]', 3, 'event: x\ndata: [DONE')).toBe('event: x\ndata: [DONE]\n\n');
    }
  });

  it('keeps a bounded number of frame texts, whatever model names clients stream for', () => {
    for (let i = 0; i < 300; i++) {
      const requested = `openai/${'m'.repeat(200)}-${i}`;
      const injector = eventFieldInjector('responses', candidate, requested, i % 2);
      expect(injector.frame('x', '{"a":1}', 5)).toBe(new EventFieldInjector(extraFields('responses', candidate, requested, i % 2)).frame('x', '{"a":1}', 5));
      expect(keptFrameTexts()).toBeLessThanOrEqual(64);
    }
  });

  it("takes the candidate's text, equal to serialising the fields, dropped tools included", () => {
    for (const [type, requested, index, dropped] of [['responses', 'openai/gpt-4o', 0, undefined], ['responses', 'openai/gpt-4o', 0, []], ['chat_completions', 'x/y', 2, undefined], ['responses', 'openai/gpt-4o', 1, ['web_search']], ['responses', 'openai/gpt-4o', 1, undefined]] as const) {
      const made = extraFields(type, candidate, requested, index, dropped === undefined ? undefined : [...dropped]);
      const injector = eventFieldInjector(type, candidate, requested, index, dropped === undefined ? undefined : [...dropped]);
      expect(injector.extra).toEqual(made);
      expect(injector.frame('x', '{"a":1}', 3)).toBe(new EventFieldInjector(made).frame('x', '{"a":1}', 3));
      expect(JSON.parse(injector.terminalFields(5, 3))).toEqual({ ...made, chunk_index: 3, latency: 5 });
    }
  });
});

describe('spliceTerminalEvent', () => {
  const fields = { ...extra, chunk_index: 9 };
  const cost: CostBreakdown = { input_tokens_cost: 0.001, output_tokens_cost: 0.002, reasoning_tokens_cost: 0, request_cost: 0, total_cost: 0.003 };
  const completed = (response: string, tail = ',"sequence_number":9') => `{"type":"response.completed","response":${response}${tail}}`;
  /** What parsing, setting the fields and re-serialising gives (the slow path). */
  const reference = (data: string, withCost: boolean) => {
    const event = JSON.parse(data);
    event.extra_fields = fields;
    event.response.extra_fields = fields;
    if (withCost && typeof event.response.usage === 'object' && event.response.usage !== null) event.response.usage.cost = cost;
    return event;
  };

  it('equals the parsed-and-re-serialised event for the shapes upstreams send', () => {
    const tricky = JSON.stringify('she wrote "usage":{ and "response":{"x":1} \\ "extra" {[');
    const bodies = [
      completed('{"id":"r","output":[],"usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}'),
      completed(`{"id":"r","output":[{"type":"message","content":[{"type":"output_text","text":${tricky}}]}],"usage":{"input_tokens":1}}`),
      completed('{"id":"r","usage":{}}'),
      completed('{}'),
      completed('{ }', ''),
      completed('{"id":"r","usage":null}'),
      completed('{"id":"r"}'),
      '{"response":{"usage":{"input_tokens":2}},"type":"response.incomplete"}\n',
      '{ "type" : "response.completed", "response": {"usage": {"input_tokens": 2}} }',
    ];
    for (const data of bodies) {
      for (const withCost of [true, false]) {
        const out = spliceTerminalEvent(data, JSON.stringify(fields), withCost ? cost : null);
        if (data.includes('"response": {')) {
          expect(out).toBeUndefined(); // not the compact spelling: left to the slow path
          continue;
        }
        expect(out).toBeDefined();
        expect(JSON.parse(out!)).toEqual(reference(data, withCost));
      }
    }
  });

  it('leaves to the slow path what it cannot splice safely', () => {
    const f = JSON.stringify(fields);
    // a second usage object (nested in an output item), or none at the response's depth
    expect(spliceTerminalEvent(completed('{"output":[{"usage":{"a":1}}],"usage":{"b":2}}'), f, cost)).toBeUndefined();
    expect(spliceTerminalEvent(completed('{"output":[{"usage":{"a":1}}],"usage":null}'), f, cost)).toBeUndefined();
    // fields already there: splicing would repeat a key
    expect(spliceTerminalEvent(completed('{"usage":{"cost":{"total_cost":1}}}'), f, cost)).toBeUndefined();
    expect(spliceTerminalEvent(completed('{"extra_fields":{}}'), f, null)).toBeUndefined();
    // no response object, two of them, or not an object at all
    expect(spliceTerminalEvent('{"type":"response.completed","response":null}', f, null)).toBeUndefined();
    expect(spliceTerminalEvent(completed('{"output":[{"response":{}}]}'), f, null)).toBeUndefined();
    expect(spliceTerminalEvent('[1]', f, null)).toBeUndefined();
  });

  it('takes the usage position the translator found, and the fields the injector builds', () => {
    const { latency: _latency, ...perStream } = extra;
    const injector = new EventFieldInjector(perStream);
    expect(JSON.parse(injector.terminalFields(12, 9))).toEqual({ ...perStream, latency: 12, chunk_index: 9 });
    const data = completed('{"id":"r","output":[{"type":"message","content":[]}],"usage":{"input_tokens":3}}');
    const [ev] = new ResponsesPassthroughTranslator().push({ event: 'response.completed', data });
    const usage = data.indexOf('"usage":{') + '"usage":'.length;
    expect(ev.at).toEqual({ response: data.indexOf('"response":{') + '"response":'.length, usage, usageEnd: data.indexOf('}', usage) + 1 });
    expect(ev.parsed).toBeUndefined();
    const out = spliceTerminalEvent(data, injector.terminalFields(12, 9), cost, ev.at);
    const event = JSON.parse(data);
    const f = { ...perStream, latency: 12, chunk_index: 9 };
    expect(JSON.parse(out!)).toEqual({ ...event, extra_fields: f, response: { ...event.response, extra_fields: f, usage: { input_tokens: 3, cost } } });
    // The same text as when the usage object is searched for.
    expect(out).toBe(spliceTerminalEvent(data, injector.terminalFields(12, 9), cost));
  });

  it('refuses a usage the translator found that has a cost already, but not a cost outside it', () => {
    const f = JSON.stringify(fields);
    const costly = completed('{"usage":{"input_tokens":3,"cost":{"total_cost":1}}}');
    const [ev] = new ResponsesPassthroughTranslator().push({ event: 'response.completed', data: costly });
    expect(ev.at).toBeDefined();
    expect(spliceTerminalEvent(costly, f, cost, ev.at)).toBeUndefined();
    const after = completed('{"usage":{"input_tokens":3},"metadata":{"cost":"x"}}');
    const [afterEv] = new ResponsesPassthroughTranslator().push({ event: 'response.completed', data: after });
    const out = spliceTerminalEvent(after, f, cost, afterEv.at);
    expect(out).toBe(spliceTerminalEvent(after, f, cost));
    expect(JSON.parse(out!).response.usage).toEqual({ cost, input_tokens: 3 });
  });
});
