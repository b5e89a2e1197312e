import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, type BudgetPeriod, ErrorCode, GatewayError } from '@app/common';
import { ChangeFeed } from '../sync/change-feed.service';
import { TablePoller } from '../sync/table-poller';
import { hashVirtualKeySecret, VIRTUAL_KEY_SECRET_PREFIX } from '@app/common/virtual-keys/virtual-key-secret';

/** What the hot path needs of a key, kept in memory. */
export interface CachedKey {
  id: string;
  name: string;
  isActive: boolean;
  expiresAt: number | null;
  allowedModels: string[];
  fallbackPolicyId: string | null;
  rateLimitRpm: number | null;
  rateLimitTpm: number | null;
  /** Requests in flight at once. */
  concurrencyLimit: number | null;
  budget: { maxUsd: number; period: BudgetPeriod } | null;
  /** `metadata.allow_send_raw`: the key may ask for raw upstream bodies (`x-bf-send-raw: true`). */
  allowSendRaw: boolean;
}

// More keys than one process serves at once: past it the map starts over rather than grow.
const MAX_REMEMBERED_SECRETS = 4096;

interface KeyRow {
  id: string;
  name: string;
  key_hash: string;
  is_active: boolean;
  expires_at: Date | null;
  allowed_models: string[];
  fallback_policy_id: string | null;
  rate_limit_rpm: number | null;
  rate_limit_tpm: number | null;
  max_concurrent_requests: number | null;
  budget_max_usd: string | null;
  budget_period: BudgetPeriod | null;
  metadata: Record<string, unknown> | null;
  revoked_at: Date | null;
  updated_at: Date;
}

/**
 * Authenticates virtual keys with no database round trip: all keys live in a map keyed by
 * the SHA-256 of the secret, re-read when the change feed reports the table changed (and
 * polled every `keyRefreshMs` as a safety net), so new, changed and revoked keys are in force
 * before the admin API answers. Looking a secret up by its hash leaks nothing about
 * the secret through timing: the map compares digests, never the secret itself.
 *
 * Hashing every request's secret costs about 1 µs, so secrets that did authenticate are
 * remembered (`bySecret`). Only a secret already found by its digest enters it, so guesses
 * never do and cannot grow it; a guess's characters are compared with an entry's only when
 * their string hashes are equal, which a caller cannot aim for (V8 seeds them at random per
 * process). It is bounded, and emptied whenever key rows are applied, before the change counts
 * as applied: a changed, rotated or revoked key is looked up by its digest again at once.
 */
@Injectable()
export class VirtualKeyCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(VirtualKeyCache.name);
  private readonly byHash = new Map<string, CachedKey>();
  private readonly hashById = new Map<string, string>();
  private readonly bySecret = new Map<string, CachedKey>();
  private readonly poller: TablePoller<KeyRow>;

  constructor(
    dataSource: DataSource,
    feed: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.poller = new TablePoller<KeyRow>({
      dataSource,
      feed,
      table: 'virtual_keys',
      select: `SELECT id, name, key_hash, is_active, expires_at, allowed_models, fallback_policy_id, rate_limit_rpm, rate_limit_tpm,
                      max_concurrent_requests, budget_max_usd, budget_period, metadata, revoked_at, updated_at FROM virtual_keys`,
      apply: (rows) => {
        this.bySecret.clear();
        rows.forEach((row) => this.apply(row));
      },
      logger: this.logger,
    });
  }

  async onModuleInit(): Promise<void> {
    await this.poller.begin(this.config.keyRefreshMs);
  }

  onApplicationShutdown(): void {
    this.poller.stop();
  }

  /** The key named by `Authorization: Bearer` or `x-bf-vk`, or a 401. */
  authenticate(authorization: string | undefined, xBfVk: string | string[] | undefined): CachedKey {
    let secret: string | undefined;
    if (typeof xBfVk === 'string' && xBfVk !== '') secret = xBfVk;
    else if (authorization !== undefined && authorization.length > 7 && authorization.slice(0, 7).toLowerCase() === 'bearer ') {
      secret = authorization.slice(7).trim();
    }
    if (secret === undefined) {
      throw GatewayError.refusal(401, ErrorCode.InvalidApiKey, 'Missing virtual key: send "Authorization: Bearer sk-bf-..." or "x-bf-vk: sk-bf-...".');
    }
    const known = this.bySecret.get(secret);
    if (known !== undefined) return known;
    const key = secret.startsWith(VIRTUAL_KEY_SECRET_PREFIX) ? this.byHash.get(hashVirtualKeySecret(secret)) : undefined;
    if (key === undefined) throw GatewayError.refusal(401, ErrorCode.InvalidApiKey, 'Invalid, unknown or revoked virtual key.');
    if (this.bySecret.size >= MAX_REMEMBERED_SECRETS) this.bySecret.clear();
    this.bySecret.set(secret, key);
    return key;
  }

  /** Re-reads keys changed since the last read (tests that write rows directly call it). */
  refresh(): Promise<void> {
    return this.poller.refresh();
  }

  private apply(row: KeyRow): void {
    const oldHash = this.hashById.get(row.id);
    // A rotated key has a new hash: the old secret must stop working at once.
    if (oldHash !== undefined && oldHash !== row.key_hash) this.byHash.delete(oldHash);
    if (row.revoked_at !== null) {
      this.byHash.delete(row.key_hash);
      this.hashById.delete(row.id);
      return;
    }
    this.hashById.set(row.id, row.key_hash);
    this.byHash.set(row.key_hash, {
      id: row.id,
      name: row.name,
      isActive: row.is_active,
      expiresAt: row.expires_at ? row.expires_at.getTime() : null,
      allowedModels: row.allowed_models ?? [],
      fallbackPolicyId: row.fallback_policy_id,
      rateLimitRpm: row.rate_limit_rpm,
      rateLimitTpm: row.rate_limit_tpm,
      concurrencyLimit: row.max_concurrent_requests,
      budget: row.budget_max_usd !== null && row.budget_period !== null ? { maxUsd: Number(row.budget_max_usd), period: row.budget_period } : null,
      allowSendRaw: row.metadata?.allow_send_raw === true,
    });
  }
}

