import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';

/** $0.15 / $0.60 per 1M tokens: the test's price for every model it calls. */
export const LOAD_PRICE = { input_per_mtok: '0.15', output_per_mtok: '0.6' };

/** The exact cost, as numeric(20,10) prints it: (in * 0.15 + out * 0.6) / 1e6 USD. */
export function expectedCost(input: number, output: number): string {
  const units = BigInt(input) * 1500n + BigInt(output) * 6000n; // 1e-10 USD
  const s = units.toString().padStart(11, '0');
  return `${s.slice(0, -10)}.${s.slice(-10)}`;
}

export type LoadKind = 'plain' | 'fallback' | 'caller-error';

export interface PlannedRequest {
  id: string;
  kind: LoadKind;
  stream: boolean;
  input: number;
  output: number;
}

export interface LoadResult extends PlannedRequest {
  /** HTTP status the client saw, or 0 when it got no answer (connection refused or reset). */
  status: number;
}

/** A deterministic mix: every 20th request falls back from a dead provider, every 20th is the caller's 400, a third stream. */
export function planRequests(n: number): PlannedRequest[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `load-${randomUUID()}`,
    kind: i % 20 === 7 ? 'fallback' : i % 20 === 13 ? 'caller-error' : 'plain',
    stream: i % 3 === 0,
    input: 10 + ((i * 7919) % 5000),
    output: 1 + ((i * 104729) % 900),
  }));
}

/** Rows each answered request must leave: a failed attempt before a fallback is a row of its own. */
export function expectedRows(r: PlannedRequest): number {
  return r.kind === 'fallback' ? 2 : 1;
}

async function send(client: OpenAI, r: PlannedRequest): Promise<number> {
  const text = `load [[usage:${r.input},${r.output}]]${r.kind === 'caller-error' ? ' [[fail:400]]' : ''} [[chunks:3]]`;
  const body = r.kind === 'fallback'
    ? { model: 'dead/m', input: text, fallbacks: ['openai/gpt-4o-mini'] }
    : { model: 'openai/gpt-4o-mini', input: text };
  const options = { headers: { 'x-request-id': r.id } };
  try {
    if (r.stream) {
      const stream = await client.responses.create({ ...body, stream: true } as never, options) as unknown as AsyncIterable<{ type: string }>;
      let completed = false;
      for await (const ev of stream) if (ev.type === 'response.completed') completed = true;
      return completed ? 200 : 0;
    }
    await client.responses.create(body as never, options);
    return 200;
  } catch (err) {
    return err instanceof OpenAI.APIError && typeof err.status === 'number' ? err.status : 0;
  }
}

/** Runs the plan through the official SDK at the given concurrency; `onProgress` sees each answer. */
export async function runLoad(
  baseURL: string,
  apiKey: string,
  plan: PlannedRequest[],
  concurrency: number,
  onProgress?: (done: number) => void,
): Promise<LoadResult[]> {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 30_000 });
  const results: LoadResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < plan.length) {
      const r = plan[next++];
      results.push({ ...r, status: await send(client, r) });
      onProgress?.(results.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}
