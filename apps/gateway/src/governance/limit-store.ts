/** Money inside the limit stores: integer units of 1e-8 USD (exact enough, safe as a JS number and a Redis integer). */
export const USD_UNITS = 100_000_000;

export function usdToUnits(usd: number | string): number {
  return Math.round(Number(usd) * USD_UNITS);
}

export interface AdmitRequest {
  keyId: string;
  now: number;
  rpm: number | null;
  tpm: number | null;
  budget: { maxUnits: number; periodStart: number; periodEnd: number | null } | null;
  /** Cost expected of this request, reserved until it settles so a burst cannot all slip under the budget. */
  estimateUnits: number;
}

export type AdmitDecision =
  | { ok: true }
  | { ok: false; reason: 'rpm' | 'tpm'; retryAfterMs: number }
  | { ok: false; reason: 'budget'; spentUnits: number }
  | { ok: false; reason: 'seed' };

export interface Settlement {
  keyId: string;
  now: number;
  /** Tokens actually used (input + output), for tokens-per-minute. */
  tokens: number;
  budget: { periodStart: number; periodEnd: number | null } | null;
  costUnits: number;
  estimateUnits: number;
}

/**
 * Rate-limit windows and budget counters. In-process for one gateway; Redis (atomic scripts,
 * one round trip per admission) when several replicas must enforce one limit together.
 * Windows are fixed calendar minutes; budget periods are calendar-aligned (budget-period.ts).
 */
export interface LimitStore {
  admit(req: AdmitRequest): Promise<AdmitDecision>;
  /** Fire-and-forget: records what a finished request really used and releases its reservation. */
  settle(s: Settlement): void;
  /** Sets a key's spend for a period from the database, unless the store already counts it. */
  seed(keyId: string, periodStart: number, periodEnd: number | null, spentUnits: number): Promise<void>;
  close(): Promise<void>;
}

export const LIMIT_STORE = Symbol('LIMIT_STORE');

export function minuteWindow(now: number): { start: number; end: number } {
  const start = now - (now % 60_000);
  return { start, end: start + 60_000 };
}
