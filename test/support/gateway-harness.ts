import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { generateVirtualKeySecret } from '@app/common/virtual-keys/virtual-key-secret';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { VirtualKeyCache } from '../../apps/gateway/src/auth/virtual-key-cache.service';
import { AdminPriceCache } from '../../apps/gateway/src/cost/admin-price-cache.service';
import { startGateway, type RunningGateway } from '../../apps/gateway/src/gateway.bootstrap';
import { RequestLogWriter } from '../../apps/gateway/src/request-log/request-log.writer';
import { startAdmin } from '../../apps/admin/src/admin.bootstrap';
import { FallbackPolicyCache } from '../../apps/gateway/src/routing/fallback-policy-cache.service';
import { ModelCatalog } from '../../apps/gateway/src/models/model-catalog.service';
import { TcpProxy } from './tcp-proxy';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface HarnessOptions {
  /** More providers, given the fake upstreams' origins. */
  providers?: (upstreams: { upstream: string; backup: string }) => Record<string, unknown>;
  /** GATEWAY_CONFIG `server` overrides. */
  server?: Record<string, unknown>;
  /** GATEWAY_CONFIG `pricing` overrides. */
  pricing?: Record<string, unknown>;
  /** Shared limit counters in Redis instead of in-process. */
  redisUrl?: string;
  /** Start the admin app too, on the same database. */
  admin?: boolean;
  /** More gateway replicas on the same database (and Redis, when given). */
  extraGateways?: number;
  /** Reach the database through a proxy the test can cut (`h.dbProxy.down()`). */
  dbProxy?: boolean;
  /**
   * Providers configured the README's way, by environment only (`<PROVIDER>_API_KEY`, ...):
   * the variables, given the fake upstreams' origins. The config file then holds no providers.
   */
  envProviders?: (upstreams: { upstream: string; backup: string }) => Record<string, string>;
}

export interface KeyFields {
  name?: string;
  allowed_models?: string[];
  is_active?: boolean;
  expires_at?: Date;
  rate_limit_rpm?: number;
  rate_limit_tpm?: number;
  max_concurrent_requests?: number;
  budget_max_usd?: number;
  budget_period?: '1h' | '1d' | '1w' | '1M' | 'total';
  fallback_policy_id?: string;
  metadata?: Record<string, unknown>;
}

export const ADMIN_TOKEN = 'test-admin-token';

