import { Counter, Histogram, Registry } from 'prom-client';
import type { AppConfig } from '@app/common';
import type { RequestType } from '@app/database';
import type { Usage } from '@app/providers';
import type { PricingService } from '../cost/pricing.service';
import type { RequestLogWriter } from '../request-log/request-log.writer';
import type { StoredResponseWriter } from '../state/stored-response.writer';
import { MetricsService } from './metrics.service';

const LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const OVERHEAD = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/** The gateway's metrics as they were written on prom-client's own metrics: what /metrics must keep printing. */
function reference(labelled: (provider: string, model: string) => boolean) {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({ name: 'gateway_requests_total', help: 'Upstream attempts by provider, model, outcome and endpoint (request_type)', labelNames: ['provider', 'model', 'status', 'request_type'], registers });
  const upstreamLatency = new Histogram({ name: 'gateway_upstream_latency_seconds', help: 'Time spent waiting on the provider (to the full body, or to the end of the stream)', labelNames: ['provider'], buckets: LATENCY, registers });
  const overhead = new Histogram({ name: 'gateway_overhead_seconds', help: 'Time the gateway added to a non-streaming request on top of the upstream call', buckets: OVERHEAD, registers });
  const ttft = new Histogram({ name: 'gateway_time_to_first_token_seconds', help: 'Time to the first streamed event written to the client', labelNames: ['provider'], buckets: LATENCY, registers });
  const tokens = new Counter({ name: 'gateway_tokens_total', help: 'Tokens by provider, model, kind and endpoint (request_type)', labelNames: ['provider', 'model', 'type', 'request_type'], registers });
  const cost = new Counter({ name: 'gateway_cost_usd_total', help: 'Cost in USD by provider, model and endpoint (request_type)', labelNames: ['provider', 'model', 'request_type'], registers });
  const unpriced = new Counter({ name: 'gateway_unpriced_requests_total', help: 'Answered requests whose model has no price (cost logged as null)', labelNames: ['provider', 'model', 'request_type'], registers });
  const fallbacks = new Counter({ name: 'gateway_fallbacks_total', help: 'Candidates given up on in favour of the next one', labelNames: ['provider'], registers });
  const label = (provider: string, model: string) => (labelled(provider, model) ? model : 'other');
  return {
    registry,
    attempt(provider: string, rawModel: string, ok: boolean, request_type: RequestType) {
      requests.inc({ provider, model: label(provider, rawModel), status: ok ? 'success' : 'error', request_type });
    },
    answered(provider: string, rawModel: string, usage: Usage, costUsd: number | null, upstream: number, total: number, stream: boolean, ttftSeconds: number | null, request_type: RequestType) {
      const model = label(provider, rawModel);
      upstreamLatency.observe({ provider }, upstream);
      if (!stream) overhead.observe(Math.max(0, total - upstream));
      if (ttftSeconds !== null) ttft.observe({ provider }, ttftSeconds);
      if (usage.inputTokens) tokens.inc({ provider, model, type: 'input', request_type }, usage.inputTokens);
      if (usage.outputTokens) tokens.inc({ provider, model, type: 'output', request_type }, usage.outputTokens);
      if (usage.cachedTokens) tokens.inc({ provider, model, type: 'cached', request_type }, usage.cachedTokens);
      if (usage.reasoningTokens) tokens.inc({ provider, model, type: 'reasoning', request_type }, usage.reasoningTokens);
      if (costUsd === null) unpriced.inc({ provider, model, request_type });
      else if (costUsd > 0) cost.inc({ provider, model, request_type }, costUsd);
    },
    fellBack(provider: string) {
      fallbacks.inc({ provider });
    },
  };
}

const FAMILIES = ['gateway_requests_total', 'gateway_upstream_latency_seconds', 'gateway_overhead_seconds', 'gateway_time_to_first_token_seconds', 'gateway_tokens_total', 'gateway_cost_usd_total', 'gateway_unpriced_requests_total', 'gateway_fallbacks_total'];

/** The request families' blocks of an exposition, in the order printed (the process metrics change from one scrape to the next). */
function requestFamilies(text: string): string[] {
  return text.trimEnd().split('\n\n').filter((block) => FAMILIES.some((name) => block.startsWith(`# HELP ${name} `)));
}

