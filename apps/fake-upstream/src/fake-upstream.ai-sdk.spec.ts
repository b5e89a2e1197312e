import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import { type FakeUpstream, createFakeUpstream } from './fake-upstream';

/**
 * The Vercel AI SDK validates every Responses chunk against its own schemas and turns a
 * chunk it cannot parse into an error part, so a clean run is a second proof of the format.
 */
describe('fake upstream with the Vercel AI SDK', () => {
  let fake: FakeUpstream;
  let provider: ReturnType<typeof createOpenAI>;

  beforeAll(async () => {
    fake = await createFakeUpstream();
    provider = createOpenAI({ apiKey: 'x', baseURL: `${fake.url}/v1` });
  });
  afterAll(() => fake.close());

  const weather = tool({
    description: 'Weather for a city',
    inputSchema: jsonSchema<{ city: string }>({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    }),
  });

  it('generateText and streamText over the Responses API', async () => {
    const generated = await generateText({ model: provider('gpt-4o'), prompt: 'hi', maxRetries: 0 });
    expect(generated.text).toBe('Hello from gpt-4o! You said: hi');
    expect(generated.finishReason).toBe('stop');
    expect(generated.usage).toMatchObject({ inputTokens: 11, outputTokens: 6, totalTokens: 17 });

    const streamed = streamText({ model: provider('gpt-4o'), prompt: 'hi there', maxRetries: 0 });
    const types = new Set<string>();
    for await (const part of streamed.fullStream) types.add(part.type);
    expect(types).not.toContain('error');
    expect(await streamed.text).toBe('Hello from gpt-4o! You said: hi there');
    expect(await streamed.finishReason).toBe('stop');
  });

  it('streams a tool call', async () => {
    const streamed = streamText({ model: provider('gpt-4o'), prompt: 'weather?', tools: { get_weather: weather }, maxRetries: 0 });
    const types = new Set<string>();
    for await (const part of streamed.fullStream) types.add(part.type);
    expect(types).not.toContain('error');
    expect((await streamed.toolCalls).map((c) => [c.toolName, c.input])).toEqual([['get_weather', { city: 'test' }]]);
    expect(await streamed.finishReason).toBe('tool-calls');
  });

  it('reports stream errors, incomplete responses and chat completions', async () => {
    const failing = streamText({
      model: provider('gpt-4o'),
      prompt: '[[stream-error]]',
      maxRetries: 0,
      onError: () => undefined, // the default handler logs the expected error
    });
    const types: string[] = [];
    for await (const part of failing.fullStream) types.push(part.type);
    expect(types).toContain('error');

    const incomplete = await generateText({ model: provider('gpt-4o'), prompt: '[[incomplete]]', maxRetries: 0 });
    expect(incomplete.finishReason).toBe('length');

    const chat = streamText({ model: provider.chat('gpt-4o'), prompt: 'yo', maxRetries: 0 });
    expect(await chat.text).toBe('Hello from gpt-4o! You said: yo');
    expect(await chat.usage).toMatchObject({ inputTokens: 11, outputTokens: 6 });
  });
});
