import type { ProviderConfig, UpstreamKey } from '@app/common';
import type { ProviderKind } from '../provider-registry';
import { adapterFor } from '../provider-registry';
import { rejection, testProvider } from '../testing/adapter-fixtures';
import type { ResponsesRequest } from '../types';
import { readInput, splitSystem } from './request-input';

const provider = (kind: ProviderKind): ProviderConfig => testProvider({ name: kind, kind, baseUrl: 'https://upstream.test' });
const key: UpstreamKey = { id: 'k', value: 'key', weight: 1, models: [], aws: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', region: 'eu-west-3' } };
const TRANSLATING: ProviderKind[] = ['chat-completions', 'anthropic', 'gemini', 'bedrock', 'cohere'];

function build(kind: ProviderKind, body: Omit<ResponsesRequest, 'model'>): Record<string, unknown> {
  const req = adapterFor(kind).buildRequest({ body: { model: 'm', ...body }, upstreamModel: 'anthropic.claude-model', stream: false, provider: provider(kind), key });
  return JSON.parse(req.body) as Record<string, unknown>;
}

const tool = { type: 'function', name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

describe('readInput (shared by every translating adapter)', () => {
  it.each(TRANSLATING)('%s: skips references to earlier reasoning, refuses other item_references with a 400', (kind) => {
    const withReasoningRef = [{ role: 'user', content: 'hi' }, { type: 'item_reference', id: 'rs_1' }, { role: 'user', content: 'again' }];
    expect(build(kind, { input: withReasoningRef })).toEqual(build(kind, { input: [withReasoningRef[0], withReasoningRef[2]] }));

    const err = rejection(() => build(kind, { input: [{ role: 'user', content: 'hi' }, { type: 'item_reference', id: 'msg_1' }] }));
    expect(err).toMatchObject({
      status: 400,
      message: `${kind} does not support 'item_reference' input items (stored responses); send the items themselves, e.g. with store: false through /v1/responses.`,
      param: 'input[1]',
    });
  });

  it('reads instructions, messages, calls, named outputs and reasoning in order', () => {
    const items = readInput({
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Metric.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Weather?' }, { type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/AA==' }, { type: 'input_image', image_url: 'https://x.test/cat.png' }] },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'a' }, { type: 'summary_text', text: 'b' }], encrypted_content: 'sig' },
        { type: 'function_call', call_id: 'c1', name: 'weather', arguments: { city: 'Paris' } },
        { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_text', text: '20C' }, { type: 'input_text', text: 'sunny' }] },
        { role: 'user', content: [{ type: 'input_file', filename: 'a.pdf', file_data: 'JVBERi0x' }, { type: 'input_file', file_url: 'https://x.test/b.csv' }] },
      ],
    }, 'p');
    expect(items).toEqual([
      { kind: 'message', role: 'system', parts: [{ type: 'text', text: 'Be brief.' }] },
      { kind: 'message', role: 'developer', parts: [{ type: 'text', text: 'Metric.' }] },
      {
        kind: 'message', role: 'user', parts: [
          { type: 'text', text: 'Weather?' },
          { type: 'image', url: 'data:image/jpeg;base64,/9j/AA==', detail: null, mimeType: 'image/jpeg', data: '/9j/AA==' },
          { type: 'image', url: 'https://x.test/cat.png', detail: null, mimeType: 'image/png', data: null },
        ],
      },
      { kind: 'reasoning', text: 'a\n\nb', encryptedContent: 'sig' },
      { kind: 'function_call', callId: 'c1', name: 'weather', arguments: '{"city":"Paris"}' },
      {
        kind: 'function_call_output', callId: 'c1', name: 'weather', output: '20C\nsunny',
        parts: [{ type: 'text', text: '20C' }, { type: 'text', text: 'sunny' }],
      },
      {
        kind: 'message', role: 'user', parts: [
          { type: 'file', filename: 'a.pdf', fileData: 'JVBERi0x', fileUrl: null, mimeType: 'application/pdf', data: 'JVBERi0x' },
          { type: 'file', filename: null, fileData: null, fileUrl: 'https://x.test/b.csv', mimeType: 'text/csv', data: null },
        ],
      },
    ]);
    const { system, turns } = splitSystem(items);
    expect(system).toEqual(['Be brief.', 'Metric.']);
    expect(turns.map((t) => t.kind)).toEqual(['message', 'reasoning', 'function_call', 'function_call_output', 'message']);
  });

  it.each(TRANSLATING)('%s: drops web_search_call items (the search ran at the provider) and sends namespaced calls flat', (kind) => {
    const tools = [{ type: 'namespace', name: 'crm', description: 'CRM', tools: [{ ...tool, name: 'lookup' }] }];
    const input = [
      { role: 'user', content: 'hi' },
      { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'x' } },
      { type: 'function_call', call_id: 'c1', name: 'lookup', namespace: 'crm', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c1', output: 'ok' },
    ];
    const flat = [input[0], { ...input[2], name: 'crm__lookup', namespace: undefined }, input[3]];
    const flatTools = [{ ...tool, name: 'crm__lookup', description: 'CRM' }];
    expect(build(kind, { input, tools })).toEqual(build(kind, { input: flat, tools: flatTools }));
  });
});
