import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { APP_CONFIG, type AppConfig, splitModelId } from '@app/common';
import type { RequestType } from '@app/database';
import type { Usage } from '@app/providers';
import { PricingService } from '../cost/pricing.service';
import { RequestLogWriter } from '../request-log/request-log.writer';
import { StoredResponseWriter } from '../state/stored-response.writer';

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

/** Prometheus metrics of one gateway instance (its own registry, so several can share a process). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'gateway_requests_total', help: 'Upstream attempts by provider, model, outcome and endpoint (request_type)', labelNames: ['provider', 'model', 'status', 'request_type'], registers: [this.registry] });
  private readonly upstreamLatency = new Histogram({ name: 'gateway_upstream_latency_seconds', help: 'Time spent waiting on the provider (to the full body, or to the end of the stream)', labelNames: ['provider'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly overhead = new Histogram({ name: 'gateway_overhead_seconds', help: 'Time the gateway added to a non-streaming request on top of the upstream call', buckets: OVERHEAD_BUCKETS, registers: [this.registry] });
  private readonly ttft = new Histogram({ name: 'gateway_time_to_first_token_seconds', help: 'Time to the first streamed event written to the client', labelNames: ['provider'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly tokens = new Counter({ name: 'gateway_tokens_total', help: 'Tokens by provider, model, kind and endpoint (request_type)', labelNames: ['provider', 'model', 'type', 'request_type'], registers: [this.registry] });
  private readonly cost = new Counter({ name: 'gateway_cost_usd_total', help: 'Cost in USD by provider, model and endpoint (request_type)', labelNames: ['provider', 'model', 'request_type'], registers: [this.registry] });
  private readonly unpriced = new Counter({ name: 'gateway_unpriced_requests_total', help: 'Answered requests whose model has no price (cost logged as null)', labelNames: ['provider', 'model', 'request_type'], registers: [this.registry] });
  private readonly fallbacks = new Counter({ name: 'gateway_fallbacks_total', help: 'Candidates given up on in favour of the next one', labelNames: ['provider'], registers: [this.registry] });

  private readonly models: Map<string, Set<string>>;

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
      ['written', 'Stored responses written since start', () => stored.stats.written],
      ['spilled', 'Stored responses parked in the spill file while the database was away', () => stored.stats.spilled],
      ['dropped', 'Stored responses lost (spill file unwritable and memory full); should stay 0', () => stored.stats.dropped],
      ['dead_lettered', 'Stored responses the database refused, kept in a dead-letter file under DATA_DIR', () => stored.stats.deadLettered],
    ];
    for (const [name, help, read] of storedGauges) {
      new Gauge({ name: `gateway_stored_responses_${name}`, help, registers: [this.registry], collect() { this.set(read()); } });
    }
  }

  /** The model's own label when configured or priced, else `other`. */
  modelLabel(provider: string, model: string): string {
    return this.models.get(provider)?.has(model) ? model : OTHER_MODEL;
  }

  attempt(provider: string, rawModel: string, ok: boolean, requestType: RequestType): void {
    this.requests.inc({ provider, model: this.modelLabel(provider, rawModel), status: ok ? 'success' : 'error', request_type: requestType });
  }

  answered(provider: string, rawModel: string, usage: Usage, costUsd: number | null, upstreamSeconds: number, totalSeconds: number, stream: boolean, ttftSeconds: number | null, requestType: RequestType): void {
    const model = this.modelLabel(provider, rawModel);
    this.upstreamLatency.observe({ provider }, upstreamSeconds);
    if (!stream) this.overhead.observe(Math.max(0, totalSeconds - upstreamSeconds));
    if (ttftSeconds !== null) this.ttft.observe({ provider }, ttftSeconds);
    if (usage.inputTokens) this.tokens.inc({ provider, model, type: 'input', request_type: requestType }, usage.inputTokens);
    if (usage.outputTokens) this.tokens.inc({ provider, model, type: 'output', request_type: requestType }, usage.outputTokens);
    if (usage.cachedTokens) this.tokens.inc({ provider, model, type: 'cached', request_type: requestType }, usage.cachedTokens);
    if (usage.reasoningTokens) this.tokens.inc({ provider, model, type: 'reasoning', request_type: requestType }, usage.reasoningTokens);
    if (costUsd === null) this.unpriced.inc({ provider, model, request_type: requestType });
    else if (costUsd > 0) this.cost.inc({ provider, model, request_type: requestType }, costUsd);
  }

  fellBack(provider: string): void {
    this.fallbacks.inc({ provider });
  }
}
