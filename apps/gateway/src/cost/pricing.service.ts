import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { type CostResult, PriceBook, type TokenUsage } from '@app/pricing';
import type { Usage } from '@app/providers';
import type { Candidate } from '../routing/route-planner.service';
import { knownOutputLimit } from './output-limits';

/** Prices each answered request from the shipped sheet plus GATEWAY_CONFIG overrides. */
@Injectable()
export class PricingService {
  private readonly book: PriceBook;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.book = new PriceBook({ overrides: config.pricing });
  }

  /**
   * The upstream model first (an alias resolves to a real model name), then the name the
   * client used (an Azure deployment name says nothing about its model). Null: unpriced.
   */
  cost(c: Candidate, usage: Usage): CostResult | null {
    return this.costOf(c, {
      inputTokens: usage.inputTokens,
      cachedTokens: usage.cachedTokens,
      cacheWriteTokens: usage.cacheWriteTokens ?? 0,
      outputTokens: usage.outputTokens,
      reasoningTokens: usage.reasoningTokens,
    });
  }

  /** Whether requests to this candidate can be priced (shipped sheet or an operator's override). */
  isPriced(c: Candidate): boolean {
    return this.costOf(c, { inputTokens: 0, cachedTokens: 0, outputTokens: 0, reasoningTokens: 0 }) !== null;
  }

  /**
   * The most a request to this candidate may cost with `inputTokens` in and `outputTokens` out:
   * the dearest reading of them (input uncached or written to a prompt cache, output plain or
   * reasoning where that is priced apart). Null: unpriced.
   */
  worstCaseUsd(c: Candidate, inputTokens: number, outputTokens: number): number | null {
    const plain = this.costOf(c, { inputTokens, cachedTokens: 0, outputTokens, reasoningTokens: 0 });
    if (plain === null) return null;
    const cacheWrite = this.costOf(c, { inputTokens, cachedTokens: 0, cacheWriteTokens: inputTokens, outputTokens, reasoningTokens: outputTokens });
    return Math.max(plain.total_cost, cacheWrite?.total_cost ?? 0);
  }

  /**
   * The most output a response of this candidate can hold: an operator's `output_token_limits`
   * entry, else the model's published limit, else `default_max_output_tokens`.
   */
  maxOutputTokens(c: Candidate): number {
    const { outputTokenLimits, defaultMaxOutputTokens } = this.config.governance;
    return outputTokenLimits[c.label] ?? knownOutputLimit(c.upstreamModel) ?? knownOutputLimit(c.model) ?? defaultMaxOutputTokens;
  }

  /** Every `provider/model` the book prices (for bounded metric labels). */
  pricedModels(): { provider: string; model: string }[] {
    return this.book.list().map((p) => ({ provider: p.provider, model: p.model }));
  }

  private costOf(c: Candidate, tokens: TokenUsage): CostResult | null {
    return this.book.cost(c.provider.name, c.upstreamModel, tokens) ?? (c.upstreamModel === c.model ? null : this.book.cost(c.provider.name, c.model, tokens));
  }
}
