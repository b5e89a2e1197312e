import { usdUnits } from '@app/pricing';

/** Money inside the limit stores: integer units of 1e-8 USD (exact enough, safe as a JS number and a Redis integer). */
const USD_SCALE = 8;
export const USD_UNITS = 10 ** USD_SCALE;

/** Converted from the amount's decimal digits (see usdUnits), never through a float product. */
export function usdToUnits(usd: number | string): number {
  return Number(usdUnits(usd, USD_SCALE));
}

/** A worst case in units, rounded up: a reservation must never be smaller than what it covers. */
export function usdToUnitsCeil(usd: number): number {
  return Number(usdUnits(usd, USD_SCALE, 'up'));
}

export interface BudgetWindow {
  maxUnits: number;
  periodStart: number;
  periodEnd: number | null;
}

export interface AdmitRequest {
  keyId: string;
  /** Unique per request: names its reservation until it settles. */
  holdId: string;
  now: number;
  rpm: number | null;
  tpm: number | null;
  /** Requests of the key in flight at once. */
  concurrency: number | null;
  budget: BudgetWindow | null;
  /** This request's worst-case cost, reserved against the budget until it settles. */
  reserveUnits: number;
  /** This request's worst-case tokens, reserved against tokens per minute until it settles. */
  reserveTokens: number;
}

export type AdmitDecision =
  /** `held`: a reservation was made and must be settled. */
  | { ok: true; held: boolean }
  | { ok: false; reason: 'rpm' | 'tpm' | 'concurrency'; retryAfterMs: number }
  /** `spentUnits` settled so far in the period, `heldUnits` reserved by requests in flight. */
  | { ok: false; reason: 'budget'; spentUnits: number; heldUnits: number }
  | { ok: false; reason: 'seed' };

export interface Settlement {
  keyId: string;
  holdId: string;
  now: number;
  /** Tokens actually used (input + output), for tokens per minute. */
  tokens: number;
  /** The period the request was admitted in (its cost counts there). */
  budget: { periodStart: number; periodEnd: number | null } | null;
  costUnits: number;
}

/**
 * Rate-limit windows, budget counters and the reservations of requests in flight. In-process for
 * one gateway; Redis (one atomic script per admission) when several replicas must enforce one
 * limit together. Windows are fixed calendar minutes; budget periods are calendar-aligned.
 *
 * The guarantee both stores give: a request is admitted only if the key's settled spend plus every
 * reservation in flight plus this request's worst case fits the budget, decided atomically with
 * making its own reservation. So concurrent requests can never jointly pass the budget on a stale
 * total; only a request whose real cost exceeds its reservation can (see README, Governance).
 * Tokens per minute reserve the same way, except that a request is admitted when nothing else
 * of the key is in flight and the minute is not used up: a single large request is never refused
 * for tokens it may not use, so the window is overshot by at most that one request.
 */
export interface LimitStore {
  admit(req: AdmitRequest): Promise<AdmitDecision>;
  /**
   * Records what a finished request really used and releases its reservation. Callers need not
   * wait (it never rejects); the next admission through the same store sees it either way.
   */
  settle(s: Settlement): Promise<void>;
  /** Sets a key's spend for a period from the database, unless the store already counts it. */
  seed(keyId: string, periodStart: number, periodEnd: number | null, spentUnits: number): Promise<void>;
  /** Keeps this process's reservations alive (Redis: they expire if a replica dies holding them). */
  renew(holds: ReadonlyMap<string, readonly string[]>): Promise<void>;
  close(): Promise<void>;
}

export const LIMIT_STORE = Symbol('LIMIT_STORE');

export function minuteWindow(now: number): { start: number; end: number } {
  const start = now - (now % 60_000);
  return { start, end: start + 60_000 };
}

/** A refusal while only requests in flight stand in the way clears as they finish: ask again soon. */
export const IN_FLIGHT_RETRY_MS = 1_000;

/** A reservation of a replica that died lapses after this; live replicas renew theirs well before. */
export const LEASE_MS = 120_000;
