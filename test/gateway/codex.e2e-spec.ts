import OpenAI from 'openai';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { FAKE_AWS_CREDENTIALS } from '../../apps/fake-upstream/src/bedrock-format';
import { CodexHome, type CodexRun } from '../support/codex';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { FAST } from '../support/provider-scenarios';

/**
 * OpenAI's Codex CLI (`codex exec`, the real binary of the @openai/codex devDependency) doing
 * a task through the gateway on every provider: the fake model asks for a shell command
 * (`[[tool:exec_command]]`), Codex runs it, and the model's answer reports its output. Codex
 * sends what it sends to OpenAI: function tools, a namespace tool, web_search, reasoning with
 * encrypted content and store: false, the whole history back on every request.
 *
 * The runs start together in beforeAll (each is a process of its own) and every test awaits
 * its own, so the file takes about as long as its slowest run.
 */
describe('Codex CLI through the gateway, on every provider', () => {
  let h: GatewayHarness;
  let fake: FakeUpstream;
  let key: string;
  const homes: CodexHome[] = [];

  const PROVIDERS = {
    openai: 'openai/gpt-4o-mini',
    azure: 'azure/gpt-4o',
    anthropic: 'anthropic/claude-sonnet-4-5',
    gemini: 'gemini/gemini-3-flash-preview',
    bedrock: 'bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0',
    cohere: 'cohere/command-a-03-2025',
    mistral: 'mistral/mistral-small-latest',
  } as const;
  type Name = keyof typeof PROVIDERS;
  const runs = new Map<string, Promise<CodexRun>>();

  // The runs share the machine: a test may wait for its run well past Jest's default 30 s on a busy one.
  const RUN_TIMEOUT_MS = 90_000;
  const shellTask = (name: string) => `Check the build. [[tool:exec_command]] [[tool-args:{"cmd":"echo codex-ok-${name}"}]]`;

  /** A Codex home of its own per run: sessions (for resume) stay apart. */
  function codex(config: string[] = []): CodexHome {
    const home = new CodexHome(h.url, config);
    homes.push(home);
    return home;
  }

  beforeAll(async () => {
    fake = await createFakeUpstream();
    h = await startGatewayHarness(({ upstream }) => ({
      azure: { base_url: upstream, keys: [{ value: 'az-key' }], deployments: { 'gpt-4o': 'prod-gpt4o' }, ...FAST },
      anthropic: { base_url: fake.url, keys: [{ value: 'sk-ant' }], ...FAST },
      gemini: { base_url: fake.url, keys: [{ value: 'gemini-key' }], ...FAST },
      bedrock: { base_url: fake.url, keys: [{ access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey, region: 'us-west-2' }], ...FAST },
      cohere: { base_url: fake.url, keys: [{ value: 'co-key' }], ...FAST },
      mistral: { base_url: `${fake.url}/v1`, keys: [{ value: 'sk-mistral' }], ...FAST },
    }));
    key = (await h.createKey({ name: 'codex' })).key;

    // Reasoning on where the provider round-trips it; Bedrock without a summary (honoured).
    const effort = ['model_reasoning_effort = "low"'];
    for (const name of Object.keys(PROVIDERS) as Name[]) {
      if (name === 'anthropic') continue;
      const config = name === 'bedrock' ? [...effort, 'model_reasoning_summary = "none"'] : name === 'gemini' ? effort : [];
      runs.set(name, codex(config).run(key, PROVIDERS[name], shellTask(name)));
    }
    // Anthropic's thread gets a second turn, after the first: the whole history goes back.
    const anthropicHome = codex(effort);
    const first = anthropicHome.run(key, PROVIDERS.anthropic, shellTask('anthropic'), { keep: true });
    runs.set('anthropic', first);
    runs.set('anthropic-2', first.then((r) => anthropicHome.run(key, PROVIDERS.anthropic, 'Thanks, that is all. [[reply:All done, the build is fine.]]', { resume: r.threadId ?? 'missing-thread' })));
    // A function of Codex's `multi_agent_v1` namespace, called by its flattened name.
    runs.set('namespace', codex().run(key, PROVIDERS.gemini, 'Close it. [[tool:multi_agent_v1__close_agent]] [[tool-args:{"target":"no-such-agent"}]]'));
  });

  afterAll(async () => {
    await Promise.allSettled(runs.values());
    for (const home of homes) home.remove();
    await h?.close();
    await fake?.close();
  });

  /** The run ended well: the command ran, and the model's answer (Codex's last message) reports its output. */
  function expectShellTask(run: CodexRun, name: string): void {
    const detail = `stderr: ${run.stderr.slice(-2000)}\nevents: ${JSON.stringify(run.events).slice(-3000)}`;
    expect({ code: run.code, detail }).toEqual({ code: 0, detail });
    const commands = CodexHome.items(run, 'command_execution');
    expect(commands).toEqual([expect.objectContaining({ command: expect.stringContaining(`echo codex-ok-${name}`), exit_code: 0, aggregated_output: `codex-ok-${name}\n` })]);
    expect(run.answer).toMatch(new RegExp(`^Tool said: [\\s\\S]*codex-ok-${name}`));
    expect(run.events.at(-1)?.type).toBe('turn.completed');
  }

  it.each(Object.keys(PROVIDERS) as Name[])('%s: runs a shell command and answers with its output', async (name) => {
    expectShellTask(await runs.get(name)!, name);
  }, RUN_TIMEOUT_MS);

  it('anthropic: thinking (summary shown) goes back signed inside the turn and on the next one', async () => {
    const first = await runs.get('anthropic')!;
    const second = await runs.get('anthropic-2')!;
    expectShellTask(first, 'anthropic');
    expect(CodexHome.items(first, 'reasoning').map((r) => r.text)).toContain('Let me think about that.');
    expect(second.code).toBe(0);
    expect(second.threadId).toBe(first.threadId);
    expect(second.answer).toBe('All done, the build is fine.');
    // The fake refuses thinking it did not sign, and a thinking tool loop whose thinking was lost;
    // here the last request carried the first turn whole, thinking first in its tool-use turn.
    const sent = fake.requests.filter((r) => r.path === '/v1/messages' && JSON.stringify(r.body).includes('All done, the build'));
    expect(sent).toHaveLength(1);
    const messages = (sent[0].body as { messages: { role: string; content: { type: string }[] }[] }).messages;
    const toolTurn = messages.find((m) => m.role === 'assistant' && m.content.some((b) => b.type === 'tool_use'))!;
    expect(toolTurn.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    // Codex's web_search became Anthropic's server tool, beside its (flattened) functions.
    const tools = (sent[0].body as { tools: { name: string; type?: string }[] }).tools;
    expect(tools).toContainEqual({ type: 'web_search_20250305', name: 'web_search' });
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['exec_command', 'multi_agent_v1__spawn_agent']));
  }, RUN_TIMEOUT_MS);

  it('bedrock: reasoning without a summary still goes back (signed) for the tool result', async () => {
    const run = await runs.get('bedrock')!;
    expect(CodexHome.items(run, 'reasoning').filter((r) => r.text)).toEqual([]);
    const toolResults = fake.requests.filter((r) => r.path.endsWith('/converse-stream') && JSON.stringify(r.body).includes('codex-ok-bedrock\\n'));
    expect(toolResults.length).toBeGreaterThan(0);
    const assistant = (toolResults[0].body as { messages: { role: string; content: Record<string, unknown>[] }[] }).messages.find((m) => m.role === 'assistant')!;
    expect(Object.keys(assistant.content[0])).toEqual(['reasoningContent']);
  }, RUN_TIMEOUT_MS);

  it('gemini: the thought signature of the call goes back on it; web search is dropped beside functions', async () => {
    const run = await runs.get('gemini')!;
    expectShellTask(run, 'gemini');
    const followUp = fake.requests.find((r) => r.path.includes('gemini-3-flash-preview') && JSON.stringify(r.body).includes('codex-ok-gemini\\n'))!;
    const body = followUp.body as { contents: { role: string; parts: Record<string, unknown>[] }[]; tools: Record<string, unknown>[] };
    const call = body.contents.flatMap((c) => c.parts).find((p) => p.functionCall !== undefined)!;
    expect(call.thoughtSignature).toBe('CiQBjz1rX2Zha2UtZ2VtaW5pLXNpZ25hdHVyZQ==');
    expect(body.tools).toEqual([{ functionDeclarations: expect.any(Array) }]);
  }, RUN_TIMEOUT_MS);

  it('a namespaced function (flattened for the provider) comes back under its namespace, and Codex runs it', async () => {
    const run = await runs.get('namespace')!;
    expect(run.code).toBe(0);
    // Codex's own multi-agent tool answered (the id is not an agent's); under the flat name
    // alone Codex would have answered "unsupported call: multi_agent_v1__close_agent".
    expect(run.answer).toMatch(/^Tool said: invalid agent id no-such-agent/);
  }, RUN_TIMEOUT_MS);
});

