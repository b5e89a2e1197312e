import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { queryRows } from '@app/database';
import type { DataSource } from 'typeorm';
import type { AdminPrice, PriceSpec } from '@app/pricing';

/** A `provider/model` seen in traffic whose attempts consumed tokens and logged no cost. */
export interface UnpricedSeen {
  provider: string;
  model: string;
  requests: number;
  lastSeenAt: Date;
}

export const PRICING_REPOSITORY = Symbol('PRICING_REPOSITORY');

export interface PricingRepository {
  /** Live admin prices. */
  list(): Promise<AdminPrice[]>;
  /** Creates or replaces (and revives) the price of `provider/model`, matched case-insensitively. */
  upsert(provider: string, model: string, price: PriceSpec): Promise<AdminPrice>;
  /** Marks the live price deleted; null when there is none. Returns the deletion's time. */
  softDelete(provider: string, model: string): Promise<{ provider: string; model: string; updatedAt: Date } | null>;
  /** Unpriced models seen since `since`, most recent first. */
  unpricedSince(since: Date, limit: number): Promise<UnpricedSeen[]>;
}

interface PriceRow {
  provider: string;
  model: string;
  price: PriceSpec;
  updated_at: Date;
}

const toAdminPrice = (row: PriceRow): AdminPrice => ({ provider: row.provider, model: row.model, price: row.price, updatedAt: row.updated_at });

@Injectable()
export class TypeOrmPricingRepository implements PricingRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(): Promise<AdminPrice[]> {
    const rows: PriceRow[] = await this.dataSource.query(`SELECT provider, model, price, updated_at FROM model_prices WHERE deleted_at IS NULL`);
    return rows.map(toAdminPrice);
  }

  async upsert(provider: string, model: string, price: PriceSpec): Promise<AdminPrice> {
    // clock_timestamp, not now(): pollers read updated_at, and a transaction's now() can lie in their past.
    const rows: PriceRow[] = await this.dataSource.query(
      `INSERT INTO model_prices (provider, model, price) VALUES ($1, $2, $3)
       ON CONFLICT ((lower(provider)), (lower(model)))
       DO UPDATE SET provider = EXCLUDED.provider, model = EXCLUDED.model, price = EXCLUDED.price, deleted_at = NULL, updated_at = clock_timestamp()
       RETURNING provider, model, price, updated_at`,
      [provider, model, JSON.stringify(price)],
    );
    return toAdminPrice(rows[0]);
  }

  async softDelete(provider: string, model: string): Promise<{ provider: string; model: string; updatedAt: Date } | null> {
    const result: unknown = await this.dataSource.query(
      `UPDATE model_prices SET deleted_at = clock_timestamp(), updated_at = clock_timestamp()
       WHERE lower(provider) = lower($1) AND lower(model) = lower($2) AND deleted_at IS NULL
       RETURNING provider, model, updated_at`,
      [provider, model],
    );
    const rows = queryRows<{ provider: string; model: string; updated_at: Date }>(result);
    return rows.length === 0 ? null : { provider: rows[0].provider, model: rows[0].model, updatedAt: rows[0].updated_at };
  }

  async unpricedSince(since: Date, limit: number): Promise<UnpricedSeen[]> {
    // A failed attempt that produced no tokens is logged at cost 0 now; older rows of that kind
    // (null) are left out by their zero tokens.
    const rows: { provider: string; model: string; requests: number; last_seen_at: Date }[] = await this.dataSource.query(
      `SELECT provider, model, count(*)::int AS requests, max(created_at) AS last_seen_at
         FROM request_logs
        WHERE cost_usd IS NULL AND created_at >= $1 AND (status = 'success' OR total_tokens > 0)
        GROUP BY provider, model
        ORDER BY last_seen_at DESC
        LIMIT $2`,
      [since, limit],
    );
    return rows.map((r) => ({ provider: r.provider, model: r.model, requests: r.requests, lastSeenAt: r.last_seen_at }));
  }
}
