import Redis from 'ioredis';
import { type AdmitDecision, type AdmitRequest, IN_FLIGHT_RETRY_MS, LEASE_MS, type LimitStore, minuteWindow, type Settlement } from './limit-store';

/*
 * One key's counters share a hash tag ({keyId}), so each script touches one cluster slot:
 *   rpm:<minute>   requests admitted in the minute
 *   tpm:<minute>   tokens settled in the minute
 *   spend:<period> settled spend of the budget period (seeded from the database)
 *   holds          hash: hold id -> "units tokens", one per request in flight
 *   held           hash: units, tokens: the sums of `holds`
 *   leases         zset: hold id -> expiry; a replica renews its own, a dead one's lapse
 */

// Expired leases first (a dead replica's reservations), then the checks in the contract's order
// (429 before 402), then the reservation, all atomically.
// (`0 - x`, never `-x`: Lua writes -0 as "-0", which HINCRBY refuses as not an integer.)
// KEYS: rpm, tpm, spend, holds, held, leases.
// ARGV: now, rpm, tpm, concurrency, budget max (-1: none of each), reserve units, reserve tokens,
//       hold id, lease ms, window ttl ms.
// Returns {0, held} admitted; {1} rpm; {2, inFlightOnly} tpm; {3} spend not seeded;
//         {4, spent, heldUnits} over budget; {5} concurrency.
const ADMIT = `
local now = tonumber(ARGV[1])
local rpm = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local conc = tonumber(ARGV[4])
local max = tonumber(ARGV[5])
local units = tonumber(ARGV[6])
local tokens = tonumber(ARGV[7])
local expired = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now)
for _, id in ipairs(expired) do
  local h = redis.call('HGET', KEYS[4], id)
  if h then
    local u, t = string.match(h, '(%d+) (%d+)')
    redis.call('HINCRBY', KEYS[5], 'units', 0 - tonumber(u))
    redis.call('HINCRBY', KEYS[5], 'tokens', 0 - tonumber(t))
    redis.call('HDEL', KEYS[4], id)
  end
  redis.call('ZREM', KEYS[6], id)
end
if rpm >= 0 then
  local c = tonumber(redis.call('GET', KEYS[1]) or '0')
  if c >= rpm then return {1} end
end
local count = redis.call('HLEN', KEYS[4])
if conc >= 0 and count >= conc then return {5} end
local heldUnits = tonumber(redis.call('HGET', KEYS[5], 'units') or '0')
local heldTokens = tonumber(redis.call('HGET', KEYS[5], 'tokens') or '0')
if tpm >= 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= tpm then return {2, 0} end
  if heldTokens > 0 and used + heldTokens + tokens > tpm then return {2, 1} end
end
if max >= 0 then
  local spent = redis.call('GET', KEYS[3])
  if not spent then return {3} end
  spent = tonumber(spent)
  if spent >= max or spent + heldUnits + units > max then return {4, spent, heldUnits} end
end
if rpm >= 0 then
  if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[10]) end
end
if tpm < 0 and conc < 0 and max < 0 then return {0, 0} end
if max < 0 then units = 0 end
if tpm < 0 then tokens = 0 end
redis.call('HSET', KEYS[4], ARGV[8], units .. ' ' .. tokens)
redis.call('HINCRBY', KEYS[5], 'units', units)
redis.call('HINCRBY', KEYS[5], 'tokens', tokens)
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[9]), ARGV[8])
return {0, 1}
`;

// Releases the hold (if it has not lapsed) and records what the request used.
// KEYS: tpm, spend, holds, held, leases. ARGV: hold id, tokens, cost units, window ttl ms, has budget (0/1).
const SETTLE = `
local h = redis.call('HGET', KEYS[3], ARGV[1])
if h then
  local u, t = string.match(h, '(%d+) (%d+)')
  redis.call('HINCRBY', KEYS[4], 'units', 0 - tonumber(u))
  redis.call('HINCRBY', KEYS[4], 'tokens', 0 - tonumber(t))
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('ZREM', KEYS[5], ARGV[1])
  if redis.call('HLEN', KEYS[3]) == 0 then redis.call('DEL', KEYS[4]) end
end
local tokens = tonumber(ARGV[2])
if tokens > 0 then
  if redis.call('INCRBY', KEYS[1], tokens) == tokens then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
end
if ARGV[5] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then redis.call('INCRBY', KEYS[2], ARGV[3]) end
return 0
`;

