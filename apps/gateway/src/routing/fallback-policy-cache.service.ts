import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, splitModelId } from '@app/common';
import { ChangeFeed } from '../sync/change-feed.service';
import { TablePoller } from '../sync/table-poller';

export interface CachedPolicy {
  id: string;
  model: string;
  fallbacks: string[];
  /** Statuses that trigger a fallback; null: every retryable failure. */
  onStatus: number[] | null;
  createdAt: number;
}

interface PolicyRow {
  id: string;
  model: string;
  fallbacks: string[];
  on_status: number[] | null;
  created_at: Date;
  deleted_at: Date | null;
  updated_at: Date;
}

/**
 * Fallback policies made in the admin app, mirrored in memory (like keys: pushed, polled as a safety net). Precedence
 * when a request names no fallbacks of its own: the key's policy, else the policy for the
 * exact model, else the one for `provider/*`; among several for one model, the newest by
 * creation (as the admin API lists them), so editing an old policy does not make it take over.
 */
@Injectable()
export class FallbackPolicyCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(FallbackPolicyCache.name);
  private readonly byId = new Map<string, CachedPolicy>();
  private byModel = new Map<string, CachedPolicy>();
  private readonly poller: TablePoller<PolicyRow>;

  constructor(
    dataSource: DataSource,
    feed: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.poller = new TablePoller<PolicyRow>({
      dataSource,
      feed,
      table: 'fallback_policies',
      select: 'SELECT id, model, fallbacks, on_status, created_at, deleted_at, updated_at FROM fallback_policies',
      apply: (rows) => this.apply(rows),
      logger: this.logger,
    });
  }

  async onModuleInit(): Promise<void> {
    await this.poller.begin(this.config.keyRefreshMs);
  }

  onApplicationShutdown(): void {
    this.poller.stop();
  }

  refresh(): Promise<void> {
    return this.poller.refresh();
  }

  resolve(policyId: string | null, model: string): CachedPolicy | null {
    if (policyId !== null) {
      const own = this.byId.get(policyId);
      if (own !== undefined) return own;
    }
    if (this.byModel.size === 0) return null;
    const provider = splitModelId(model)?.provider;
    return this.byModel.get(model) ?? (provider === undefined ? undefined : this.byModel.get(`${provider}/*`)) ?? null;
  }

  private apply(rows: PolicyRow[]): void {
    for (const row of rows) {
      if (row.deleted_at !== null) this.byId.delete(row.id);
      else this.byId.set(row.id, { id: row.id, model: row.model, fallbacks: row.fallbacks, onStatus: row.on_status, createdAt: row.created_at.getTime() });
    }
    const byModel = new Map<string, CachedPolicy>();
    for (const p of this.byId.values()) {
      const current = byModel.get(p.model);
      if (current === undefined || newer(p, current)) byModel.set(p.model, p);
    }
    this.byModel = byModel;
  }
}

function newer(a: CachedPolicy, b: CachedPolicy): boolean {
  return a.createdAt !== b.createdAt ? a.createdAt > b.createdAt : a.id > b.id;
}