export interface GatewayHarness {
  gateway: RunningGateway;
  /** Replicas started with `extraGateways`. */
  replicas: RunningGateway[];
  /** The admin app's origin when started with `admin: true`. */
  adminUrl?: string;
  /** With `dbProxy: true`: the gateways' way to the database. */
  dbProxy?: TcpProxy;
  /** Behind provider `openai`. */
  upstream: FakeUpstream;
  /** Behind provider `backup` (openai-compatible), a separate server for fallback tests. */
  backup: FakeUpstream;
  db: TestDatabase;
  url: string;
  createKey(fields?: KeyFields): Promise<{ id: string; key: string }>;
  /** Makes every gateway re-read keys, policies and admin prices now instead of at the next poll. */
  refresh(): Promise<void>;
  /** Admin API call with the harness's admin token. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  revokeKey(id: string): Promise<void>;
  /**
   * Rows of the request log for one request id (the gateway's, or the client's own x-request-id
   * as `{ clientRequestId }` when no answer carried the gateway's), after the buffered writer flushed.
   */
  logRows(requestId: LoggedRequest): Promise<Record<string, unknown>[]>;
  /** The same rows as the database holds them now, without flushing first. */
  logRowsDirect(requestId: LoggedRequest): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** A request in the log: the gateway's request id, or the client's own. */
export type LoggedRequest = string | { clientRequestId: string };

/** A port nobody listens on: connections are refused. */
export const CLOSED_PORT_URL = 'http://127.0.0.1:9/v1';

/**
 * Boots the real gateway (the production start function) on a fresh migrated database, with
 * configuration read through loadConfig from a GATEWAY_CONFIG file, in front of two fake
 * upstreams speaking OpenAI's wire format.
 */
export async function startGatewayHarness(optionsOrProviders: HarnessOptions | HarnessOptions['providers'] = {}): Promise<GatewayHarness> {
  // A bare function is the providers callback (the short form most provider tests use).
  const options: HarnessOptions = typeof optionsOrProviders === 'function' ? { providers: optionsOrProviders } : (optionsOrProviders ?? {});
  const db = await createTestDatabase();
  const upstream = await createFakeUpstream();
  const backup = await createFakeUpstream();
  const fast = { max_retries: 2, retry_backoff_ms: 1, retry_backoff_max_ms: 20, timeout_ms: 5_000, stream_idle_timeout_ms: 2_000 };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'gw-')), 'gateway.json');
  writeFileSync(
    file,
    JSON.stringify({
      providers: options.envProviders ? {} : {
        openai: { base_url: `${upstream.url}/v1`, keys: [{ value: 'sk-upstream-openai' }], models: ['gpt-4o-mini'], ...fast },
        backup: { kind: 'openai-compatible', base_url: `${backup.url}/v1`, keys: [{ value: 'sk-upstream-backup' }], ...fast },
        dead: { kind: 'openai-compatible', base_url: CLOSED_PORT_URL, keys: [{ value: 'x' }], ...fast },
        ...options.providers?.({ upstream: upstream.url, backup: backup.url }),
      },
      server: { key_refresh_ms: 100, log_flush_interval_ms: 20, ...options.server },
      ...(options.pricing ? { pricing: options.pricing } : {}),
    }),
  );
  let dbProxy: TcpProxy | undefined;
  if (options.dbProxy) {
    const target = new URL(db.url);
    dbProxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await dbProxy.start();
  }
  const env: Record<string, string> = {
    ...db.appEnv,
    GATEWAY_CONFIG: file,
    DATABASE_URL: dbProxy ? dbProxy.urlFor(db.url) : db.url,
    GATEWAY_PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_TOKEN,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gw-data-')),
  };
  if (options.redisUrl) env.REDIS_URL = options.redisUrl;
  Object.assign(env, options.envProviders?.({ upstream: upstream.url, backup: backup.url }));
  const config = loadConfig(env);
  const gateway = await startGateway(config);
  const replicas: RunningGateway[] = [];
  for (let i = 0; i < (options.extraGateways ?? 0); i++) replicas.push(await startGateway(loadConfig(env)));
  const admin = options.admin ? await startAdmin(loadConfig(env)) : undefined;
  // The providers' model lists are read in the background at start: let that finish, so that
  // its GETs never land among the requests a test inspects.
  await Promise.all([gateway, ...replicas].map((g) => g.app.get(ModelCatalog).loaded()));
  // Tests may shut the gateway down themselves (graceful shutdown); closing twice is a no-op.
  const closeGateway = gateway.close.bind(gateway);
  let closing: Promise<void> | undefined;
  gateway.close = () => (closing ??= closeGateway());
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const all = [gateway, ...replicas];
  const refresh = async () => {
    await Promise.all(all.flatMap((g) => [g.app.get(VirtualKeyCache).refresh(), g.app.get(FallbackPolicyCache).refresh(), g.app.get(AdminPriceCache).refresh()]));
  };

  const harness: GatewayHarness = {
    gateway,
    replicas,
    adminUrl: admin?.url,
    dbProxy,
    upstream,
    backup,
    db,
    url: gateway.url,
    refresh,
    admin(method, route, body) {
      if (!admin) throw new Error('start the harness with { admin: true }');
      return fetch(`${admin.url}${route}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },
    async createKey(fields = {}) {
      const { secret: key, hash } = generateVirtualKeySecret();
      const r = await pg.query(
        `INSERT INTO virtual_keys (name, key_hash, key_prefix, allowed_models, is_active, expires_at, rate_limit_rpm, rate_limit_tpm,
                                   budget_max_usd, budget_period, fallback_policy_id, metadata, max_concurrent_requests)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
        [
          fields.name ?? 'test', hash, key.slice(0, 10), JSON.stringify(fields.allowed_models ?? []), fields.is_active ?? true,
          fields.expires_at ?? null, fields.rate_limit_rpm ?? null, fields.rate_limit_tpm ?? null, fields.budget_max_usd ?? null,
          fields.budget_period ?? null, fields.fallback_policy_id ?? null, JSON.stringify(fields.metadata ?? {}), fields.max_concurrent_requests ?? null,
        ],
      );
      await refresh();
      return { id: r.rows[0].id as string, key };
    },
    async revokeKey(id) {
      await pg.query(`UPDATE virtual_keys SET revoked_at = now(), is_active = false, updated_at = now() WHERE id = $1`, [id]);
      await refresh();
    },
    async logRows(requestId) {
      await gateway.app.get(RequestLogWriter).flush();
      return harness.logRowsDirect(requestId);
    },
    async logRowsDirect(requestId) {
      const r = typeof requestId === 'string'
        ? await pg.query(`SELECT * FROM request_logs WHERE request_id = $1 ORDER BY fallback_index`, [requestId])
        : await pg.query(`SELECT * FROM request_logs WHERE client_request_id = $1 ORDER BY fallback_index`, [requestId.clientRequestId]);
      // The admin API finds a request's attempts by their shared created_at: every spec that logs one checks it.
      const requests = new Map<string, string>();
      for (const row of r.rows as { request_id: string; created_at: Date }[]) {
        const at = row.created_at.toISOString();
        if ((requests.get(row.request_id) ?? at) !== at) throw new Error(`request ${row.request_id}: attempts logged with different created_at`);
        requests.set(row.request_id, at);
      }
      return r.rows;
    },
    async close() {
      dbProxy?.up();
      await Promise.all([gateway.close(), ...replicas.map((r) => r.close()), admin?.close()]);
      await dbProxy?.stop();
      await pg.end();
      await upstream.close();
      await backup.close();
      await db.drop();
    },
  };
  return harness;
}

/** Polls until `check` holds (for effects that happen after a response, like upstream aborts). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what} not met in time`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Rate-limit windows are calendar minutes: a burst that straddles a minute boundary meets two
 * windows. Tests of per-minute limits start their burst well inside one.
 */
export async function awayFromMinuteBoundary(marginMs = 5_000): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 60_000 - marginMs) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 50));
}
