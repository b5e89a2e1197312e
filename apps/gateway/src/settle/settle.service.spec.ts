import type { CostResult } from '@app/pricing';
import { internalFailure, UpstreamFailure, type Usage } from '@app/providers';
import type { Turn } from '../conversation/turn';
import type { BackgroundResponses } from '../background/background-responses.service';
import type { PricingService } from '../cost/pricing.service';
import type { Admission, GovernanceService } from '../governance/governance.service';
import type { MetricsService } from '../metrics/metrics.service';
import type { Admitted } from '../plan/admission.service';
import type { NewRequestLogRow, RequestLogWriter } from '../request-log/request-log.writer';
import type { Candidate } from '../routing/route-planner.service';
import type { UpstreamCaller } from '../routing/upstream-caller.service';
import { newAttempt, Outcome } from './outcome';
import type { ResponseStore } from './response-store.service';
import { SettleStage } from './settle.service';

const usage = (input: number, output: number): Usage => ({ inputTokens: input, cachedTokens: 0, outputTokens: output, reasoningTokens: 0, totalTokens: input + output });
const STARTED_AT = 1_765_000_000_123;
const candidate = (name: string) => ({ provider: { name }, model: 'm', label: `${name}/m` }) as Candidate;

function setup() {
  const priced: Usage[] = [];
  const settled: { tokens: number; costUsd: string | null }[] = [];
  const rows: NewRequestLogRow[] = [];
  const fellBack: string[] = [];
  const pricing = { cost: (_c: Candidate, u: Usage) => (priced.push(u), { total_cost_usd: (u.totalTokens / 1000).toFixed(3), total_cost: u.totalTokens / 1000 } as CostResult) };
  const governance = { settle: (_a: Admission, tokens: number, costUsd: string | null) => settled.push({ tokens, costUsd }) };
  const logs = { enqueue: (row: NewRequestLogRow) => rows.push(row) };
  const attempts: string[] = [];
  const metrics = { attempt: (p: string, _m: string, ok: boolean) => attempts.push(`${p} ${ok}`), answered: () => undefined, fellBack: (p: string) => fellBack.push(p) };
  const caller = { redact: (t: string) => t.replace('secret', '***') };
  const committed: string[] = [];
  const store = { commit: async (_t: unknown, _r: unknown, json: string) => (committed.push(`${settled.length} settled, then ${json}`), undefined) };
  const settle = new SettleStage(
    pricing as unknown as PricingService, governance as unknown as GovernanceService, logs as unknown as RequestLogWriter,
    metrics as unknown as MetricsService, caller as unknown as UpstreamCaller, store as unknown as ResponseStore, {} as BackgroundResponses,
  );
  const request = {
    ids: { requestId: 'r1', clientRequestId: null, invalid: false }, key: { id: 'k' }, startedAt: STARTED_AT, modelRequested: 'a/m',
    format: { requestType: 'responses' }, admission: { keyId: 'k', holdId: 'h', held: true, budget: null },
  } as unknown as Admitted;
  return { settle, outcome: new Outcome(request), priced, settled, rows, fellBack, committed, attempts };
}

describe('SettleStage', () => {
  it('prices a usage once, however often it is asked, and again only when the usage changed', () => {
    const { settle, priced } = setup();
    const attempt = newAttempt(candidate('a'), 0, true);
    settle.price(attempt, usage(10, 5));
    settle.price(attempt, usage(10, 5));
    expect(priced).toHaveLength(1);
    expect(settle.price(attempt, usage(12, 5))?.total_cost_usd).toBe('0.017');
    expect(priced).toHaveLength(2);
  });

  it("records one row per attempt; the key's limits learn the answer before its turn is stored, once", async () => {
    const { settle, outcome, settled, rows, fellBack, committed } = setup();
    const failed = newAttempt(candidate('a'), 0, false);
    failed.failure = new UpstreamFailure('http', 503, 'down, key secret');
    outcome.attempts.push(failed);
    const answer = newAttempt(candidate('b'), 1, false);
    settle.price(answer, usage(100, 20));
    outcome.answer = answer;
    await settle.settleStored(outcome, { turn: { background: false } as Turn, response: {}, json: '{}' });
    outcome.attempts.push(answer);
    settle.finish(outcome);
    expect(committed).toEqual(['1 settled, then {}']);
    expect(settled).toEqual([{ tokens: 120, costUsd: '0.120' }]);
    expect(rows.map((r) => [r.provider, r.status, r.httpStatus, r.costUsd, r.errorMessage])).toEqual([
      ['a', 'error', 503, '0.0000000000', 'down, key ***'],
      ['b', 'success', 200, '0.120', null],
    ]);
    expect(fellBack).toEqual(['a']);
    // The admin API finds a request's attempts by this shared created_at (there is no request_id index).
    expect(rows.map((r) => r.createdAt.getTime())).toEqual([STARTED_AT, STARTED_AT]);
    // Its id left for the encoder to mint as it writes the row (RequestLogEncoder), never made a string here.
    expect(rows.map((r) => r.id)).toEqual([null, null]);
  });

  it("logs a fault of the gateway's own as its 500 internal_error with the usage streamed, held against no provider", () => {
    const { settle, outcome, settled, rows, attempts } = setup();
    const attempt = newAttempt(candidate('a'), 0, true);
    settle.price(attempt, usage(10, 5));
    attempt.failure = internalFailure(new Error('store down'));
    outcome.attempts.push(attempt);
    settle.finish(outcome);
    expect(rows.map((r) => [r.status, r.httpStatus, r.errorCode, r.errorMessage, r.totalTokens])).toEqual([['error', 500, 'internal_error', 'internal error: store down', 15]]);
    expect(settled).toEqual([{ tokens: 15, costUsd: '0.015' }]);
    expect(attempts).toEqual([]);
  });

  it('settles a request that never reached an upstream with nothing spent', () => {
    const { settle, outcome, settled, rows } = setup();
    settle.finish(outcome);
    expect(settled).toEqual([{ tokens: 0, costUsd: null }]);
    expect(rows).toEqual([]);
  });
});
