import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { type CostResult, PriceBook } from '@app/pricing';
import type { Usage } from '@app/providers';
import type { Candidate } from '../routing/route-planner.service';

/** Prices each answered request from the shipped sheet plus GATEWAY_CONFIG overrides. */
@Injectable()
export class PricingService {
  private readonly book: PriceBook;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.book = new PriceBook({ overrides: config.pricing });
  }

  /**
   * The upstream model first (an alias resolves to a real model name), then the name the
   * client used (an Azure deployment name says nothing about its model). Null: unpriced.
   */
  cost(c: Candidate, usage: Usage): CostResult | null {
    const tokens = {
      inputTokens: usage.inputTokens,
      cachedTokens: usage.cachedTokens,
      cacheWriteTokens: usage.cacheWriteTokens ?? 0,
      outputTokens: usage.outputTokens,
      reasoningTokens: usage.reasoningTokens,
    };
    return this.book.cost(c.provider.name, c.upstreamModel, tokens) ?? (c.upstreamModel === c.model ? null : this.book.cost(c.provider.name, c.model, tokens));
  }
}
