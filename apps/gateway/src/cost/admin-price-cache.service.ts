import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, errorMessage } from '@app/common';
import { type AdminPrice, type AdminPriceChange, adminPriceFeed, parsePriceSpec } from '@app/pricing';
import { ChangeFeed } from '../sync/change-feed.service';
import { TablePoller } from '../sync/table-poller';
import { PricingService } from './pricing.service';

interface ModelPriceRow {
  provider: string;
  model: string;
  price: unknown;
  deleted_at: Date | null;
  updated_at: Date;
}

/**
 * Admin prices (model_prices) mirrored in memory, so pricing a request reads no table. Changes
 * made by an admin app in this process apply when the admin API answers (adminPriceFeed); those
 * made elsewhere are pushed like keys and policies (ChangeFeed: the table's trigger, the admin
 * app's sync), with the poll of `updated_at` as a safety net (deletions are soft, so they arrive too).
 */
@Injectable()
export class AdminPriceCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AdminPriceCache.name);
  /** By lower-cased `provider/model`; deleted entries stay (price null) so a stale read cannot revive them. */
  private readonly entries = new Map<string, AdminPriceChange>();
  private readonly poller: TablePoller<ModelPriceRow>;
  private unsubscribe: () => void = () => undefined;

  constructor(
    dataSource: DataSource,
    feed: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly pricing: PricingService,
  ) {
    this.poller = new TablePoller<ModelPriceRow>({
      dataSource,
      feed,
      table: 'model_prices',
      select: 'SELECT provider, model, price, deleted_at, updated_at FROM model_prices',
      apply: (rows) => this.apply(rows.flatMap((row) => this.fromRow(row))),
      logger: this.logger,
    });
  }

  async onModuleInit(): Promise<void> {
    if (this.config.databaseUrl) this.unsubscribe = adminPriceFeed.subscribe(this.config.databaseUrl, (changes) => this.apply(changes));
    await this.poller.begin(this.config.keyRefreshMs);
  }

  onApplicationShutdown(): void {
    this.unsubscribe();
    this.poller.stop();
  }

  refresh(): Promise<void> {
    return this.poller.refresh();
  }

  private apply(changes: readonly AdminPriceChange[]): void {
    let changed = false;
    for (const change of changes) {
      const key = `${change.provider}/${change.model}`.toLowerCase();
      const known = this.entries.get(key);
      // The feed and the poll may deliver one change twice, or an older state after a newer one.
      if (known !== undefined && known.updatedAt.getTime() >= change.updatedAt.getTime()) continue;
      this.entries.set(key, change);
      changed = true;
    }
    if (!changed) return;
    const live: AdminPrice[] = [];
    for (const entry of this.entries.values()) {
      if (entry.price !== null) live.push({ provider: entry.provider, model: entry.model, price: entry.price, updatedAt: entry.updatedAt });
    }
    this.pricing.setAdminPrices(live);
  }

  private fromRow(row: ModelPriceRow): AdminPriceChange[] {
    if (row.deleted_at !== null) return [{ provider: row.provider, model: row.model, price: null, updatedAt: row.updated_at }];
    try {
      return [{ provider: row.provider, model: row.model, price: parsePriceSpec(row.price, `model_prices ${row.provider}/${row.model}`), updatedAt: row.updated_at }];
    } catch (err) {
      // Written by hand around the admin API: keep serving without it rather than fail.
      this.logger.warn(`ignoring an invalid admin price: ${errorMessage(err)}`);
      return [];
    }
  }
}
