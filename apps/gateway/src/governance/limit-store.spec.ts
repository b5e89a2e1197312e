import { randomUUID } from 'node:crypto';
import { testEnv } from '../../../../test/support/test-env.config';
import type { AdmitRequest, LimitStore } from './limit-store';
import { MemoryLimitStore } from './memory-limit-store';
import { RedisLimitStore } from './redis-limit-store';

// The same behaviour is demanded of both stores: one gateway in-process, replicas through Redis
// (run when REDIS_URL is set, as CI does).
const STORES: [string, () => LimitStore][] = [['memory', () => new MemoryLimitStore()]];
const redisUrl = testEnv.redisUrl;
if (redisUrl) STORES.push(['redis', () => new RedisLimitStore(redisUrl, `bfgw-test-${randomUUID()}`)]);

describe.each(STORES)('%s limit store', (_name, make) => {
  let store: LimitStore;
  beforeEach(() => {
    store = make();
  });
  afterEach(async () => {
    await store.close();
  });

  // Ten seconds into the current minute: counters' expiry in Redis runs on the real clock.
  const T0 = Date.now() - (Date.now() % 60_000) + 10_000;
  const base = (over: Partial<AdmitRequest> = {}): AdmitRequest => ({ keyId: randomUUID(), now: T0, rpm: null, tpm: null, budget: null, estimateUnits: 0, ...over });

  it('holds requests per minute and says when the window reopens', async () => {
    const req = base({ rpm: 3 });
    for (let i = 0; i < 3; i++) expect(await store.admit(req)).toEqual({ ok: true });
    const refused = await store.admit(req);
    expect(refused).toMatchObject({ ok: false, reason: 'rpm' });
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(60_000);
    // A refused request does not eat into the window; the next minute starts afresh.
    expect(await store.admit({ ...req, now: T0 + 60_000 })).toEqual({ ok: true });
  });

  it('counts the tokens requests actually used against tokens per minute', async () => {
    const req = base({ tpm: 100 });
    expect(await store.admit(req)).toEqual({ ok: true });
    // Fire-and-forget, yet ordered: the memory store applies it at once, Redis runs the
    // commands of one connection in the order they were sent.
    store.settle({ keyId: req.keyId, now: T0, tokens: 120, budget: null, costUnits: 0, estimateUnits: 0 });
    expect(await store.admit(req)).toMatchObject({ ok: false, reason: 'tpm' });
  });

  it('asks for a seed, then admits under the budget and refuses once it is spent', async () => {
    const budget = { maxUnits: 1_000, periodStart: T0 - 10_000, periodEnd: T0 + 3_600_000 };
    const req = base({ budget, estimateUnits: 100 });
    expect(await store.admit(req)).toEqual({ ok: false, reason: 'seed' });
    await store.seed(req.keyId, budget.periodStart, budget.periodEnd, 600);
    expect(await store.admit(req)).toEqual({ ok: true });
    store.settle({ keyId: req.keyId, now: T0, tokens: 0, budget, costUnits: 500, estimateUnits: 100 });
    expect(await store.admit(req)).toMatchObject({ ok: false, reason: 'budget', spentUnits: 1_100 });
  });

  it('reserves in-flight estimates so a burst cannot all slip under the budget', async () => {
    const budget = { maxUnits: 1_000, periodStart: T0 - 10_000, periodEnd: null };
    const req = base({ budget, estimateUnits: 300 });
    await store.seed(req.keyId, budget.periodStart, budget.periodEnd, 0);
    const decisions = await Promise.all(Array.from({ length: 10 }, () => store.admit(req)));
    // Three reservations fit (900 <= 1000); a fourth would pass 1000 while the others are in flight.
    expect(decisions.filter((d) => d.ok)).toHaveLength(3);
  });
});