function setup() {
  const config = {
    providers: {
      openai: { name: 'openai', models: ['gpt-4o-mini'], aliases: { fast: 'gpt-4o-mini' }, deployments: {} },
      backup: { name: 'backup', models: [], aliases: {}, deployments: { prod: 'x' } },
    },
    governance: { outputTokenLimits: { 'anthropic/claude-limited': 100 } },
  } as unknown as AppConfig;
  const pricing = { pricedModels: () => [{ provider: 'openai', model: 'gpt-4o' }] } as unknown as PricingService;
  const stats = { written: 1, spilled: 2, dropped: 3, repaired: 4, deadLettered: 5 };
  const service = new MetricsService({ buffered: 0, stats } as unknown as RequestLogWriter, { buffered: 0, waiting: 3, stats } as unknown as StoredResponseWriter, pricing, config);
  const labelled = new Set(['openai/gpt-4o-mini', 'openai/fast', 'openai/gpt-4o', 'backup/prod', 'anthropic/claude-limited']);
  return { service, expected: reference((provider, model) => labelled.has(`${provider}/${model}`)) };
}

const usage = (inputTokens: number, outputTokens: number, cachedTokens = 0, reasoningTokens = 0): Usage => ({ inputTokens, cachedTokens, outputTokens, reasoningTokens, totalTokens: inputTokens + outputTokens });

describe('MetricsService', () => {
  it('prints the request metrics as prom-client printed them, before any request', async () => {
    const { service, expected } = setup();
    const text = await service.registry.metrics();
    expect(text).toContain('gateway_stored_responses_held 3');
    expect(requestFamilies(text)).toHaveLength(FAMILIES.length);
    expect(requestFamilies(text)).toEqual(requestFamilies(await expected.registry.metrics()));
  });

  it('prints the request metrics as prom-client printed them after the same attempts, answers and fallbacks', async () => {
    const { service, expected } = setup();
    type Call = [keyof typeof expected & keyof MetricsService, ...unknown[]];
    const calls: Call[] = [
      ['attempt', 'openai', 'gpt-4o-mini', true, 'responses'],
      ['answered', 'openai', 'gpt-4o-mini', usage(1234567, 7654, 1000), 0.18970245, 0.4, 0.4012, false, null, 'responses'],
      ['attempt', 'backup', 'no-such-model', false, 'chat_completions'],
      ['fellBack', 'backup'],
      ['attempt', 'openai', 'fast', true, 'chat_completions'],
      ['answered', 'openai', 'fast', usage(10, 20, 0, 15), 0.000031, 2.7, 2.75, true, 0.31, 'chat_completions'],
      ['attempt', 'backup', 'invented-by-a-client', true, 'messages'],
      ['answered', 'backup', 'invented-by-a-client', usage(5, 6), null, 0.02, 0.0201, false, null, 'messages'],
      ['attempt', 'openai', 'gpt-4o', true, 'embeddings'],
      // Free: no cost series; a clock stepping back: overhead 0; past the last bucket.
      ['answered', 'openai', 'gpt-4o', usage(8, 0), 0, 75, 74.9, false, null, 'embeddings'],
      ['attempt', 'anthropic', 'claude-limited', true, 'responses'],
      ['answered', 'anthropic', 'claude-limited', usage(0, 0), 0.5, 0.005, 0.005, true, 0.005, 'responses'],
      ['attempt', 'openai', 'gpt-4o-mini', true, 'responses'],
      ['answered', 'openai', 'gpt-4o-mini', usage(3, 4), 0.1, 0.01, 0.0125, false, null, 'responses'],
      ['attempt', 'openai', 'gpt-4o-mini', false, 'responses'],
      ['fellBack', 'openai'],
    ];
    for (const [method, ...args] of calls) {
      (expected[method] as (...a: unknown[]) => void)(...args);
      (service[method] as (...a: unknown[]) => void).apply(service, args);
    }
    const text = await service.registry.metrics();
    expect(text).toContain('gateway_requests_total{provider="backup",model="other",status="error",request_type="chat_completions"} 1');
    expect(text).toContain('gateway_overhead_seconds_bucket{le="0.0001"} 2');
    expect(requestFamilies(text)).toEqual(requestFamilies(await expected.registry.metrics()));
  });
});
