import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, ErrorCode, GatewayError } from '@app/common';
import { hashVirtualKeySecret, VIRTUAL_KEY_SECRET_PREFIX } from '@app/common/virtual-keys/virtual-key-secret';

/** What the hot path needs of a key, kept in memory. */
export interface CachedKey {
  id: string;
  name: string;
  isActive: boolean;
  expiresAt: number | null;
  allowedModels: string[];
  fallbackPolicyId: string | null;
}

interface KeyRow {
  id: string;
  name: string;
  key_hash: string;
  is_active: boolean;
  expires_at: Date | null;
  allowed_models: string[];
  fallback_policy_id: string | null;
  revoked_at: Date | null;
  updated_at: Date;
}

// Rows committed slightly out of updated_at order are caught by re-reading a short window.
const REFRESH_OVERLAP_MS = 5_000;

/**
 * Authenticates virtual keys with no database round trip: all keys live in a map keyed by
 * the SHA-256 of the secret, refreshed by polling `updated_at`, so new, changed and revoked
 * keys are seen within `keyRefreshMs`. Looking a secret up by its hash leaks nothing about
 * the secret through timing: the map compares digests, never the secret itself.
 */
@Injectable()
export class VirtualKeyCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(VirtualKeyCache.name);
  private readonly byHash = new Map<string, CachedKey>();
  private readonly hashById = new Map<string, string>();
  private since = new Date(0);
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.config.keyRefreshMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
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
    const key = secret.startsWith(VIRTUAL_KEY_SECRET_PREFIX) ? this.byHash.get(hashVirtualKeySecret(secret)) : undefined;
    if (key === undefined) throw GatewayError.refusal(401, ErrorCode.InvalidApiKey, 'Invalid, unknown or revoked virtual key.');
    return key;
  }

  /** Re-reads keys changed since the last poll; concurrent calls share one query. */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    let rows: KeyRow[];
    try {
      rows = await this.dataSource.query(
        `SELECT id, name, key_hash, is_active, expires_at, allowed_models, fallback_policy_id, revoked_at, updated_at
           FROM virtual_keys WHERE updated_at > $1 ORDER BY updated_at`,
        [new Date(this.since.getTime() - REFRESH_OVERLAP_MS)],
      );
    } catch (err) {
      // Keep serving with the keys we know; the next poll tries again.
      this.logger.warn(`virtual key refresh failed: ${(err as Error).message}`);
      return;
    }
    for (const row of rows) this.apply(row);
    if (rows.length > 0) this.since = rows[rows.length - 1].updated_at;
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
    });
  }
}

