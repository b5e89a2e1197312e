import Redis from 'ioredis';
import { type AdmitDecision, type AdmitRequest, type LimitStore, minuteWindow, type Settlement } from './limit-store';

// KEYS: rpm window, tpm window, spend, reserved, inflight.
// ARGV: rpm limit (-1 none), tpm limit (-1 none), budget max units (-1 none), estimate units, window ttl ms, counters ttl ms.
// Returns {0} admitted, {1} rpm, {2} tpm, {3} spend not seeded, {4, spent} over budget.
const ADMIT = `
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local est = tonumber(ARGV[4])
if rpm >= 0 then
  local c = tonumber(redis.call('GET', KEYS[1]) or '0')
  if c >= rpm then return {1} end
end
if tpm >= 0 then
  local t = tonumber(redis.call('GET', KEYS[2]) or '0')
  if t >= tpm then return {2} end
end
if max >= 0 then
  local spent = redis.call('GET', KEYS[3])
  if not spent then return {3} end
  spent = tonumber(spent)
  local reserved = tonumber(redis.call('GET', KEYS[4]) or '0')
  local inflight = tonumber(redis.call('GET', KEYS[5]) or '0')
  if spent >= max or (inflight > 0 and spent + reserved + est > max) then return {4, spent} end
  redis.call('INCRBY', KEYS[4], est)
  redis.call('PEXPIRE', KEYS[4], ARGV[6])
  redis.call('INCR', KEYS[5])
  redis.call('PEXPIRE', KEYS[5], ARGV[6])
end
if rpm >= 0 then
  if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
end
return {0}
`;

// KEYS: tpm window, spend, reserved, inflight. ARGV: tokens, cost units, estimate units, window ttl ms, has budget (0/1).
const SETTLE = `
local tokens = tonumber(ARGV[1])
if tokens > 0 then
  if redis.call('INCRBY', KEYS[1], tokens) == tokens then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
end
if ARGV[5] == '1' then
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('INCRBY', KEYS[2], ARGV[2]) end
  if tonumber(redis.call('DECRBY', KEYS[3], ARGV[3])) < 0 then redis.call('SET', KEYS[3], 0, 'KEEPTTL') end
  if tonumber(redis.call('DECR', KEYS[4])) < 0 then redis.call('SET', KEYS[4], 0, 'KEEPTTL') end
end
return 0
`;

const WINDOW_TTL_MS = 61_000;
// In-flight reservations of a replica that died are forgotten after this.
const RESERVATION_TTL_MS = 600_000;
// Spend counters outlive their period a little, for late settlements.
const SPEND_GRACE_MS = 3_600_000;

type RedisWithScripts = Redis & {
  bfAdmit(...args: (string | number)[]): Promise<number[]>;
  bfSettle(...args: (string | number)[]): Promise<number>;
};

/** Counters shared by every gateway replica through Redis: one script call per admission. */
export class RedisLimitStore implements LimitStore {
  private readonly redis: RedisWithScripts;

  constructor(url: string, private readonly prefix = 'bfgw') {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false }) as RedisWithScripts;
    this.redis.defineCommand('bfAdmit', { numberOfKeys: 5, lua: ADMIT });
    this.redis.defineCommand('bfSettle', { numberOfKeys: 4, lua: SETTLE });
    // Errors surface on the calls; an unhandled 'error' event would crash the process.
    this.redis.on('error', () => undefined);
  }

  private keys(keyId: string, windowStart: number, periodStart: number | null): string[] {
    // The hash tag keeps one key's counters in one cluster slot, as the scripts need.
    const base = `${this.prefix}:{${keyId}}`;
    const p = periodStart ?? 0;
    return [`${base}:rpm:${windowStart}`, `${base}:tpm:${windowStart}`, `${base}:spend:${p}`, `${base}:resv:${p}`, `${base}:infl:${p}`];
  }

  async admit(req: AdmitRequest): Promise<AdmitDecision> {
    const win = minuteWindow(req.now);
    const keys = this.keys(req.keyId, win.start, req.budget?.periodStart ?? null);
    const r = await this.redis.bfAdmit(
      ...keys,
      req.rpm ?? -1,
      req.tpm ?? -1,
      req.budget?.maxUnits ?? -1,
      req.estimateUnits,
      WINDOW_TTL_MS,
      RESERVATION_TTL_MS,
    );
    switch (r[0]) {
      case 0:
        return { ok: true };
      case 1:
        return { ok: false, reason: 'rpm', retryAfterMs: win.end - req.now };
      case 2:
        return { ok: false, reason: 'tpm', retryAfterMs: win.end - req.now };
      case 3:
        return { ok: false, reason: 'seed' };
      default:
        return { ok: false, reason: 'budget', spentUnits: r[1] };
    }
  }

  settle(st: Settlement): void {
    const [, tpm, spend, resv, infl] = this.keys(st.keyId, minuteWindow(st.now).start, st.budget?.periodStart ?? null);
    this.redis
      .bfSettle(tpm, spend, resv, infl, st.tokens, st.costUnits, st.estimateUnits, WINDOW_TTL_MS, st.budget ? '1' : '0')
      .catch(() => undefined);
  }

  async seed(keyId: string, periodStart: number, periodEnd: number | null, spentUnits: number): Promise<void> {
    const [, , spend] = this.keys(keyId, 0, periodStart);
    if (periodEnd === null) await this.redis.set(spend, spentUnits, 'NX');
    else await this.redis.set(spend, spentUnits, 'PX', Math.max(0, periodEnd - Date.now()) + SPEND_GRACE_MS, 'NX');
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