// KEYS: leases. ARGV: expiry, hold ids... Only holds still there are extended.
const RENEW = `
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[i]) end
return 0
`;

const WINDOW_TTL_MS = 61_000;
// Spend counters outlive their period a little, for late settlements.
const SPEND_GRACE_MS = 3_600_000;

type RedisWithScripts = Redis & {
  bfAdmit(...args: (string | number)[]): Promise<number[]>;
  bfSettle(...args: (string | number)[]): Promise<number>;
  bfRenew(...args: (string | number)[]): Promise<number>;
};

/** Counters shared by every gateway replica through Redis: one script call per admission. */
export class RedisLimitStore implements LimitStore {
  private readonly redis: RedisWithScripts;

  constructor(url: string, private readonly prefix = 'bfgw') {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false }) as RedisWithScripts;
    this.redis.defineCommand('bfAdmit', { numberOfKeys: 6, lua: ADMIT });
    this.redis.defineCommand('bfSettle', { numberOfKeys: 5, lua: SETTLE });
    this.redis.defineCommand('bfRenew', { numberOfKeys: 1, lua: RENEW });
    // Errors surface on the calls; an unhandled 'error' event would crash the process.
    this.redis.on('error', () => undefined);
  }

  private keys(keyId: string, windowStart: number, periodStart: number | null) {
    // The hash tag keeps one key's counters in one cluster slot, as the scripts need.
    const base = `${this.prefix}:{${keyId}}`;
    return {
      rpm: `${base}:rpm:${windowStart}`,
      tpm: `${base}:tpm:${windowStart}`,
      spend: `${base}:spend:${periodStart ?? 0}`,
      holds: `${base}:holds`,
      held: `${base}:held`,
      leases: `${base}:leases`,
    };
  }

  async admit(req: AdmitRequest): Promise<AdmitDecision> {
    const win = minuteWindow(req.now);
    const k = this.keys(req.keyId, win.start, req.budget?.periodStart ?? null);
    const r = await this.redis.bfAdmit(
      k.rpm, k.tpm, k.spend, k.holds, k.held, k.leases,
      req.now, req.rpm ?? -1, req.tpm ?? -1, req.concurrency ?? -1, req.budget?.maxUnits ?? -1,
      req.reserveUnits, req.reserveTokens, req.holdId, LEASE_MS, WINDOW_TTL_MS,
    );
    switch (r[0]) {
      case 0:
        return { ok: true, held: r[1] === 1 };
      case 1:
        return { ok: false, reason: 'rpm', retryAfterMs: win.end - req.now };
      case 2:
        return { ok: false, reason: 'tpm', retryAfterMs: r[1] === 1 ? IN_FLIGHT_RETRY_MS : win.end - req.now };
      case 3:
        return { ok: false, reason: 'seed' };
      case 5:
        return { ok: false, reason: 'concurrency', retryAfterMs: IN_FLIGHT_RETRY_MS };
      default:
        return { ok: false, reason: 'budget', spentUnits: r[1], heldUnits: r[2] };
    }
  }

  async settle(st: Settlement): Promise<void> {
    const k = this.keys(st.keyId, minuteWindow(st.now).start, st.budget?.periodStart ?? null);
    await this.redis
      .bfSettle(k.tpm, k.spend, k.holds, k.held, k.leases, st.holdId, st.tokens, st.costUnits, WINDOW_TTL_MS, st.budget ? '1' : '0')
      .then(
        () => undefined,
        () => undefined,
      );
  }

  async seed(keyId: string, periodStart: number, periodEnd: number | null, spentUnits: number): Promise<void> {
    const { spend } = this.keys(keyId, 0, periodStart);
    if (periodEnd === null) await this.redis.set(spend, spentUnits, 'NX');
    else await this.redis.set(spend, spentUnits, 'PX', Math.max(0, periodEnd - Date.now()) + SPEND_GRACE_MS, 'NX');
  }

  async renew(holds: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const expiry = Date.now() + LEASE_MS;
    await Promise.all([...holds].map(([keyId, ids]) => this.redis.bfRenew(this.keys(keyId, 0, null).leases, expiry, ...ids)));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
