import type { AppConfig } from '@app/common';
import type { ProviderAdapter } from '@app/providers';
import { PricingService } from '../cost/pricing.service';
import type { Candidate } from '../routing/route-planner.service';
import { MEDIA_REFERENCE_TOKENS, worstCase } from './reservation';

const config = {
  providers: {},
  pricing: {
    'openai/gpt-4o-mini': { input_per_mtok: '1', output_per_mtok: '2' },
    'backup/dear': { input_per_mtok: '10', output_per_mtok: '20' },
  },
  governance: { defaultMaxOutputTokens: 32_768, outputTokenLimits: Object.create(null) as Record<string, number>, abortedOutputTokensPerSecond: 100 },
} as unknown as AppConfig;

function candidate(provider: string, model: string): Candidate {
  return { label: `${provider}/${model}`, provider: { name: provider } as Candidate['provider'], adapter: {} as ProviderAdapter, model, upstreamModel: model, keys: [] };
}

describe('worstCase', () => {
  const pricing = new PricingService(config);
  const mini = candidate('openai', 'gpt-4o-mini');

  it('prices one token per byte in and max_output_tokens out', () => {
    const w = worstCase(pricing, [mini], { model: 'openai/gpt-4o-mini', input: 'hi', max_output_tokens: 100 }, 1_000);
    expect(w).toEqual({ usd: expect.closeTo(1_000e-6 + 100 * 2e-6, 12), tokens: 1_100, outputTokens: 100 });
  });

  it("takes the model's output limit when the request sets none, and the default for an unknown model", () => {
    expect(worstCase(pricing, [mini], { model: 'openai/gpt-4o-mini', input: 'hi' }, 10).outputTokens).toBe(16_384);
    expect(worstCase(pricing, [candidate('backup', 'dear')], { model: 'backup/dear', input: 'hi' }, 10).outputTokens).toBe(32_768);
  });

  it('covers the dearest candidate a fallback may reach', () => {
    const w = worstCase(pricing, [mini, candidate('backup', 'dear')], { model: 'openai/gpt-4o-mini', input: 'hi', max_output_tokens: 100 }, 1_000);
    expect(w.usd).toBeCloseTo(1_000 * 10e-6 + 100 * 20e-6, 12);
  });

  it('adds an allowance for each image or file given by reference, none for inline data', () => {
    const input = [
      { role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/a.png' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] },
      { role: 'user', content: [{ type: 'input_file', file_id: 'file_1' }, { type: 'input_file', file_data: 'JVBERi0=' }] },
    ];
    const w = worstCase(pricing, [mini], { model: 'openai/gpt-4o-mini', input, max_output_tokens: 1 }, 500);
    expect(w.tokens).toBe(500 + 2 * MEDIA_REFERENCE_TOKENS + 1);
  });
});
