import { type ExtraFields, responseWithExtraFields } from './extra-fields';

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
