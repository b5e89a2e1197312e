import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ErrorCode, errorMessage, GatewayError, periodEnd, periodStart, uuidv7 } from '@app/common';
import type { CachedKey } from '../auth/virtual-key-cache.service';
import { type AdmitRequest, LEASE_MS, LIMIT_STORE, type LimitStore, USD_UNITS, usdToUnits, usdToUnitsCeil } from './limit-store';

/** The most one request may use, reserved at admission (see reservation.ts). */
export interface WorstCase {
  usd: number;
  tokens: number;
  /** The output cap behind it, for the refusal's advice. */
  outputTokens: number;
}

/** What an admitted request holds until it settles. */
export interface Admission {
  keyId: string;
  holdId: string;
  held: boolean;
  budget: { periodStart: number; periodEnd: number | null } | null;
}

/**
 * Requests and tokens per minute, requests in flight and budgets per virtual key, in the
 * contract's order (429 before 402). Admission reserves the request's worst case and settlement
 * replaces it with what the request really used, so that no burst can pass a limit on a stale
 * total (limit-store.ts states the guarantee). Keys without limits pay nothing here: no await,
 * no lookup.
 */
@Injectable()
export class GovernanceService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(GovernanceService.name);
  /** Reservations of this process in flight: hold id -> key id, renewed while they run. */
  private readonly live = new Map<string, string>();
  /** One database read per key and period, however many requests meet the empty counter at once. */
  private readonly seeding = new Map<string, Promise<void>>();
  private renewTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(LIMIT_STORE) private readonly store: LimitStore,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.renewTimer = setInterval(() => void this.renew(), LEASE_MS / 4);
    this.renewTimer.unref();
  }

  needsAdmission(key: CachedKey): boolean {
    return key.rateLimitRpm !== null || key.rateLimitTpm !== null || key.budget !== null || key.concurrencyLimit !== null;
  }

  /** Whether admission needs the request's worst case (a cost or token reservation). */
  reservesWorstCase(key: CachedKey): boolean {
    return key.rateLimitTpm !== null || key.budget !== null;
  }

  async admit(key: CachedKey, now: number, worst: WorstCase): Promise<Admission> {
    let budget: AdmitRequest['budget'] = null;
    if (key.budget !== null) {
      const start = periodStart(key.budget.period, new Date(now)).getTime();
      const end = periodEnd(key.budget.period, new Date(now))?.getTime() ?? null;
      budget = { maxUnits: usdToUnits(key.budget.maxUsd), periodStart: start, periodEnd: end };
    }
    const req: AdmitRequest = {
      keyId: key.id,
      holdId: uuidv7(),
      now,
      rpm: key.rateLimitRpm,
      tpm: key.rateLimitTpm,
      concurrency: key.concurrencyLimit,
      budget,
      reserveUnits: usdToUnitsCeil(worst.usd),
      reserveTokens: worst.tokens,
    };
    let decision = await this.store.admit(req);
    if (!decision.ok && decision.reason === 'seed' && budget !== null) {
      // First request of this key in this period here: start from what the database has recorded.
      await this.seedOnce(key.id, budget.periodStart, budget.periodEnd);
      decision = await this.store.admit(req);
    }
    if (decision.ok) {
      if (decision.held) this.live.set(req.holdId, key.id);
      return { keyId: key.id, holdId: req.holdId, held: decision.held, budget: budget && { periodStart: budget.periodStart, periodEnd: budget.periodEnd } };
    }
    if (decision.reason === 'rpm' || decision.reason === 'tpm' || decision.reason === 'concurrency') {
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      const headers = { 'retry-after': String(seconds), 'retry-after-ms': String(Math.max(0, Math.round(decision.retryAfterMs))) };
      if (decision.reason === 'concurrency') {
        return refuse429(ErrorCode.ConcurrencyLimitExceeded, `Virtual key '${key.name}' already has ${key.concurrencyLimit} requests in flight, its limit. Retry after ${seconds}s.`, headers);
      }
      const what =
        decision.reason === 'rpm'
          ? `${key.rateLimitRpm} requests`
          : `${key.rateLimitTpm} tokens (this request may use up to ${worst.tokens}, reserved while it runs)`;
      return refuse429(ErrorCode.RateLimitExceeded, `Rate limit of ${what} per minute reached for virtual key '${key.name}'. Retry after ${seconds}s.`, headers);
    }
    const spent = decision.reason === 'budget' ? decision.spentUnits / USD_UNITS : 0;
    const held = decision.reason === 'budget' ? decision.heldUnits / USD_UNITS : 0;
    const resets = budget?.periodEnd ? ` It resets at ${new Date(budget.periodEnd).toISOString()}.` : '';
    throw GatewayError.refusal(
      402,
      ErrorCode.BudgetExceeded,
      `Budget of $${key.budget?.maxUsd} (${key.budget?.period}) for virtual key '${key.name}' cannot cover this request: ` +
        `$${spent.toFixed(6)} spent, $${held.toFixed(6)} reserved by requests in flight, and this request may cost up to ` +
        `$${worst.usd.toFixed(6)} (${worst.outputTokens} output tokens at most; a lower max_output_tokens reserves less).${resets}`,
    );
  }

  /** Records what the request really used and releases its reservation; called once per admitted request, whatever happened. */
  settle(admission: Admission, tokens: number, costUsd: string | null): void {
    // Requests per minute alone count at admission: nothing to release or record.
    if (!admission.held) return;
    this.live.delete(admission.holdId);
    void this.store.settle({
      keyId: admission.keyId,
      holdId: admission.holdId,
      now: Date.now(),
      tokens,
      budget: admission.budget,
      costUnits: costUsd === null ? 0 : usdToUnits(costUsd),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.store.close();
  }

  private seedOnce(keyId: string, start: number, end: number | null): Promise<void> {
    const id = `${keyId}:${start}`;
    let pending = this.seeding.get(id);
    if (pending === undefined) {
      pending = this.spentSince(keyId, start)
        .then((spent) => this.store.seed(keyId, start, end, spent))
        .finally(() => this.seeding.delete(id));
      this.seeding.set(id, pending);
    }
    return pending;
  }

  private async renew(): Promise<void> {
    if (this.live.size === 0) return;
    const byKey = new Map<string, string[]>();
    for (const [holdId, keyId] of this.live) {
      const ids = byKey.get(keyId);
      if (ids === undefined) byKey.set(keyId, [holdId]);
      else ids.push(holdId);
    }
    await this.store.renew(byKey).catch((err: unknown) => this.logger.warn(`renewing reservations failed: ${errorMessage(err)}`));
  }

  private async spentSince(keyId: string, since: number): Promise<number> {
    const rows: { spent: string | null }[] = await this.dataSource.query(
      `SELECT SUM(cost_usd)::text AS spent FROM request_logs WHERE virtual_key_id = $1 AND created_at >= $2`,
      [keyId, new Date(since)],
    );
    return rows[0]?.spent ? usdToUnits(rows[0].spent) : 0;
  }
}

function refuse429(code: ErrorCode, message: string, headers: Record<string, string>): never {
  throw new GatewayError(429, code, message, null, headers);
}
