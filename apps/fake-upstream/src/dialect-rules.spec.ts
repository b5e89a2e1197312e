import { checkDialect, DialectRejection, dialectRules, type FakeDialect } from './dialect-rules';

/** What each impersonated API refuses (so that the gateway's tests against it can fail). */
function refusal(d: FakeDialect, api: 'chat' | 'responses', body: Record<string, unknown>): DialectRejection | null {
  try {
    checkDialect(dialectRules(d), api, { model: 'm', ...body });
    return null;
  } catch (err) {
    if (err instanceof DialectRejection) return err;
    throw err;
  }
}

const messages = [{ role: 'user', content: 'hi' }];

describe('fake provider dialects', () => {
  it('refuses what each real API refuses, in its own error shape', () => {
    const mistral = refusal('mistral', 'chat', { messages, stream_options: { include_usage: true } });
    expect(mistral).toMatchObject({ status: 422, body: { object: 'error', message: { detail: [{ type: 'extra_forbidden', loc: ['body', 'stream_options'] }] } } });
    expect(refusal('mistral', 'chat', { messages, user: 'u' })?.status).toBe(422);
    expect(refusal('mistral', 'chat', { messages, temperature: 0.2, max_tokens: 5, random_seed: 1, safe_prompt: true })).toBeNull();

    expect(refusal('deepseek', 'chat', { messages, response_format: { type: 'json_schema', json_schema: {} } })?.status).toBe(400);
    expect(refusal('deepseek', 'chat', { messages, response_format: { type: 'json_object' }, stream_options: { include_usage: true } })).toBeNull();
    expect(refusal('cerebras', 'chat', { messages, frequency_penalty: 0.1 })?.body).toMatchObject({ param: 'frequency_penalty', code: 'wrong_api_format' });
    expect(refusal('perplexity', 'chat', { messages, tools: [] })?.status).toBe(400);
    for (const d of ['groq', 'openrouter', 'ollama', 'vllm'] as const) expect(refusal(d, 'responses', { input: 'hi', store: false })?.status).toBe(400);
    expect(refusal('groq', 'responses', { input: 'hi', prompt_cache_key: 'k' })?.status).toBe(400);
    // OpenAI's own, xAI, Together and Fireworks take what OpenAI takes.
    for (const d of ['openai', 'xai', 'together', 'fireworks'] as const) {
      expect(refusal(d, 'chat', { messages, stream_options: { include_usage: true }, user: 'u' })).toBeNull();
      expect(refusal(d, 'responses', { input: 'hi', store: false })).toBeNull();
    }
  });

  it('puts usage on the finish chunk where the real API does', () => {
    expect((['mistral', 'together', 'fireworks', 'cerebras', 'perplexity'] as const).every((d) => dialectRules(d).usageOnFinishChunk)).toBe(true);
    expect((['openai', 'deepseek'] as const).some((d) => dialectRules(d).usageOnFinishChunk)).toBe(false);
  });
});
