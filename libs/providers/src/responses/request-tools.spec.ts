import type { ProviderConfig, UpstreamKey } from '@app/common';
import type { ProviderKind } from '../provider-registry';
import { adapterFor } from '../provider-registry';
import { rejection, testProvider } from '../testing/adapter-fixtures';
import type { ResponsesRequest } from '../types';
import codexSecondTurn from '../testing/fixtures/codex-second-turn.json';
import { toolChoiceMode } from './request-input';
import { readSingleToolChoice, readToolChoice, readTools } from './request-tools';
import { ToolNames } from './tool-names';

const provider = (kind: ProviderKind): ProviderConfig => testProvider({ name: kind, kind, baseUrl: 'https://upstream.test' });
const key: UpstreamKey = { id: 'k', value: 'key', weight: 1, models: [], aws: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', region: 'eu-west-3' } };
const TRANSLATING: ProviderKind[] = ['chat-completions', 'anthropic', 'gemini', 'bedrock', 'cohere'];
const MODELS: Record<string, string> = { anthropic: 'claude-sonnet-4-5', gemini: 'gemini-2.5-flash', bedrock: 'anthropic.claude-sonnet-4-5-20250929-v1:0', cohere: 'command-a', 'chat-completions': 'mistral-small' };

function build(kind: ProviderKind, body: Omit<ResponsesRequest, 'model'>): { wire: Record<string, unknown>; dropped: string[] | undefined } {
  const req = adapterFor(kind).buildRequest({ body: { model: 'm', ...body }, upstreamModel: MODELS[kind], stream: false, provider: provider(kind), key });
  return { wire: JSON.parse(req.body) as Record<string, unknown>, dropped: req.droppedTools };
}

const weather = { type: 'function', name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
const crm = {
  type: 'namespace', name: 'crm', description: 'Customer records.',
  tools: [{ type: 'function', name: 'lookup', description: 'Find a customer.', parameters: { type: 'object', properties: { id: { type: 'string' } } } }],
};

describe('ToolNames: namespaced functions flattened and back', () => {
  it('joins namespace and name, and maps a call back to both', () => {
    const names = ToolNames.of({ model: 'm', tools: [weather, crm] });
    expect(names.upstream('lookup', 'crm')).toBe('crm__lookup');
    expect(names.upstream('weather', null)).toBe('weather');
    expect(names.client('crm__lookup')).toEqual({ name: 'lookup', namespace: 'crm' });
    expect(names.client('weather')).toEqual({ name: 'weather', namespace: null });
    // A name from a request without namespaces is itself.
    expect(ToolNames.of({ model: 'm', tools: [weather] }).client('crm__lookup')).toEqual({ name: 'crm__lookup', namespace: null });
  });

  it('hashes names that are too long, taken, or not safe for every provider, the same way every time', () => {
    const long = 'x'.repeat(70);
    const body = {
      model: 'm',
      tools: [
        { type: 'function', name: 'a__b' },
        { type: 'namespace', name: 'a', description: '', tools: [{ type: 'function', name: 'b' }, { type: 'function', name: long }] },
        { type: 'namespace', name: 'my.ns', description: '', tools: [{ type: 'function', name: 'f' }] },
      ],
    };
    const names = ToolNames.of(body);
    const flat = [names.upstream('b', 'a'), names.upstream(long, 'a'), names.upstream('f', 'my.ns')];
    expect(flat[0]).toMatch(/^a__b_[0-9a-f]{8}$/);
    expect(flat[1]).toHaveLength(64);
    expect(flat[2]).toMatch(/^my_ns__f_[0-9a-f]{8}$/);
    for (const f of flat) expect(f).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(flat.map((f) => names.client(f))).toEqual([{ name: 'b', namespace: 'a' }, { name: long, namespace: 'a' }, { name: 'f', namespace: 'my.ns' }]);
    expect(ToolNames.of(body).upstream(long, 'a')).toBe(flat[1]);
  });
});

describe('readTools / readToolChoice', () => {
  it('flattens namespaces (with their description) and drops hosted tools the provider lacks, once each', () => {
    const tools = readTools({
      model: 'm',
      tools: [weather, crm, { type: 'web_search' }, { type: 'file_search', vector_store_ids: ['vs'] }, { type: 'web_search' }, { type: 'mcp', server_label: 'wiki' }, { type: 'custom', name: 'apply_patch' }],
    });
    expect(tools.functions.map((f) => [f.name, f.description])).toEqual([['weather', null], ['crm__lookup', 'Customer records.\n\nFind a customer.']]);
    expect(tools.webSearch).toBeNull();
    expect(tools.dropped).toEqual(['web_search', 'file_search', 'mcp:wiki', 'custom:apply_patch']);
  });

  it('keeps web search where the provider serves it, with its domains and location', () => {
    const tools = readTools(
      { model: 'm', tools: [{ type: 'web_search', filters: { allowed_domains: ['a.test'] }, user_location: { type: 'approximate', city: 'Paris', country: 'FR' } }] },
      { webSearch: () => true },
    );
    expect(tools.webSearch).toEqual({ allowedDomains: ['a.test'], userLocation: { city: 'Paris', country: 'FR' } });
    expect(tools.dropped).toEqual([]);
  });

  it('forces a namespaced function by its flat name; forcing a dropped hosted tool is the one 400', () => {
    const body = (tool_choice: unknown, tools: unknown[] = [weather, crm, { type: 'file_search' }]): ResponsesRequest => ({ model: 'm', tools, tool_choice });
    const choice = (b: ResponsesRequest) => readToolChoice(b, 'p', readTools(b));
    expect(choice(body({ type: 'function', name: 'lookup', namespace: 'crm' }))).toEqual({ type: 'function', name: 'crm__lookup' });
    expect(choice(body('required'))).toEqual({ type: 'required' });
    expect(choice(body({ type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'lookup', namespace: 'crm' }, { type: 'file_search' }] })))
      .toEqual({ type: 'allowed_tools', mode: 'required', names: ['crm__lookup'] });
    expect(toolChoiceMode(choice(body({ type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'weather' }] })))).toEqual({ mode: 'required', names: ['weather'] });
    expect(toolChoiceMode(choice(body('none')))).toEqual({ mode: 'none' });
    expect(choice({ model: 'm' })).toBeNull();

    expect(rejection(() => choice(body({ type: 'file_search' })))).toMatchObject({
      status: 400, param: 'tool_choice', message: "p does not support forcing the hosted tool 'file_search' with tool_choice (it has no equivalent there) through /v1/responses.",
    });
    expect(rejection(() => choice(body('required', [{ type: 'web_search' }]))).message).toContain("forcing the hosted tool 'web_search'");
    expect(rejection(() => choice(body({ type: 'allowed_tools', mode: 'required', tools: [{ type: 'file_search' }] }))).param).toBe('tool_choice');
    const allowed = body({ type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'weather' }] });
    expect(rejection(() => readSingleToolChoice(allowed, 'mistral', readTools(allowed)))).toMatchObject({
      status: 400, message: "mistral does not support tool_choice 'allowed_tools' through /v1/responses.", param: 'tool_choice',
    });
  });

  it.each(TRANSLATING)('%s: a hosted tool the model merely might use is dropped and reported, never a 400', (kind) => {
    const { wire, dropped } = build(kind, { input: 'x', tools: [weather, { type: 'code_interpreter', container: { type: 'auto' } }, { type: 'image_generation' }] });
    expect(dropped).toEqual(['code_interpreter', 'image_generation']);
    expect(JSON.stringify(wire)).not.toContain('code_interpreter');
    expect(rejection(() => build(kind, { input: 'x', tools: [weather, { type: 'image_generation' }], tool_choice: { type: 'image_generation' } })).status).toBe(400);
  });
});

