import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { translatedProviders } from '../support/provider-scenarios';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

/**
 * Stop sequences (Chat `stop`, Messages `stop_sequences`), which the Responses API lacks:
 * carried to every provider that takes them, mapped back to the client's stop reason, and a
 * 400 naming them where the provider (OpenAI's Responses API) has none.
 */

const BEDROCK_MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
// The fakes answer "Hello from <model>! You said: <input>": the sequence cuts the echo.
const STOP = 'You said';

describe('stop sequences through /v1/messages and /v1/chat/completions', () => {
  let h: GatewayHarness;
  let anthropic: Anthropic;
  let openai: OpenAI;

  beforeAll(async () => {
    h = await startGatewayHarness({
      providers: translatedProviders,
    });
    const { key } = await h.createKey({ name: 'stops' });
    anthropic = new Anthropic({ apiKey: key, baseURL: h.url, maxRetries: 0 });
    openai = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => h.upstream.reset());

  it.each([
    { provider: 'anthropic', model: 'anthropic/claude-sonnet-4-5', answeredBy: 'claude-sonnet-4-5', sent: (b: Record<string, any>) => b.stop_sequences },
    { provider: 'bedrock', model: `bedrock/${BEDROCK_MODEL}`, answeredBy: BEDROCK_MODEL, sent: (b: Record<string, any>) => b.inferenceConfig.stopSequences },
  ])("messages.create through $provider: the sequence reaches the upstream; stop_reason 'stop_sequence' names it", async ({ model, answeredBy, sent }) => {
    const message = await anthropic.messages.create({ model, max_tokens: 100, stop_sequences: [STOP, '###'], messages: [{ role: 'user', content: 'Hi there' }] });
    expect(sent(h.upstream.requests.at(-1)!.body as Record<string, any>)).toEqual([STOP, '###']);
    expect(message).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: STOP, content: [{ type: 'text', text: `Hello from ${answeredBy}! ` }] });

    const streamed = await anthropic.messages.stream({ model, max_tokens: 100, stop_sequences: [STOP], messages: [{ role: 'user', content: 'Hi there' }] }).finalMessage();
    expect(streamed).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: STOP, content: [{ type: 'text', text: `Hello from ${answeredBy}! ` }] });
  });

  it('messages.create through gemini: the answer stops at the sequence (Gemini does not say which: end_turn)', async () => {
    const message = await anthropic.messages.create({ model: 'gemini/gemini-2.5-flash', max_tokens: 100, stop_sequences: [STOP], messages: [{ role: 'user', content: 'Hi there' }] });
    expect((h.upstream.requests.at(-1)!.body as Record<string, any>).generationConfig.stopSequences).toEqual([STOP]);
    expect(message).toMatchObject({ stop_reason: 'end_turn', stop_sequence: null, content: [{ type: 'text', text: 'Hello from gemini-2.5-flash! ' }] });
  });

  it.each([
    { model: 'anthropic/claude-sonnet-4-5', answeredBy: 'claude-sonnet-4-5' },
    { model: 'gemini/gemini-2.5-flash', answeredBy: 'gemini-2.5-flash' },
    { model: `bedrock/${BEDROCK_MODEL}`, answeredBy: BEDROCK_MODEL },
  ])("chat.completions.create through $model: stop as a string, finish_reason 'stop'", async ({ model, answeredBy }) => {
    const completion = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi there' }], stop: STOP });
    expect(completion.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: `Hello from ${answeredBy}! ` } });
  });

  it("refuses stop sequences for OpenAI's Responses API with a 400 naming them and the provider, nothing sent upstream", async () => {
    const err = await anthropic.messages.create({ model: 'openai/gpt-4o-mini', max_tokens: 100, stop_sequences: [STOP], messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toMatch(/openai does not support stop sequences \('stop' \/ 'stop_sequences'\)/);
    const chatErr = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stop: [STOP] }).catch((e: unknown) => e);
    expect(chatErr).toBeInstanceOf(OpenAI.BadRequestError);
    expect((chatErr as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('stop');
    expect(h.upstream.requests.filter((r) => r.path.includes('/responses'))).toHaveLength(0);
  });
});
