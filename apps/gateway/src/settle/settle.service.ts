import { Injectable } from '@nestjs/common';
import { ErrorCode } from '@app/common/errors/gateway-error';
import { costToDecimalString } from '@app/pricing/decimal';
import type { CostResult } from '@app/pricing/price-spec';
import type { Usage } from '@app/providers';
import type { Turn } from '../conversation/turn';
import { PricingService } from '../cost/pricing.service';
import { GovernanceService } from '../governance/governance.service';
import { MetricsService } from '../metrics/metrics.service';
import { type NewRequestLogRow, RequestLogWriter } from '../request-log/request-log.writer';
import { UpstreamCaller } from '../routing/upstream-caller.service';
import type { Json } from '../state/stored-response';
import type { StoredText } from '../state/stored-text';
import { BackgroundResponses } from '../background/background-responses.service';
import type { Attempt, Outcome } from './outcome';
import { ResponseStore } from './response-store.service';

/** A stored turn's answer: the Response as the client gets it, and its JSON as stored. */
export interface StoredAnswer {
  turn: Turn;
  response: Json;
  /** JSON.stringify's text of `response` (ResponseStore.commit reads its plainness off it). */
  json: string;
}

const NO_COST = costToDecimalString(0);

/**
 * What a failed attempt cost: nothing when it produced no tokens (whatever the model's price),
 * else its priced usage, null when the model has no price ("served but unpriced").
 */
function attemptCost(usage: Usage, cost: CostResult | null): string | null {
  return usage.totalTokens === 0 ? NO_COST : (cost?.total_cost_usd ?? null);
}

function sameUsage(a: Usage, b: Usage): boolean {
  return a.inputTokens === b.inputTokens && a.cachedTokens === b.cachedTokens && a.cacheWriteTokens === b.cacheWriteTokens
    && a.outputTokens === b.outputTokens && a.reasoningTokens === b.reasoningTokens && a.totalTokens === b.totalTokens;
}

/**
 * Stage 5: what a request came to, recorded once: each attempt's usage priced once, the key's
 * limits settled once, one log row per attempt, the stored turn, the metrics.
 */
@Injectable()
export class SettleStage {
  constructor(
    private readonly pricing: PricingService,
    private readonly governance: GovernanceService,
    private readonly logs: RequestLogWriter,
    private readonly metrics: MetricsService,
    private readonly caller: UpstreamCaller,
    private readonly store: ResponseStore,
    private readonly background: BackgroundResponses,
  ) {}

  /** The attempt's usage, priced unless this very usage was priced already. */
  price(attempt: Attempt, usage: Usage): CostResult | null {
    if (attempt.pricedUsage === null || !sameUsage(attempt.pricedUsage, usage)) {
      attempt.cost = this.pricing.cost(attempt.candidate, usage);
      attempt.pricedUsage = usage;
    }
    attempt.usage = usage;
    return attempt.cost;
  }

  /**
   * A stored turn's answer, before the client has it: the key's limits learn its cost first (not
   * after the store's commit), then the turn is stored: handed to the store's batch at once (null),
   * or a background response's row finished (the promise of that write).
   */
  settleStored(outcome: Outcome, answer: StoredAnswer): Promise<void> | null {
    this.settleBudget(outcome);
    if (answer.turn.background) return this.background.complete(answer.turn, answer.response, answer.json);
    this.store.commit(answer.turn, answer.response, answer.json);
    return null;
  }

  /** settleStored for a turn stored as text (storedText: never a background response). */
  settleStoredText(outcome: Outcome, turn: Turn, stored: StoredText): void {
    this.settleBudget(outcome);
    this.store.commitText(turn, stored);
  }

  /** The request is over, however it ended: limits settled, a log row per attempt, metrics. */
  finish(outcome: Outcome): void {
    this.settleBudget(outcome);
    const { attempts } = outcome;
    for (let i = 0; i < attempts.length; i++) {
      const a = attempts[i];
      const c = a.candidate;
      // A fault of the gateway's own is not held against the provider.
      if (a.failure?.kind !== 'internal') this.metrics.attempt(c.provider.name, c.model, a.failure === null, outcome.requestType);
      this.logs.enqueue(this.logRow(outcome, a));
      if (a.failure === null) {
        this.metrics.answered(c.provider.name, c.model, a.usage, a.cost?.total_cost ?? null, a.upstreamSeconds, a.totalSeconds, a.stream, a.ttftMs === null ? null : a.ttftMs / 1000, outcome.requestType);
      } else if (i + 1 < attempts.length) {
        this.metrics.fellBack(c.provider.name);
      }
    }
  }

  /** Once per admitted request, with what its answer (else its last attempt) used. */
  private settleBudget(outcome: Outcome): void {
    const admission = outcome.request.admission;
    if (admission === null || outcome.budgetSettled) return;
    outcome.budgetSettled = true;
    const spent = outcome.answer ?? outcome.attempts.at(-1);
    if (spent === undefined) this.governance.settle(admission, 0, null);
    else this.governance.settle(admission, spent.usage.totalTokens, costUsd(spent));
  }

  private logRow(outcome: Outcome, a: Attempt): NewRequestLogRow {
    const { request } = outcome;
    const { failure, usage } = a;
    return {
      id: null,
      requestId: request.ids.requestId,
      clientRequestId: request.ids.clientRequestId,
      createdAt: new Date(request.startedAt),
      virtualKeyId: request.key.id,
      requestType: outcome.requestType,
      provider: a.candidate.provider.name,
      model: a.candidate.model,
      modelRequested: request.modelRequested,
      fallbackIndex: a.fallbackIndex,
      status: failure === null ? 'success' : 'error',
      httpStatus: failure === null ? 200 : failure.kind === 'aborted' ? 499 : failure.status || (failure.kind === 'timeout' ? 504 : 502),
      errorCode: failure === null ? (a.incomplete ? 'incomplete' : null) : failure.kind === 'http' ? (failure.info?.code ?? `http_${failure.status}`) : failure.kind === 'internal' ? ErrorCode.InternalError : failure.kind,
      errorMessage: failure === null ? null : this.caller.redact(failure.message).slice(0, 1000),
      stream: a.stream,
      inputTokens: usage.inputTokens,
      cachedTokens: usage.cachedTokens,
      outputTokens: usage.outputTokens,
      reasoningTokens: usage.reasoningTokens,
      totalTokens: usage.totalTokens,
      costUsd: costUsd(a),
      latencyMs: a.latencyMs,
      ttftMs: a.ttftMs,
    };
  }
}

/** An answer's cost as priced; a failed attempt's by attemptCost. */
function costUsd(a: Attempt): string | null {
  return a.failure === null ? (a.cost?.total_cost_usd ?? null) : attemptCost(a.usage, a.cost);
}
