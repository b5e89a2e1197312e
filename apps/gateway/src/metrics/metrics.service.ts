import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { APP_CONFIG, type AppConfig, splitModelId } from '@app/common';
import type { RequestType } from '@app/database';
import type { Usage } from '@app/providers';
import { PricingService } from '../cost/pricing.service';
import { RequestLogWriter } from '../request-log/request-log.writer';
import { StoredResponseWriter } from '../state/stored-response.writer';
import { CounterFamily, type CounterSeries, HistogramFamily, type HistogramSeries } from './metric-series';

/** The label of every model the configuration does not name: one series, however many names clients invent. */
export const OTHER_MODEL = 'other';

/**
 * The models worth a series of their own, per provider: those the configuration names (models,
 * aliases, deployments, limited models) and those the price book prices for that provider.
 * Anything else a client asks for is counted as `other`, so labels stay bounded.
 */
function labelledModels(config: AppConfig, pricing: PricingService): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (provider: string, model: string) => {
    let set = out.get(provider);
    if (set === undefined) out.set(provider, (set = new Set()));
    set.add(model);
  };
  for (const p of Object.values(config.providers)) {
    for (const m of [...p.models, ...Object.keys(p.aliases), ...Object.keys(p.deployments)]) add(p.name, m);
  }
  for (const { provider, model } of pricing.pricedModels()) add(provider, model);
  for (const id of Object.keys(config.governance.outputTokenLimits)) {
    const split = splitModelId(id);
    if (split !== null) add(split.provider, split.model);
  }
  return out;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/** The counters one (provider, model label, request type) adds to, found once and kept. */
class ModelSeries {
  readonly success: CounterSeries;
  readonly error: CounterSeries;
  readonly input: CounterSeries;
  readonly output: CounterSeries;
  readonly cached: CounterSeries;
  readonly reasoning: CounterSeries;
  readonly cost: CounterSeries;
  readonly unpriced: CounterSeries;

  constructor(m: MetricsFamilies, provider: string, model: string, requestType: RequestType) {
    this.success = m.requests.series({ provider, model, status: 'success', request_type: requestType });
    this.error = m.requests.series({ provider, model, status: 'error', request_type: requestType });
    this.input = m.tokens.series({ provider, model, type: 'input', request_type: requestType });
    this.output = m.tokens.series({ provider, model, type: 'output', request_type: requestType });
    this.cached = m.tokens.series({ provider, model, type: 'cached', request_type: requestType });
    this.reasoning = m.tokens.series({ provider, model, type: 'reasoning', request_type: requestType });
    this.cost = m.cost.series({ provider, model, request_type: requestType });
    this.unpriced = m.unpriced.series({ provider, model, request_type: requestType });
  }
}

/** One provider's series, and its models' by request type, then model label. */
class ProviderSeries {
  readonly upstreamLatency: HistogramSeries;
  readonly ttft: HistogramSeries;
  readonly fallbacks: CounterSeries;
  readonly byType = new Map<RequestType, Map<string, ModelSeries>>();

  constructor(
    m: MetricsFamilies,
    readonly provider: string,
    /** The models with a label of their own. */
    readonly labelled: ReadonlySet<string> | undefined,
  ) {
    this.upstreamLatency = m.upstreamLatency.series({ provider });
    this.ttft = m.ttft.series({ provider });
    this.fallbacks = m.fallbacks.series({ provider });
  }
}

/** The families in the order they are listed, as they were when each was a prom-client metric. */
class MetricsFamilies {
  readonly requests: CounterFamily;
  readonly upstreamLatency: HistogramFamily;
  readonly overhead: HistogramFamily;
  readonly ttft: HistogramFamily;
  readonly tokens: CounterFamily;
  readonly cost: CounterFamily;
  readonly unpriced: CounterFamily;
  readonly fallbacks: CounterFamily;

  constructor(registry: Registry) {
    this.requests = new CounterFamily(registry, 'gateway_requests_total', 'Upstream attempts by provider, model, outcome and endpoint (request_type)');
    this.upstreamLatency = new HistogramFamily(registry, 'gateway_upstream_latency_seconds', 'Time spent waiting on the provider (to the full body, or to the end of the stream)', LATENCY_BUCKETS, true);
    this.overhead = new HistogramFamily(registry, 'gateway_overhead_seconds', 'Time the gateway added to a non-streaming request on top of the upstream call', OVERHEAD_BUCKETS, false);
    this.ttft = new HistogramFamily(registry, 'gateway_time_to_first_token_seconds', 'Time to the first streamed event written to the client', LATENCY_BUCKETS, true);
    this.tokens = new CounterFamily(registry, 'gateway_tokens_total', 'Tokens by provider, model, kind and endpoint (request_type)');
    this.cost = new CounterFamily(registry, 'gateway_cost_usd_total', 'Cost in USD by provider, model and endpoint (request_type)');
    this.unpriced = new CounterFamily(registry, 'gateway_unpriced_requests_total', 'Answered requests whose model has no price (cost logged as null)');
    this.fallbacks = new CounterFamily(registry, 'gateway_fallbacks_total', 'Candidates given up on in favour of the next one');
  }
}

