import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ErrorCode, GatewayError, periodEnd, periodStart } from '@app/common';
import type { CachedKey } from '../auth/virtual-key-cache.service';
import { type AdmitRequest, LIMIT_STORE, type LimitStore, USD_UNITS, usdToUnits } from './limit-store';

/** What an admitted request holds until it settles. */
export interface Admission {
  keyId: string;
  estimateUnits: number;
  budget: { periodStart: number; periodEnd: number | null } | null;
}

// How much the newest request's cost moves a key's running estimate.
const EWMA_WEIGHT = 0.3;

/**
 * Rate limits (requests and tokens per minute) and budgets per virtual key, in the contract's
 * order: 429 before 402. Keys without limits pay nothing here: no await, no lookup.
 */
@Injectable()
export class GovernanceService implements OnApplicationShutdown {
  private readonly estimates = new Map<string, number>();

  constructor(
    @Inject(LIMIT_STORE) private readonly store: LimitStore,
    private readonly dataSource: DataSource,
  ) {}

  needsAdmission(key: CachedKey): boolean {
    return key.rateLimitRpm !== null || key.rateLimitTpm !== null || key.budget !== null;
  }

  /** @param fallbackEstimateUsd what this request may cost when the key has no history yet. */
  async admit(key: CachedKey, now: number, fallbackEstimateUsd: number): Promise<Admission> {
    let budget: AdmitRequest['budget'] = null;
    if (key.budget !== null) {
      const start = periodStart(key.budget.period, new Date(now)).getTime();
      const end = periodEnd(key.budget.period, new Date(now))?.getTime() ?? null;
      budget = { maxUnits: usdToUnits(key.budget.maxUsd), periodStart: start, periodEnd: end };
    }
    const estimateUnits = this.estimates.get(key.id) ?? usdToUnits(fallbackEstimateUsd);
    const req: AdmitRequest = { keyId: key.id, now, rpm: key.rateLimitRpm, tpm: key.rateLimitTpm, budget, estimateUnits };
    let decision = await this.store.admit(req);
    if (!decision.ok && decision.reason === 'seed' && budget !== null) {
      // First request of this key in this period here: start from what the database has recorded.
      await this.store.seed(key.id, budget.periodStart, budget.periodEnd, await this.spentSince(key.id, budget.periodStart));
      decision = await this.store.admit(req);
    }
    if (!decision.ok) {
      if (decision.reason === 'rpm' || decision.reason === 'tpm') {
        const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
        const what = decision.reason === 'rpm' ? `${key.rateLimitRpm} requests` : `${key.rateLimitTpm} tokens`;
        throw new GatewayError(429, ErrorCode.RateLimitExceeded, `Rate limit of ${what} per minute reached for virtual key '${key.name}'. Retry after ${seconds}s.`, null, {
          'retry-after': String(seconds),
          'retry-after-ms': String(Math.max(0, Math.round(decision.retryAfterMs))),
        });
      }
      const spent = decision.reason === 'budget' ? decision.spentUnits / USD_UNITS : 0;
      const resets = budget?.periodEnd ? `; it resets at ${new Date(budget.periodEnd).toISOString()}` : '';
      throw GatewayError.refusal(402, ErrorCode.BudgetExceeded, `Budget of $${key.budget?.maxUsd} (${key.budget?.period}) for virtual key '${key.name}' is spent ($${spent.toFixed(6)} used${resets}).`);
    }
    return { keyId: key.id, estimateUnits, budget: budget && { periodStart: budget.periodStart, periodEnd: budget.periodEnd } };
  }

  /** Records what the request really used; called once per admitted request, whatever happened. */
  settle(admission: Admission, tokens: number, costUsd: string | null): void {
    const costUnits = costUsd === null ? 0 : usdToUnits(costUsd);
    this.store.settle({ keyId: admission.keyId, now: Date.now(), tokens, budget: admission.budget, costUnits, estimateUnits: admission.estimateUnits });
    if (costUnits > 0) {
      const prev = this.estimates.get(admission.keyId);
      this.estimates.set(admission.keyId, prev === undefined ? costUnits : Math.round(prev + EWMA_WEIGHT * (costUnits - prev)));
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.store.close();
  }

  private async spentSince(keyId: string, since: number): Promise<number> {
    const rows: { spent: string | null }[] = await this.dataSource.query(
      `SELECT SUM(cost_usd)::text AS spent FROM request_logs WHERE virtual_key_id = $1 AND created_at >= $2`,
      [keyId, new Date(since)],
    );
    return rows[0]?.spent ? usdToUnits(rows[0].spent) : 0;
  }
}