describe('namespaces and hosted tools through the official SDK', () => {
  let h: GatewayHarness;
  let fake: FakeUpstream;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await createFakeUpstream();
    h = await startGatewayHarness(() => ({
      cohere: { base_url: fake.url, keys: [{ value: 'co-key' }], ...FAST },
      anthropic: { base_url: fake.url, keys: [{ value: 'sk-ant' }], ...FAST },
      gemini: { base_url: fake.url, keys: [{ value: 'gemini-key' }], ...FAST },
    }));
    const { key } = await h.createKey({ name: 'tools' });
    client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  const tools = [
    { type: 'namespace', name: 'crm', description: 'Customer records.', tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } }] },
    { type: 'web_search' },
  ] as unknown as OpenAI.Responses.Tool[];

  it('reports the dropped hosted tool in extra_fields and a header, and returns the call with its namespace', async () => {
    const { data, response } = await client.responses.create({ model: 'cohere/command-a-03-2025', input: 'Find 7. [[tool:crm__lookup]]', tools }).withResponse();
    expect(response.headers.get('x-bf-dropped-tools')).toBe('web_search');
    expect((data as unknown as { extra_fields: Record<string, unknown> }).extra_fields).toMatchObject({ provider: 'cohere', dropped_tools: ['web_search'] });
    expect(data.output).toEqual([expect.objectContaining({ type: 'function_call', name: 'lookup', namespace: 'crm', arguments: '{"id":"test"}' })]);
    expect(JSON.stringify(fake.requests.at(-1)!.body)).toContain('"crm__lookup"');

    const stream = client.responses.stream({ model: 'cohere/command-a-03-2025', input: 'Find 7. [[tool:crm__lookup]]', tools });
    const final = await stream.finalResponse();
    expect(final.output).toEqual([expect.objectContaining({ type: 'function_call', name: 'lookup', namespace: 'crm' })]);
    expect((final as unknown as { extra_fields: Record<string, unknown> }).extra_fields).toMatchObject({ dropped_tools: ['web_search'] });
  });

  it.each([
    ['anthropic/claude-sonnet-4-5', ['web_search_call', 'message']],
    ['gemini/gemini-2.5-flash', ['message', 'web_search_call']],
  ])('%s: web search runs at the provider; the SDK stream helper takes its events, citations arrive as url_citation', async (model, types) => {
    const request = { model, input: 'Latest news? [[web-search]]', tools: [{ type: 'web_search' }] as OpenAI.Responses.Tool[] };
    const created = await client.responses.create(request);
    const streamed = await client.responses.stream(request).finalResponse();
    for (const res of [created, streamed]) {
      expect(res.output.map((o) => o.type)).toEqual(types);
      expect(res.output.find((o) => o.type === 'web_search_call')).toMatchObject({
        status: 'completed', action: { type: 'search', query: 'Latest news? [[web-search]]', sources: [{ type: 'url', url: 'https://example.com/fake-search-result' }] },
      });
      const message = res.output.find((o) => o.type === 'message') as OpenAI.Responses.ResponseOutputMessage;
      const text = message.content[0] as OpenAI.Responses.ResponseOutputText;
      expect(text.annotations).toEqual([{ type: 'url_citation', url: 'https://example.com/fake-search-result', title: 'Fake search result', start_index: 0, end_index: text.text.length }]);
      expect((res as unknown as { extra_fields: Record<string, unknown> }).extra_fields.dropped_tools).toBeUndefined();
    }
  });

  it('forcing a hosted tool the provider lacks is a 400 naming it', async () => {
    const err = await client.responses.create({ model: 'cohere/command-a-03-2025', input: 'x', tools, tool_choice: { type: 'web_search_preview' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("forcing the hosted tool 'web_search_preview'");
  });
});
