import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ClaudeCodeHome } from '../support/claude-code';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { FAST } from '../support/provider-scenarios';

/**
 * Claude Code (`claude -p`) through the gateway's Messages API, answering with Anthropic, OpenAI
 * and Gemini models behind the fake upstream.
 */
describe('Claude Code through /v1/messages', () => {
  let h: GatewayHarness;
  let key: string;
  let claude: ClaudeCodeHome;

  beforeAll(async () => {
    h = await startGatewayHarness(({ upstream }) => ({
      anthropic: { base_url: upstream, keys: [{ value: 'sk-ant-test' }], ...FAST },
      gemini: { base_url: upstream, keys: [{ value: 'gemini-test-key' }], ...FAST },
    }));
    key = (await h.createKey({ name: 'claude-code' })).key;
    claude = new ClaudeCodeHome(h.url);
  });
  afterAll(async () => {
    claude?.remove();
    await h?.close();
  });
  beforeEach(() => h.upstream.reset());

  it.each([
    ['anthropic/claude-sonnet-4-5', 'claude-sonnet-4-5', '/v1/messages'],
    ['openai/gpt-4o-mini', 'gpt-4o-mini', '/v1/responses'],
    ['gemini/gemini-2.5-flash', 'gemini-2.5-flash', '/v1beta/models/gemini-2.5-flash:streamGenerateContent'],
  ])('answers with %s, running a tool the model asked for', async (model, answeredBy, upstreamPath) => {
    const notes = path.join(claude.workdir, `notes-${answeredBy}.txt`);
    writeFileSync(notes, `The gateway answered with ${answeredBy}.\n`);
    // The fake model calls Read on the file, then answers with what the tool said.
    const run = await claude.run(key, model, `Read my notes [[tool:Read]] [[tool-args:${JSON.stringify({ file_path: notes })}]]`);
    const sent = h.upstream.requests.filter((r) => r.path.startsWith(upstreamPath));
    if (run.result?.is_error !== false) console.log(run.stdout, run.stderr, sent.map((r) => JSON.stringify(r.body).slice(0, 2000)));
    expect(run.result).toMatchObject({ type: 'result', subtype: 'success', is_error: false });
    expect(run.result!.result).toContain('Tool said:');
    expect(run.result!.result).toContain(`The gateway answered with ${answeredBy}.`);
    // Two model calls (the tool call, then the answer), both to the provider asked for.
    expect(sent.length).toBeGreaterThanOrEqual(2);
    // The tool's result went back upstream in the second call.
    expect(JSON.stringify(sent.at(-1)!.body)).toContain(`The gateway answered with ${answeredBy}.`);
  });
});
