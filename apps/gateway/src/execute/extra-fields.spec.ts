import type { CostBreakdown } from '@app/pricing';
import { ResponsesPassthroughTranslator } from '@app/providers/openai/openai-stream';
import { EventFieldInjector, type ExtraFields, responseWithExtraFields, spliceTerminalEvent } from './extra-fields';

const extra: ExtraFields = {
  request_type: 'responses', provider: 'openai', model_requested: 'openai/gpt-4o', model_deployment: 'gpt-4o', fallback_index: 0,
  latency: 12, cache_debug: null,
};

describe('responseWithExtraFields', () => {
  it('splices extra_fields into a pass-through body, equal to re-serialising it', () => {
    for (const body of ['{"id":"resp_1","output":[],"usage":null}', '{\n  "id": "resp_1"\n}\n', '{}', '{ }']) {
      const out = responseWithExtraFields(JSON.parse(body), body, extra);
      expect(JSON.parse(out)).toEqual({ ...JSON.parse(body), extra_fields: extra });
    }
  });

  it('serialises when there is no upstream text, or the upstream already sent extra_fields', () => {
    const translated = { id: 'resp_1' };
    expect(responseWithExtraFields(translated, undefined, extra)).toBe(JSON.stringify({ id: 'resp_1', extra_fields: extra }));
    const body = '{"id":"resp_1","extra_fields":{"x":1}}';
    expect(JSON.parse(responseWithExtraFields(JSON.parse(body), body, extra))).toEqual({ id: 'resp_1', extra_fields: extra });
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
    expect(ev.usageAt).toBe(data.indexOf('"usage":{') + '"usage":'.length);
    expect(ev.parsed).toBeUndefined();
    const out = spliceTerminalEvent(data, injector.terminalFields(12, 9), cost, ev.usageAt);
    const event = JSON.parse(data);
    const f = { ...perStream, latency: 12, chunk_index: 9 };
    expect(JSON.parse(out!)).toEqual({ ...event, extra_fields: f, response: { ...event.response, extra_fields: f, usage: { input_tokens: 3, cost } } });
  });
});
