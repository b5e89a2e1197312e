import type { DataSource } from 'typeorm';
import type { AppConfig } from '@app/common';
import { generateVirtualKeySecret } from '@app/common/virtual-keys/virtual-key-secret';
import type { ChangeFeed } from '../sync/change-feed.service';
import { VirtualKeyCache } from './virtual-key-cache.service';

describe('VirtualKeyCache', () => {
  let rows: Record<string, unknown>[];
  let cache: VirtualKeyCache;
  let clock = 0;

  /** The table as the poller reads it: each refresh returns the rows changed since the last one. */
  const write = async (row: Record<string, unknown>) => {
    rows = [{ ...row, updated_at: new Date(++clock * 60_000) }];
    await cache.refresh();
  };
  const keyRow = (id: string, hash: string, changes: Record<string, unknown> = {}) => ({
    id, name: id, key_hash: hash, is_active: true, expires_at: null, allowed_models: [], fallback_policy_id: null, rate_limit_rpm: null,
    rate_limit_tpm: null, max_concurrent_requests: null, budget_max_usd: null, budget_period: null, metadata: null, revoked_at: null, ...changes,
  });
  const auth = (secret: string) => cache.authenticate(`Bearer ${secret}`, undefined);

  beforeEach(() => {
    rows = [];
    const dataSource = { query: async () => rows.splice(0) } as unknown as DataSource;
    const feed = { watch: () => undefined } as unknown as ChangeFeed;
    cache = new VirtualKeyCache(dataSource, feed, { keyRefreshMs: 60_000 } as AppConfig);
  });

  it('authenticates the same secret again as it stands after each change, however often it was used', async () => {
    const { secret, hash } = generateVirtualKeySecret();
    await write(keyRow('k1', hash));
    expect(auth(secret).isActive).toBe(true);
    expect(auth(secret).isActive).toBe(true);
    await write(keyRow('k1', hash, { is_active: false }));
    expect(auth(secret).isActive).toBe(false);
  });

  it('refuses a revoked key at once, even right after it authenticated', async () => {
    const { secret, hash } = generateVirtualKeySecret();
    await write(keyRow('k1', hash));
    auth(secret);
    await write(keyRow('k1', hash, { revoked_at: new Date() }));
    expect(() => auth(secret)).toThrow('Invalid, unknown or revoked virtual key.');
  });

  it('refuses a rotated key\'s old secret at once and takes the new one', async () => {
    const old = generateVirtualKeySecret();
    const rotated = generateVirtualKeySecret();
    await write(keyRow('k1', old.hash));
    auth(old.secret);
    await write(keyRow('k1', rotated.hash));
    expect(() => auth(old.secret)).toThrow('Invalid, unknown or revoked virtual key.');
    expect(auth(rotated.secret).id).toBe('k1');
  });

  it('remembers only secrets that authenticated, and a bounded number of them', async () => {
    const { secret, hash } = generateVirtualKeySecret();
    await write(keyRow('k1', hash));
    const remembered = () => (cache as unknown as { bySecret: Map<string, unknown> }).bySecret;
    for (let i = 0; i < 1_000; i++) expect(() => auth(generateVirtualKeySecret().secret)).toThrow();
    expect(remembered().size).toBe(0);
    const many = Array.from({ length: 5_000 }, (_, i) => ({ id: `m${i}`, ...generateVirtualKeySecret() }));
    rows = many.map((k) => ({ ...keyRow(k.id, k.hash), updated_at: new Date(++clock * 60_000) }));
    await cache.refresh();
    for (const k of many) expect(auth(k.secret).id).toBe(k.id);
    expect(remembered().size).toBeLessThanOrEqual(4096);
    expect(auth(secret).id).toBe('k1');
  });
});
