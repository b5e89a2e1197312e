import OpenAI from 'openai';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

// $0.15 / $0.60 per 1M tokens, $0.075 cached: gpt-4o-mini's list price, pinned for the test.
const PRICING = { 'openai/gpt-4o-mini': { input_per_mtok: '0.15', cached_input_per_mtok: '0.075', output_per_mtok: '0.6' } };

describe('cost on the wire, in the logs and in the metrics', () => {
  let h: GatewayHarness;
  let client: OpenAI;

  beforeAll(async () => {
    h = await startGatewayHarness({ pricing: PRICING });
    const { key } = await h.createKey({ name: 'cost' });
    client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });

  // 1,234,567 input (1,000 of them cached) and 7,654 output tokens:
  // (1,233,567 * 0.15 + 1,000 * 0.075 + 7,654 * 0.6) / 1e6 = 0.18503505 + 0.000075 + 0.0045924
  const EXPECTED_TOTAL = '0.1897024500';

  it('adds usage.cost and x-bf-cost-usd to a response, and logs the exact amount', async () => {
    const { data, response } = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'bill me [[usage:1234567,7654]] [[cached:1000]]' }).withResponse();
    const cost = (data.usage as unknown as { cost: Record<string, number> }).cost;
    expect(cost).toEqual({ input_tokens_cost: 0.18511005, output_tokens_cost: 0.0045924, reasoning_tokens_cost: 0, request_cost: 0, total_cost: 0.18970245 });
    expect(response.headers.get('x-bf-cost-usd')).toBe(EXPECTED_TOTAL);
    const [row] = await h.logRows(response.headers.get('x-request-id')!);
    expect(row.cost_usd).toBe(EXPECTED_TOTAL);
    expect(row).toMatchObject({ input_tokens: 1234567, cached_tokens: 1000, output_tokens: 7654 });
  });

  it('adds usage.cost to the terminal stream event', async () => {
    const final = await client.responses.stream({ model: 'openai/gpt-4o-mini', input: 'bill me [[usage:1234567,7654]] [[cached:1000]]' }).finalResponse();
    expect((final.usage as unknown as { cost: { total_cost: number } }).cost.total_cost).toBe(0.18970245);
  });

  it('logs an unpriced model with cost_usd null, never 0, and counts it', async () => {
    const { response } = await client.responses.create({ model: 'backup/no-such-model-price', input: 'free?' }).withResponse();
    expect(response.headers.get('x-bf-cost-usd')).toBeNull();
    const [row] = await h.logRows(response.headers.get('x-request-id')!);
    expect(row.cost_usd).toBeNull();
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    // A model the configuration does not name is counted under one bounded label.
    expect(metrics).toMatch(/gateway_unpriced_requests_total\{provider="backup",model="other",request_type="responses"\} 1/);
  });

  it('exposes Prometheus metrics for requests, tokens, cost, latency and the log writer', async () => {
    // Counted from here: the other tests of this file may have run before (random order), so
    // each counter is read before and after this test's own two requests.
    const counter = (text: string, name: string, labels: string) => Number(new RegExp(`${name}\\{${labels}\\} ([\\d.e+-]+)`).exec(text)?.[1] ?? 0);
    const series = {
      requests: ['gateway_requests_total', 'provider="openai",model="gpt-4o-mini",status="success",request_type="responses"'],
      input: ['gateway_tokens_total', 'provider="openai",model="gpt-4o-mini",type="input",request_type="responses"'],
      output: ['gateway_tokens_total', 'provider="openai",model="gpt-4o-mini",type="output",request_type="responses"'],
      cost: ['gateway_cost_usd_total', 'provider="openai",model="gpt-4o-mini",request_type="responses"'],
    } as const;
    const read = (text: string) => Object.fromEntries(Object.entries(series).map(([k, [name, labels]]) => [k, counter(text, name, labels)]));
    const before = read(await (await fetch(`${h.url}/metrics`)).text());
    const billed = { model: 'openai/gpt-4o-mini', input: 'bill me [[usage:1234567,7654]] [[cached:1000]]' };
    await client.responses.create(billed);
    // A stream too, for time to first token.
    await client.responses.stream(billed).finalResponse();
    const res = await fetch(`${h.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const after = read(text);
    expect({ requests: after.requests - before.requests, input: after.input - before.input, output: after.output - before.output }).toEqual({ requests: 2, input: 2 * 1234567, output: 2 * 7654 });
    expect(after.cost - before.cost).toBeCloseTo(2 * 0.18970245, 9);
    for (const name of ['gateway_upstream_latency_seconds_bucket', 'gateway_overhead_seconds_bucket', 'gateway_time_to_first_token_seconds_bucket', 'gateway_log_rows_buffered', 'gateway_log_rows_written', 'gateway_log_rows_dropped', 'gateway_stored_responses_buffered', 'gateway_stored_responses_dropped', 'gateway_fallbacks_total', 'process_cpu_user_seconds_total']) {
      expect(text).toContain(name);
    }
  });

  it('adds raw_request and raw_response only for x-bf-send-raw from a key allowed to see them', async () => {
    const allowed = await h.createKey({ metadata: { allow_send_raw: true } });
    const raw = { headers: { 'x-bf-send-raw': 'true' } };
    const body = { model: 'openai/gpt-4o-mini', input: 'raw please' };
    const withRaw = await new OpenAI({ apiKey: allowed.key, baseURL: `${h.url}/v1`, maxRetries: 0 }).responses.create(body, raw);
    const extra = (withRaw as unknown as { extra_fields: { raw_request: { model: string; input: string }; raw_response: { id: string } } }).extra_fields;
    expect(extra.raw_request).toMatchObject({ model: 'gpt-4o-mini', input: 'raw please' });
    // The upstream's own body: the stored response has the gateway's id instead of the upstream's.
    expect(extra.raw_response).toMatchObject({ object: 'response', output: [{ id: withRaw.output[0].id }] });

    const without = await client.responses.create(body, raw);
    expect((without as unknown as { extra_fields: Record<string, unknown> }).extra_fields).not.toHaveProperty('raw_request');
    const streamed = await new OpenAI({ apiKey: allowed.key, baseURL: `${h.url}/v1`, maxRetries: 0 }).responses.stream(body, raw).finalResponse();
    expect((streamed as unknown as { extra_fields: { raw_request: unknown } }).extra_fields.raw_request).toMatchObject({ model: 'gpt-4o-mini', stream: true });
  });
});
