import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, GatewayError } from '@app/common';
import { type ModelPrice, PRICES_CHECKED_AT, PriceBook, adminPriceFeed, parsePriceSpec } from '@app/pricing';
import type { ListPricingQueryDto, ModelPriceDto, PricingListDto, SetModelPriceDto, UnpricedModelListDto } from './pricing.dto';
import { PRICING_REPOSITORY, type PricingRepository } from './pricing.repository';

export const PRICE_BOOK = Symbol('PRICE_BOOK');

const UNPRICED_LIMIT = 200;
const DAY_MS = 86_400_000;

/**
 * Prices as the gateway applies them: the book built from GATEWAY_CONFIG at start, with the
 * admin prices read from Postgres on each call (admin routes are not a hot path).
 */
@Injectable()
export class PricingService {
  constructor(
    @Inject(PRICE_BOOK) private readonly base: PriceBook,
    @Inject(PRICING_REPOSITORY) private readonly repo: PricingRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(query: ListPricingQueryDto): Promise<PricingListDto> {
    const book = await this.current();
    let data = book.list();
    if (query.provider !== undefined) data = data.filter((p) => p.provider === query.provider);
    if (query.source !== undefined) data = data.filter((p) => p.source === query.source);
    return { data, catalog: book.catalogInfo!, checked_at: PRICES_CHECKED_AT };
  }

  /** The price a request to `provider/model` pays now. */
  async resolve(provider: string, model: string): Promise<ModelPriceDto> {
    const price = (await this.current()).priceFor(provider, model);
    if (price === null) throw GatewayError.notFound(`No price is known for ${provider}/${model}`);
    return price;
  }

  /** Sets the admin price of `provider/model`; in force in this process's gateway when this returns. */
  async set(provider: string, model: string, body: SetModelPriceDto): Promise<ModelPriceDto> {
    // The DTO checked every field; this makes the amounts canonical decimal strings.
    const price = parsePriceSpec(body, 'body');
    const winner = this.base.withAdminPrices([{ provider, model, price, updatedAt: new Date() }]).priceFor(provider, model);
    if (winner?.source === 'override') {
      throw new GatewayError(
        409,
        'price_overridden',
        `GATEWAY_CONFIG pricing["${winner.id}"] prices ${provider}/${model} and wins over an admin price; change it there instead.`,
      );
    }
    const saved = await this.repo.upsert(provider, model, price);
    this.publish([{ provider: saved.provider, model: saved.model, price: saved.price, updatedAt: saved.updatedAt }]);
    return this.base.withAdminPrices([saved]).priceFor(saved.provider, saved.model) as ModelPrice;
  }

  async remove(provider: string, model: string): Promise<void> {
    const deleted = await this.repo.softDelete(provider, model);
    if (deleted === null) throw GatewayError.notFound(`No admin price for ${provider}/${model}`);
    this.publish([{ provider: deleted.provider, model: deleted.model, price: null, updatedAt: deleted.updatedAt }]);
  }

  /** Models seen in traffic in the last `days` that consumed tokens and still have no price. */
  async unpriced(days = 7): Promise<UnpricedModelListDto> {
    const [book, seen] = await Promise.all([this.current(), this.repo.unpricedSince(new Date(Date.now() - days * DAY_MS), UNPRICED_LIMIT)]);
    return {
      data: seen
        .filter((s) => book.priceFor(s.provider, s.model) === null)
        .map((s) => ({ id: `${s.provider}/${s.model}`, provider: s.provider, model: s.model, requests: s.requests, last_seen_at: s.lastSeenAt.toISOString() })),
    };
  }

  private async current(): Promise<PriceBook> {
    return this.base.withAdminPrices(await this.repo.list());
  }

  private publish(changes: Parameters<typeof adminPriceFeed.publish>[1]): void {
    if (this.config.databaseUrl) adminPriceFeed.publish(this.config.databaseUrl, changes);
  }
}