describe("Codex's real request (fixture recorded from codex exec 0.171)", () => {
  const body = codexSecondTurn as unknown as Omit<ResponsesRequest, 'model'>;

  it.each(TRANSLATING)('%s: builds, namespace flattened, web search translated or reported', (kind) => {
    const { wire, dropped } = build(kind, body);
    const text = JSON.stringify(wire);
    expect(text).toContain('multi_agent_v1__wait_agent');
    expect(text).toContain('exec_command');
    expect(text).not.toContain('"namespace"');
    // The reasoning item came from another provider (OpenAI's encrypted content): never sent on.
    expect(text).not.toContain('enc-abc');
    expect(dropped).toEqual(kind === 'anthropic' ? [] : ['web_search']);
  });

  it('anthropic: web search becomes its server tool beside the functions', () => {
    const tools = build('anthropic', body).wire.tools as Record<string, unknown>[];
    expect(tools.at(-1)).toEqual({ type: 'web_search_20250305', name: 'web_search' });
    expect(tools.filter((t) => t.type === undefined).map((t) => t.name)).toContain('multi_agent_v1__spawn_agent');
  });

  it('gemini: Google Search grounding when no function is offered beside it, and it cannot be forced', () => {
    expect(build('gemini', { input: 'x', tools: [{ type: 'web_search_preview' }] })).toEqual({ wire: expect.objectContaining({ tools: [{ googleSearch: {} }] }), dropped: [] });
    expect(rejection(() => build('gemini', { input: 'x', tools: [{ type: 'web_search' }], tool_choice: { type: 'web_search' } })).message).toBe(
      'gemini does not support forcing web search with tool_choice through /v1/responses.',
    );
  });
});
