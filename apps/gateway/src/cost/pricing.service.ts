import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { type AdminPrice, type CostResult, type ModelLimits, type ModelPrice, PriceBook } from '@app/pricing';
import type { Usage } from '@app/providers';
import type { Candidate } from '../routing/route-planner.service';

/**
 * Prices each answered request: GATEWAY_CONFIG overrides, then admin prices (kept current by
 * AdminPriceCache), then the built-in entries and the installed catalog.
 */
@Injectable()
export class PricingService {
  private readonly base: PriceBook;
  private book: PriceBook;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const providerKinds = new Map(Object.values(config.providers).map((p) => [p.name, p.kind]));
    this.base = this.book = new PriceBook({ overrides: config.pricing, providerKinds });
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
    const book = this.book;
    return book.cost(c.provider.name, c.upstreamModel, tokens) ?? (c.upstreamModel === c.model ? null : book.cost(c.provider.name, c.model, tokens));
  }

  /** The price cost() applies to this candidate now, or null when it has none. */
  price(c: Candidate): ModelPrice | null {
    const book = this.book;
    return book.priceFor(c.provider.name, c.upstreamModel) ?? (c.upstreamModel === c.model ? null : book.priceFor(c.provider.name, c.model));
  }

  /** The candidate model's size limits from the catalog (context window), or null when unknown. */
  limits(c: Candidate): ModelLimits | null {
    const book = this.book;
    return book.limits(c.provider.name, c.upstreamModel) ?? (c.upstreamModel === c.model ? null : book.limits(c.provider.name, c.model));
  }

  /** The admin prices in force from now on: the whole set, replacing the previous one. */
  setAdminPrices(prices: readonly AdminPrice[]): void {
    this.book = this.base.withAdminPrices(prices);
  }
}
