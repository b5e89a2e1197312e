import OpenAI from 'openai';
import { Client } from 'pg';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

describe('graceful shutdown', () => {
  let h: GatewayHarness;

  beforeAll(async () => {
    // Logs would only be flushed every minute: what the test sees was flushed by the shutdown.
    h = await startGatewayHarness({ server: { log_flush_interval_ms: 60_000 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('stops accepting, finishes the in-flight stream, then flushes its log row and its stored response', async () => {
    const { key } = await h.createKey({ name: 'shutdown' });
    const client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const { data: stream, response } = await client.responses
      .create({ model: 'openai/gpt-4o-mini', input: 'long [[chunks:15]] [[chunk-delay:30]] [[usage:3,15]]', stream: true })
      .withResponse();
    const types: string[] = [];
    let responseId: string | undefined;
    let closed: Promise<void> | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.completed') responseId = event.response.id;
      if (event.type === 'response.output_text.delta' && closed === undefined) {
        closed = h.gateway.close();
        // New connections are refused while the stream carries on.
        await expect(fetch(`${h.url}/health`)).rejects.toThrow();
      }
    }
    expect(types.at(-1)).toBe('response.completed');
    await closed;

    const rows = await h.logRowsDirect(response.headers.get('x-request-id')!);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'success', stream: true, input_tokens: 3, output_tokens: 15 });
    // Stored (`store` left on) behind the answer, in the same batch window: written by the shutdown too.
    const pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    try {
      const stored = await pg.query(`SELECT status FROM stored_responses WHERE id = $1`, [responseId]);
      expect(stored.rows).toEqual([{ status: 'completed' }]);
    } finally {
      await pg.end();
    }
  });
});
