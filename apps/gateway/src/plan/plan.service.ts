import { Injectable } from '@nestjs/common';
import { PricingService } from '../cost/pricing.service';
import type { Ingress } from '../ingress/ingress.service';
import { FallbackPolicyCache } from '../routing/fallback-policy-cache.service';
import { type Candidate, RoutePlanner } from '../routing/route-planner.service';

/** A request with the candidates that may serve it, in order. */
export interface Plan<E = unknown> extends Ingress<E> {
  candidates: Candidate[];
  /** A fallback policy's `on_status`: which upstream statuses move on (null: every fallbackable failure). */
  onStatus: number[] | null;
  /** The output cap of the candidate first tried (max_output_tokens or the model's limit), bounding an aborted request's estimate. */
  outputCap: number;
}

/** Stage 2: the fallback policy and the route candidates (admission follows the conversation: see admission.service.ts). */
@Injectable()
export class PlanStage {
  constructor(
    private readonly planner: RoutePlanner,
    private readonly policies: FallbackPolicyCache,
    private readonly pricing: PricingService,
  ) {}

  plan<E>(ingress: Ingress<E>): Plan<E> {
    const { key, request } = ingress;
    // The request's own fallbacks, else the key's policy, else the model's.
    let models = request.models;
    let onStatus: number[] | null = null;
    if (!request.hasRequestFallbacks) {
      const policy = this.policies.resolve(key.fallbackPolicyId, models[0]);
      if (policy !== null) {
        models = [models[0], ...policy.fallbacks];
        onStatus = policy.onStatus;
      }
    }
    // A key with a budget is never served by a model the gateway cannot charge for.
    const priced = key.budget === null ? undefined : this.isPriced;
    const candidates = this.planner.plan(models, key, request.hasRequestFallbacks, priced);
    const cap = request.body.max_output_tokens;
    const outputCap = typeof cap === 'number' ? cap : this.pricing.maxOutputTokens(candidates[0]);
    // The ingress object itself, extended: the stages hand on one object per request, not copies.
    const plan = ingress as Plan<E>;
    plan.candidates = candidates;
    plan.onStatus = onStatus;
    plan.outputCap = outputCap;
    return plan;
  }

  private readonly isPriced = (c: Candidate): boolean => this.pricing.isPriced(c);
}
