import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

describe('POST /v1/responses through the Vercel AI SDK', () => {
  let h: GatewayHarness;
  let provider: ReturnType<typeof createOpenAI>;

  beforeAll(async () => {
    h = await startGatewayHarness();
    const { key } = await h.createKey({ name: 'ai-sdk' });
    provider = createOpenAI({ apiKey: key, baseURL: `${h.url}/v1` });
  });
  afterAll(async () => {
    await h?.close();
  });

  const weather = tool({
    description: 'Weather in a city',
    inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
    execute: async ({ city }) => `sunny in ${city}`,
  });

  it('generateText', async () => {
    const result = await generateText({ model: provider.responses('openai/gpt-4o-mini'), prompt: 'Hi there [[usage:7,3]]', maxRetries: 0 });
    expect(result.text).toContain('Hello from gpt-4o-mini');
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
  });

  it('streamText', async () => {
    const result = streamText({ model: provider.responses('openai/gpt-4o-mini'), prompt: 'Stream it [[chunks:5]]', maxRetries: 0 });
    const parts: string[] = [];
    for await (const delta of result.textStream) parts.push(delta);
    expect(parts.length).toBeGreaterThanOrEqual(5);
    expect(parts.join('')).toContain('Hello from gpt-4o-mini');
    expect(await result.finishReason).toBe('stop');
  });

  it('runs a two-step tool loop with generateText and streamText', async () => {
    const generated = await generateText({
      model: provider.responses('openai/gpt-4o-mini'),
      prompt: 'What is the weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect(generated.steps).toHaveLength(2);
    expect(generated.steps[0].toolCalls[0]).toMatchObject({ toolName: 'weather', input: { city: 'test' } });
    expect(generated.text).toContain('Tool said: ');
    expect(generated.text).toContain('sunny in test');

    const streamed = streamText({
      model: provider.responses('openai/gpt-4o-mini'),
      prompt: 'What is the weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect(await streamed.text).toContain('sunny in test');
    expect(await streamed.steps).toHaveLength(2);
  });
});
