import { knownOutputLimit } from './output-limits';

describe('knownOutputLimit', () => {
  it.each([
    ['gpt-4o-mini', 16_384],
    ['gpt-4o-2024-08-06', 16_384],
    ['claude-sonnet-4-5-20250929', 64_000],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 64_000],
    ['google/gemini-2.5-pro', 65_536],
    ['GPT-5-MINI', 128_000],
  ])('%s -> %d', (model, limit) => {
    expect(knownOutputLimit(model)).toBe(limit);
  });

  it('is null for a model it does not know, and for names of Object.prototype', () => {
    expect(knownOutputLimit('my-finetune')).toBeNull();
    expect(knownOutputLimit('constructor')).toBeNull();
  });
});
