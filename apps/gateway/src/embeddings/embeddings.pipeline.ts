import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, Logger } from '@nestjs/common';
import { errorText, GatewayError, idHeaders, type RequestIds, requestIds, type UpstreamKey } from '@app/common';
import { Cancellation, type EmbeddingAdapter, embeddingAdapterFor, type Usage, UpstreamFailure } from '@app/providers';
import { toUsageCost } from '@app/pricing';
import { asGatewayError } from '../edge/error-render';
import { cancelOnClientClose, sendError, sendJson } from '../edge/http-io';
import { answerHeaders, ExecuteStage } from '../execute/execute.service';
import { extraFields } from '../execute/extra-fields';
import { IngressStage } from '../ingress/ingress.service';
import { type Admitted, AdmissionStage } from '../plan/admission.service';
import { type Plan, PlanStage } from '../plan/plan.service';
import type { Candidate } from '../routing/route-planner.service';
import { UpstreamCaller } from '../routing/upstream-caller.service';
import { newAttempt, Outcome } from '../settle/outcome';
import { SettleStage } from '../settle/settle.service';
import type { EmbeddingsEgress } from './embeddings-request';
import { embeddingsList } from './embeddings-response';
import { embeddingsFormat } from './embeddings.format';

// About four characters per token: the estimate when a provider reports no count (Gemini).
const CHARS_PER_TOKEN = 4;

/**
 * POST /v1/embeddings on the shared stages: ingress (auth, bounded body), plan (fallbacks,
 * allowlist, candidates), admission (the input as the worst case: embeddings make no output),
 * the shared attempt loop and upstream caller, settle (price, budget, one log row per attempt
 * with request_type `embeddings`, metrics). No conversation stage: nothing is stored.
 */
@Injectable()
export class EmbeddingsPipeline {
  private readonly logger = new Logger(EmbeddingsPipeline.name);

  constructor(
    private readonly ingress: IngressStage,
    private readonly planStage: PlanStage,
    private readonly admission: AdmissionStage,
    private readonly execute: ExecuteStage,
    private readonly caller: UpstreamCaller,
    private readonly settle: SettleStage,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const ids = requestIds(req.headers);
    this.run(req, res, ids).catch((err: unknown) => {
      if (!(err instanceof GatewayError)) this.logger.error(`request ${ids.requestId} failed: ${errorText(err)}`);
      if (res.headersSent) res.destroy();
      else sendError(req, res, embeddingsFormat.renderError(asGatewayError(err, ids.requestId), ids.requestId), idHeaders(ids));
    });
  }

  private async run(req: IncomingMessage, res: ServerResponse, ids: RequestIds): Promise<void> {
    const ingress = await this.ingress.accept(embeddingsFormat, req, ids);
    const plan = servable(this.planStage.plan(ingress));
    const admitted = await this.admission.admit({ ...plan, turn: null, inputBytes: plan.bodyBytes });
    const outcome = new Outcome(admitted);
    const cancel = new Cancellation();
    cancelOnClientClose(res, cancel);
    // A client that leaves is billed the input the provider was sent.
    const estimate = (): Usage => estimatedUsage(admitted.request.egress);
    try {
      await this.execute.tryCandidates(admitted, outcome, cancel, false, (c, i) => this.serve(admitted, outcome, res, cancel, c, i), estimate);
    } finally {
      this.settle.finish(outcome);
    }
  }

