import OpenAI from 'openai';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { fakeProse } from '../../apps/fake-upstream/src/prose';
import { StoredResponsesLz41765400000000 } from '../../migrations/1765400000000-stored-responses-lz4';
import { lz4Available } from '../../migrations/support/toast-compression';
import { StoredResponseRepository } from '../../apps/gateway/src/state/stored-response.repository';
import { StoredResponseWriter } from '../../apps/gateway/src/state/stored-response.writer';
import { inTransaction } from '../support/migration-step';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';
import { testEnv } from '../support/test-env.config';

const JSON_COLUMNS = ['error', 'input_items', 'request', 'response'];
// Where the gateway writes stored JSON since 1765600000000.
const TEXT_COLUMNS = ['error_json', 'input_items_json', 'request_json', 'response_json'];

// A tool's output an agent would send back: prose that compresses as real text does, well past
// the ~2 kB at which Postgres compresses a value.
const TOOL_OUTPUT = fakeProse(3_000, 'stored-response-compression');

/**
 * Stored turns' JSON columns are compressed with lz4 where the server has it (migration
 * 1765400000000): a turn stored through the gateway's own path (its batch writer's COPY) is
 * kept lz4-compressed and read back as it was. The embedded database (PGlite) has pglz only:
 * there the migration changes nothing, and the turn is kept with pglz.
 */
describe('stored turns compressed with lz4 where the server has it', () => {
  let h: GatewayHarness;
  let pg: Client;
  let lz4: boolean;

  beforeAll(async () => {
    h = await startGatewayHarness();
    pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    lz4 = await lz4Available({ query: async (sql) => (await pg.query(sql)).rows });
  });
  afterAll(async () => {
    await pg?.end();
    await h?.close();
  });

  /** Each JSON column's own compression method: 'l' lz4, '' the server's default. */
  async function columnMethods(columns = JSON_COLUMNS): Promise<{ column: string; method: string }[]> {
    const { rows } = await pg.query(
      `SELECT attname AS column, attcompression AS method FROM pg_attribute
        WHERE attrelid = 'stored_responses'::regclass AND attname = ANY ($1) ORDER BY attname`,
      [columns],
    );
    return rows;
  }
  const methods = (method: string, columns = JSON_COLUMNS) => columns.map((column) => ({ column, method }));

  it('sets lz4 on the four JSON columns and their text columns, or leaves their default on a server that refuses lz4', async () => {
    expect(await columnMethods()).toEqual(methods(lz4 ? 'l' : ''));
    expect(await columnMethods(TEXT_COLUMNS)).toEqual(methods(lz4 ? 'l' : '', TEXT_COLUMNS));
    // PGlite is built without lz4: on the embedded database this suite tests the branch without it.
    if (testEnv.databaseUrl === undefined) expect(lz4).toBe(false);
    // Autocommit: the refusal leaves no transaction behind.
    if (!lz4) await expect(pg.query(`CREATE TEMP TABLE lz4_probe (j json COMPRESSION lz4)`)).rejects.toThrow(/lz4 not supported/);
  });

  it('keeps a large turn stored by the gateway compressed, and reads it back intact', async () => {
    const { key, id: keyId } = await h.createKey({ name: 'compression' });
    const client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const raw = await client.responses
      .create({
        model: 'openai/gpt-4o-mini',
        input: [
          { type: 'message', role: 'user', content: 'What does the architecture say about stored turns?' },
          { type: 'function_call', call_id: 'call_read', name: 'read_files', arguments: JSON.stringify({ paths: ['ARCHITECTURE.md', 'stored-row-text.ts'] }) },
          { type: 'function_call_output', call_id: 'call_read', output: TOOL_OUTPUT },
        ],
      })
      .asResponse();
    const body = (await raw.json()) as { id: string; output: { content: { text: string }[] }[] };
    expect(body.output[0].content[0].text).toBe(`Tool said: ${TOOL_OUTPUT}`);
    await h.gateway.app.get(StoredResponseWriter).flush();

    const { rows: [stored] } = await pg.query(
      `SELECT pg_column_compression(response_json) AS response, pg_column_compression(input_items_json) AS input_items FROM stored_responses WHERE id = $1`,
      [body.id],
    );
    const method = lz4 ? 'lz4' : 'pglz';
    expect(stored).toEqual({ response: method, input_items: method });

    // Read back by the gateway's own query, from the database rather than its cache of recent turns.
    const found = await h.gateway.app.get(StoredResponseRepository).findOne(keyId, body.id);
    expect(found?.response).toEqual(body);
    expect(found?.inputItems.at(-1)).toMatchObject({ type: 'function_call_output', call_id: 'call_read', output: TOOL_OUTPUT });
  });

  it('is reverted to the default and applied again, each in a transaction as TypeORM runs it', async () => {
    const ds = await new DataSource(dataSourceOptions(h.db.url, 1)).initialize();
    const migration = new StoredResponsesLz41765400000000();
    try {
      await inTransaction(ds, (q) => migration.down(q));
      expect(await columnMethods()).toEqual(methods(''));
      await inTransaction(ds, (q) => migration.up(q));
      expect(await columnMethods()).toEqual(methods(lz4 ? 'l' : ''));
    } finally {
      await ds.destroy();
    }
  });
});
