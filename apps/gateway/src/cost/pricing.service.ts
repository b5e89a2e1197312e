import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { type AdminPrice, type CostResult, type ModelLimits, type ModelPrice, PriceBook, type TokenUsage } from '@app/pricing';
import type { Usage } from '@app/providers';
import type { Candidate } from '../routing/route-planner.service';
import { knownOutputLimit } from './output-limits';

/**
 * Prices each answered request: GATEWAY_CONFIG overrides, then admin prices (kept current by
 * AdminPriceCache), then the built-in entries and the installed catalog.
 */
@Injectable()
export class PricingService {
  private readonly base: PriceBook;
  private book: PriceBook;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const providerKinds = new Map(Object.values(config.providers).map((p) => [p.name, p.kind]));
    this.base = this.book = new PriceBook({ overrides: config.pricing, providerKinds });
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

  /** Whether requests to this candidate can be priced (catalog, built-in entry, admin price or override). */
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
    const book = this.book;
    return book.cost(c.provider.name, c.upstreamModel, tokens) ?? (c.upstreamModel === c.model ? null : book.cost(c.provider.name, c.model, tokens));
  }
}