  /** One candidate: the input in the provider's batches, in order; their vectors joined. */
  private async serve(request: Admitted<EmbeddingsEgress>, outcome: Outcome, res: ServerResponse, cancel: Cancellation, c: Candidate, fallbackIndex: number): Promise<void> {
    const adapter = embeddingAdapterFor(c.provider.kind, c.provider.name) as EmbeddingAdapter;
    const { input } = request.request.egress;
    const size = Math.max(1, adapter.batchSize(c.upstreamModel));
    const vectors: number[][] = [];
    let inputTokens = 0;
    const call = { keyId: request.key.id, body: request.request.body, stream: false, cancel, sentAt: null };
    for (let from = 0; from < input.input.length; from += size) {
      const batch = { ...input, input: input.input.slice(from, from + size) as string[] | number[][] };
      const custom = {
        build: (key: UpstreamKey) => adapter.buildEmbeddingRequest({ request: batch, upstreamModel: c.upstreamModel, provider: c.provider, key }),
        parseError: (status: number, text: string) => adapter.parseError(status, text),
      };
      const parsed = await this.caller.callWhole(c, { ...call, custom }, ({ status, headers, text }) => {
        try {
          return adapter.parseEmbeddings(text, headers);
        } catch {
          throw new UpstreamFailure('truncated', status, `${c.provider.name} returned a body that is not a valid embeddings answer`);
        }
      });
      if (parsed.vectors.length !== batch.input.length) {
        throw new UpstreamFailure('truncated', 200, `${c.provider.name} returned ${parsed.vectors.length} embeddings for ${batch.input.length} inputs`);
      }
      vectors.push(...parsed.vectors);
      inputTokens += parsed.inputTokens ?? estimatedUsage({ ...request.request.egress, input: batch }).inputTokens;
    }
    this.answer(request, outcome, res, c, fallbackIndex, vectors, inputTokens);
  }

  private answer(
    request: Admitted<EmbeddingsEgress>, outcome: Outcome, res: ServerResponse, c: Candidate, fallbackIndex: number, vectors: number[][], inputTokens: number,
  ): void {
    const upstreamDone = performance.now();
    const latency = Math.round(upstreamDone - request.t0);
    const attempt = newAttempt(c, fallbackIndex, false);
    const usage: Usage = { inputTokens, cachedTokens: 0, outputTokens: 0, reasoningTokens: 0, totalTokens: inputTokens };
    const cost = this.settle.price(attempt, usage);
    outcome.answer = attempt;
    const headers = answerHeaders(request, c, fallbackIndex);
    if (cost !== null) headers['x-bf-cost-usd'] = cost.total_cost_usd;
    const extra = { ...extraFields('embeddings', c, request.modelRequested, fallbackIndex), latency };
    const base64 = request.request.egress.encodingFormat === 'base64';
    sendJson(res, 200, JSON.stringify(embeddingsList(vectors, base64, c.upstreamModel, inputTokens, cost && toUsageCost(cost), extra)), headers);
    attempt.latencyMs = latency;
    attempt.upstreamSeconds = (upstreamDone - request.t0) / 1000;
    attempt.totalSeconds = (performance.now() - request.t0) / 1000;
    outcome.attempts.push(attempt);
  }
}

/**
 * The candidates that can serve this input: providers with an embeddings API, and for token
 * arrays only those that take them. None: a 400 naming why, before anything is reserved.
 */
function servable(plan: Plan<EmbeddingsEgress>): Plan<EmbeddingsEgress> {
  const { tokens } = plan.request.egress;
  const candidates = plan.candidates.filter((c) => {
    const adapter = embeddingAdapterFor(c.provider.kind, c.provider.name);
    return adapter !== null && (!tokens || adapter.acceptsTokens);
  });
  if (candidates.length === 0) {
    const names = plan.candidates.map((c) => c.label).join(', ');
    throw tokens
      ? GatewayError.invalidRequest(`None of ${names} takes token arrays as embeddings input; send strings.`, 'input')
      : GatewayError.invalidRequest(`None of ${names} serves embeddings.`, 'model');
  }
  return { ...plan, candidates };
}

/** Input tokens estimated from the text (a token array counts itself), for a provider that reports none. */
function estimatedUsage(egress: EmbeddingsEgress): Usage {
  let chars = 0;
  for (const v of egress.input.input) chars += typeof v === 'string' ? v.length : v.length * CHARS_PER_TOKEN;
  const inputTokens = Math.ceil(chars / CHARS_PER_TOKEN);
  return { inputTokens, cachedTokens: 0, outputTokens: 0, reasoningTokens: 0, totalTokens: inputTokens };
}
