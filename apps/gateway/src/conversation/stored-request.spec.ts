import { requestFieldsJson } from './stored-request';

describe('requestFieldsJson', () => {
  it('writes the stored request fields as JSON.stringify does, whatever their values', () => {
    const requests: Record<string, unknown>[] = [
      {},
      { model: 'openai/gpt-4o-mini' },
      { model: 'openai/gpt-4o-mini', stream: true, store: false },
      { temperature: 0.7, top_p: 1, max_output_tokens: 1e21, top_logprobs: -0, user: null, parallel_tool_calls: false },
      { temperature: 1e-7, max_output_tokens: 2 ** 53 + 2, top_p: -1.5 },
      // Not a stored field (knownRequestFields drops it): serialised whole, its key escaped.
      { model: 'm', 'not "stored"': 'x' },
      { model: 'a "quoted" \\ name', stream: true },
      { instructions: 'caf\u00e9 \u2028 \n \u0000 \ud800' },
      { temperature: Number.NaN, model: 'm' },
      { max_output_tokens: Number.POSITIVE_INFINITY },
      { model: 'm', tools: [{ type: 'function', name: 'f', parameters: {} }], text: { format: { type: 'text' } } },
      { model: 'm', metadata: { a: '1' } },
      { model: 'm', reasoning: null, prompt: undefined },
    ];
    for (const request of requests) expect(requestFieldsJson(request)).toBe(JSON.stringify(request));
  });
});