/** Prometheus metrics of one gateway instance (its own registry, so several can share a process). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly families = new MetricsFamilies(this.registry);
  private readonly overhead = this.families.overhead.unlabelled!;
  private readonly models: Map<string, Set<string>>;
  /** Bounded as the labels are: providers come from the configuration, models are labelled or `other`. */
  private readonly providers = new Map<string, ProviderSeries>();

  constructor(logs: RequestLogWriter, stored: StoredResponseWriter, pricing: PricingService, @Inject(APP_CONFIG) config: AppConfig) {
    this.models = labelledModels(config, pricing);
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'gateway_log_rows_buffered', help: 'Request log rows waiting to be written', registers: [this.registry], collect() { this.set(logs.buffered); } });
    new Gauge({ name: 'gateway_log_rows_written', help: 'Request log rows written since start', registers: [this.registry], collect() { this.set(logs.stats.written); } });
    new Gauge({ name: 'gateway_log_rows_spilled', help: 'Request log rows parked in the spill file while the database was away', registers: [this.registry], collect() { this.set(logs.stats.spilled); } });
    new Gauge({ name: 'gateway_log_rows_dropped', help: 'Request log rows lost (spill file unwritable and memory full); should stay 0', registers: [this.registry], collect() { this.set(logs.stats.dropped); } });
    new Gauge({ name: 'gateway_log_rows_repaired', help: 'Request log rows stored with text cut short or numbers clamped to fit their columns', registers: [this.registry], collect() { this.set(logs.stats.repaired); } });
    new Gauge({ name: 'gateway_log_rows_dead_lettered', help: 'Request log rows the database refused even repaired, kept apart (GET /api/logs/dead-letters)', registers: [this.registry], collect() { this.set(logs.stats.deadLettered); } });
    // Stored responses (`store` on) go through a writer of the same kind.
    const storedGauges: [string, string, () => number][] = [
      ['buffered', 'Stored responses waiting to be written', () => stored.buffered],
      ['held', 'Turns to be stored waiting to start while the database is behind with the stored responses', () => stored.waiting],
      ['written', 'Stored responses written since start', () => stored.stats.written],
      ['spilled', 'Stored responses parked in the spill file while the database was away', () => stored.stats.spilled],
      ['dropped', 'Stored responses lost (spill file unwritable and memory full); should stay 0', () => stored.stats.dropped],
      ['dead_lettered', 'Stored responses the database refused, kept in a dead-letter file under DATA_DIR', () => stored.stats.deadLettered],
    ];
    for (const [name, help, read] of storedGauges) {
      new Gauge({ name: `gateway_stored_responses_${name}`, help, registers: [this.registry], collect() { this.set(read()); } });
    }
  }

  attempt(provider: string, rawModel: string, ok: boolean, requestType: RequestType): void {
    const s = this.modelSeries(this.provider(provider), rawModel, requestType);
    (ok ? s.success : s.error).inc();
  }

  answered(provider: string, rawModel: string, usage: Usage, costUsd: number | null, upstreamSeconds: number, totalSeconds: number, stream: boolean, ttftSeconds: number | null, requestType: RequestType): void {
    const p = this.provider(provider);
    const s = this.modelSeries(p, rawModel, requestType);
    p.upstreamLatency.observe(upstreamSeconds);
    if (!stream) this.overhead.observe(Math.max(0, totalSeconds - upstreamSeconds));
    if (ttftSeconds !== null) p.ttft.observe(ttftSeconds);
    if (usage.inputTokens) s.input.inc(usage.inputTokens);
    if (usage.outputTokens) s.output.inc(usage.outputTokens);
    if (usage.cachedTokens) s.cached.inc(usage.cachedTokens);
    if (usage.reasoningTokens) s.reasoning.inc(usage.reasoningTokens);
    if (costUsd === null) s.unpriced.inc();
    else if (costUsd > 0) s.cost.inc(costUsd);
  }

  fellBack(provider: string): void {
    this.provider(provider).fallbacks.inc();
  }

  private provider(name: string): ProviderSeries {
    let p = this.providers.get(name);
    if (p === undefined) this.providers.set(name, (p = new ProviderSeries(this.families, name, this.models.get(name))));
    return p;
  }

  private modelSeries(p: ProviderSeries, rawModel: string, requestType: RequestType): ModelSeries {
    const model = p.labelled?.has(rawModel) ? rawModel : OTHER_MODEL;
    let byModel = p.byType.get(requestType);
    if (byModel === undefined) p.byType.set(requestType, (byModel = new Map()));
    let s = byModel.get(model);
    if (s === undefined) byModel.set(model, (s = new ModelSeries(this.families, p.provider, model, requestType)));
    return s;
  }
}
