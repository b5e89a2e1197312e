import type { CostResult } from '@app/pricing';
import type { UpstreamFailure, Usage } from '@app/providers';
import { ZERO_USAGE } from '@app/providers/types';
import type { RequestType } from '../formats/wire-format';
import type { Admitted } from '../plan/admission.service';
import type { Candidate } from '../routing/route-planner.service';

/** One upstream attempt as settle records it: one request-log row. */
export interface Attempt {
  candidate: Candidate;
  fallbackIndex: number;
  stream: boolean;
  /** Null: the attempt answered. */
  failure: UpstreamFailure | null;
  usage: Usage;
  /** `usage` priced by SettleStage.price (null: the model has no price). */
  cost: CostResult | null;
  /** The usage `cost` was computed for, so that the same usage is never priced twice. */
  pricedUsage: Usage | null;
  /** An answered stream whose terminal event was `response.incomplete`. */
  incomplete: boolean;
  latencyMs: number;
  ttftMs: number | null;
  /** Seconds from the request's arrival to the upstream's answer, and to the client's (metrics of an answer). */
  upstreamSeconds: number;
  totalSeconds: number;
}

export function newAttempt(candidate: Candidate, fallbackIndex: number, stream: boolean): Attempt {
  return {
    candidate, fallbackIndex, stream, failure: null, usage: ZERO_USAGE, cost: null, pricedUsage: null, incomplete: false,
    latencyMs: 0, ttftMs: null, upstreamSeconds: 0, totalSeconds: 0,
  };
}

/**
 * What one request came to, handed to the settle stage: every attempt in order, the one whose
 * answer the client got (from the moment it was priced), whether the key's limits learnt it yet.
 */
export class Outcome {
  readonly attempts: Attempt[] = [];
  /** The attempt that answered (set once its usage is priced; it joins `attempts` once done). */
  answer: Attempt | null = null;
  /** The key's limits have learnt what the request used. */
  budgetSettled = false;

  constructor(readonly request: Admitted) {}

  /** The log row's `request_type`: the wire format the client spoke. */
  get requestType(): RequestType {
    return this.request.format.requestType;
  }
}
