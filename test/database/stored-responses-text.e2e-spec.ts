import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { StoredResponsesText1765600000000 } from '../../migrations/1765600000000-stored-responses-text';
import { gatewayItemId, idStemOf, newResponseId, type Json, type StoredResponseRow, type StoredStatus } from '../../apps/gateway/src/state/stored-response';
import { StoredResponseRepository } from '../../apps/gateway/src/state/stored-response.repository';
import { inTransaction } from '../support/migration-step';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const JSON_COLUMNS = ['request', 'input_items', 'response', 'error'];
const TEXT_COLUMNS = JSON_COLUMNS.map((c) => `${c}_json`);

/**
 * The previous version's statements (e8f6d49's StoredResponseRepository), as its replicas still
 * run them during a rolling deploy: they read and update the `json` columns only.
 */
const PREVIOUS_VERSION = {
  findOne: `SELECT id, virtual_key_id, status, background, model, previous_response_id, input_items, response, expires_at FROM stored_responses WHERE id = $1 AND virtual_key_id = $2 AND expires_at > now()`,
  /** $1 id, $2 status, $3 error, $4 key. */
  endUnfinished: `UPDATE stored_responses
       SET status = $2, error = $3::json, response = (response::jsonb || jsonb_build_object('status', $2::text, 'error', $3::jsonb))::json,
           updated_at = now(), heartbeat_at = NULL
       WHERE id = $1 AND ($4::uuid IS NULL OR virtual_key_id = $4) AND status IN ('queued','in_progress') RETURNING response`,
  /** $1 stale after (ms), $2 error. */
  failStale: `UPDATE stored_responses
       SET status = 'failed', error = $2::json, response = (response::jsonb || jsonb_build_object('status', 'failed', 'error', $2::jsonb))::json,
           updated_at = now(), heartbeat_at = NULL
       WHERE status IN ('queued','in_progress') AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1::double precision / 1000))
       RETURNING id`,
};

interface OldRow {
  id: string;
  previousResponseId?: string | null;
  status?: string;
  inputItems?: Json[];
  output?: Json[];
  error?: Json | null;
  /** Seconds from now. */
  expiresIn?: number;
  heartbeatAgo?: number | null;
  items?: { source: 'input' | 'output'; position: number; itemId: string }[];
}

/**
 * Stored JSON moved to `text` columns (migration 1765600000000) without rewriting the table: rows
 * stored before it keep their JSON in the `json` columns. Such rows, inserted here as an upgraded
 * database holds them, are read, chained, item-referenced, updated, failed, deleted and purged
 * by the gateway's own statements, alongside rows it writes now; the migration reverts on a
 * database holding both kinds to a table the previous version reads, and applies again.
 */
describe('stored turns in text columns, and rows stored before them in json columns', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let pg: Client;
  let repo: StoredResponseRepository;
  let keyId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await new DataSource(dataSourceOptions(db.url, 1)).initialize();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    repo = new StoredResponseRepository(ds);
  });
  beforeEach(() => {
    keyId = randomUUID();
  });
  afterAll(async () => {
    await pg?.end();
    await ds?.destroy();
    await db?.drop();
  });

  const responseOf = (id: string, status: string, output: Json[]): Json => ({ id, object: 'response', status, output });

  /** A row as the previous version wrote it: its JSON in the `json` columns, the `text` ones NULL. */
  async function insertOld(r: OldRow): Promise<void> {
    const status = r.status ?? 'completed';
    await pg.query(
      `INSERT INTO stored_responses (id, virtual_key_id, expires_at, status, background, model, previous_response_id, request, input_items, response, error, heartbeat_at)
       VALUES ($1, $2, now() + make_interval(secs => $3), $4, $4 IN ('queued','in_progress'), 'm', $5, '{"model":"m"}', $6::json, $7::json, $8::json,
               CASE WHEN $9::int IS NULL THEN NULL ELSE now() - make_interval(secs => $9::int) END)`,
      [r.id, keyId, r.expiresIn ?? 86_400, status, r.previousResponseId ?? null, JSON.stringify(r.inputItems ?? []),
        JSON.stringify(responseOf(r.id, status, r.output ?? [])), r.error === undefined || r.error === null ? null : JSON.stringify(r.error), r.heartbeatAgo ?? null],
    );
    for (const it of r.items ?? []) {
      await pg.query(`INSERT INTO stored_items (response_id, source, position, virtual_key_id, item_id) VALUES ($1, $2, $3, $4, $5)`, [r.id, it.source, it.position, keyId, it.itemId]);
    }
  }

  /** A row as this version writes it (the INSERT the batch writer falls back to; COPY fills the same columns). */
  async function insertNew(id: string, previousResponseId: string | null, inputItems: Json[], output: Json[], status: StoredStatus = 'completed'): Promise<void> {
    const row: StoredResponseRow = {
      id, keyId, createdAt: Date.now(), expiresAt: Date.now() + 86_400_000, status, background: status !== 'completed', model: 'm',
      previousResponseId, requestJson: '{"model":"m"}', inputItemsJson: JSON.stringify(inputItems), responseJson: JSON.stringify(responseOf(id, status, output)),
      errorJson: null, items: [],
    };
    await repo.insert([row]);
  }

  /** A background row this version wrote, unfinished, whose heartbeat stopped an hour ago. */
  async function insertNewStale(id: string, status: 'queued' | 'in_progress'): Promise<void> {
    await insertNew(id, null, [{ type: 'message', id: 'q', role: 'user', content: 'question' }], [], status);
    await pg.query(`UPDATE stored_responses SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [id]);
  }

  /** The row's response as a replica of the previous version reads it. */
  async function previousVersionReads(id: string): Promise<{ status: string; response: Json | null } | undefined> {
    const { rows } = await pg.query(PREVIOUS_VERSION.findOne, [id, keyId]);
    return rows[0] === undefined ? undefined : { status: rows[0].status, response: rows[0].response };
  }

  /**
   * A row the previous version wrote whose text columns hold other, stale JSON (its input items,
   * its response, an item with a row and one at a minted id's place): the newer is in `json`.
   */
  async function insertMixed(): Promise<{ id: string; inputItems: Json[]; response: Json; itemId: string; mintedOut: string }> {
    const id = newResponseId();
    const itemId = `client_item_of_${id}`;
    const inputItem = (content: string): Json => ({ type: 'message', id: itemId, role: 'user', content });
    const mintedOut = gatewayItemId('message', idStemOf(id), 0, 'out');
    const output = (text: string): Json[] => [{ type: 'message', id: mintedOut, role: 'assistant', content: [{ type: 'output_text', text }] }];
    await insertOld({ id, inputItems: [inputItem('newer')], output: output('newer'), items: [{ source: 'input', position: 0, itemId }] });
    await pg.query(`UPDATE stored_responses SET input_items_json = $2, response_json = $3 WHERE id = $1`,
      [id, JSON.stringify([inputItem('stale')]), JSON.stringify(responseOf(id, 'in_progress', output('stale')))]);
    return { id, inputItems: [inputItem('newer')], response: responseOf(id, 'completed', output('newer')), itemId, mintedOut };
  }

  /** Which columns of the row hold its JSON, and the text column's response. */
  async function columnsOf(id: string): Promise<{ json: string[]; text: string[] }> {
    const { rows: [row] } = await pg.query(`SELECT ${[...JSON_COLUMNS, ...TEXT_COLUMNS].map((c) => `${c} IS NOT NULL AS ${c}`).join(', ')} FROM stored_responses WHERE id = $1`, [id]);
    return { json: JSON_COLUMNS.filter((c) => row[c]), text: TEXT_COLUMNS.filter((c) => row[c]) };
  }

  it('writes new rows into the text columns only, and refuses a row with no response in either', async () => {
    const id = newResponseId();
    await insertNew(id, null, [{ type: 'message', id: 'm1', role: 'user', content: 'hi' }], []);
    expect(await columnsOf(id)).toEqual({ json: [], text: ['request_json', 'input_items_json', 'response_json'] });
    await expect(pg.query(`INSERT INTO stored_responses (id, virtual_key_id, expires_at, status, model) VALUES ('resp_none', $1, now() + interval '1 day', 'completed', 'm')`, [keyId]))
      .rejects.toMatchObject({ code: '23514' });
  });

  it('reads, chains through and references the items of old rows and new rows alike', async () => {
    const oldId = newResponseId();
    const oldStem = idStemOf(oldId);
    const mintedIn = gatewayItemId('message', oldStem, 0, 'in');
    await insertOld({
      id: oldId,
      inputItems: [{ type: 'message', id: mintedIn, role: 'user', content: 'first' }, { type: 'message', id: 'client_item_with_a_long_id', role: 'user', content: 'second' }],
      output: [{ type: 'message', id: 'msg_upstream_with_a_long_id', role: 'assistant', content: [{ type: 'output_text', text: 'answer' }] }],
      items: [{ source: 'input', position: 1, itemId: 'client_item_with_a_long_id' }, { source: 'output', position: 0, itemId: 'msg_upstream_with_a_long_id' }],
    });
    const midId = newResponseId();
    await insertNew(midId, oldId, [{ type: 'message', id: gatewayItemId('message', idStemOf(midId), 0, 'in'), role: 'user', content: 'third' }], []);
    const lastId = newResponseId();
    await insertOld({ id: lastId, previousResponseId: midId, inputItems: [{ type: 'message', id: 'x', role: 'user', content: 'fourth' }] });

    const old = await repo.findOne(keyId, oldId);
    expect(old?.inputItems.map((i) => i.content)).toEqual(['first', 'second']);
    expect(old?.response).toEqual(responseOf(oldId, 'completed', [{ type: 'message', id: 'msg_upstream_with_a_long_id', role: 'assistant', content: [{ type: 'output_text', text: 'answer' }] }]));
    const chain = await repo.findChain(keyId, lastId);
    expect(chain.map((r) => [r.id, r.inputItems.map((i) => i.content)])).toEqual([[lastId, ['fourth']], [midId, ['third']], [oldId, ['first', 'second']]]);
    expect(chain.map((r) => (r.response as { id: string }).id)).toEqual([lastId, midId, oldId]);

    const mintedMid = gatewayItemId('message', idStemOf(midId), 0, 'in');
    const found = await repo.findItems(keyId, [mintedIn, 'client_item_with_a_long_id', 'msg_upstream_with_a_long_id', mintedMid]);
    expect(new Map([...found].map(([k, v]) => [k, v.content]))).toEqual(
      new Map<string, unknown>([[mintedIn, 'first'], ['client_item_with_a_long_id', 'second'], ['msg_upstream_with_a_long_id', [{ type: 'output_text', text: 'answer' }]], [mintedMid, 'third']]),
    );
    // A row without input items (an INSERT that named none) reads as an empty list, as the json column's default had it.
    await pg.query(`INSERT INTO stored_responses (id, virtual_key_id, expires_at, status, model, response) VALUES ('resp_bare', $1, now() + interval '1 day', 'completed', 'm', '{}')`, [keyId]);
    expect(await repo.findOne(keyId, 'resp_bare')).toMatchObject({ inputItems: [], response: {} });
  });

  it('updates an old background row in its json columns, which the previous version reads: in progress, finished with its output items referenceable', async () => {
    const id = newResponseId();
    await insertOld({ id, status: 'queued', heartbeatAgo: 0 });
    await repo.markInProgress(id);
    expect(await columnsOf(id)).toEqual({ json: ['request', 'input_items', 'response'], text: [] });
    expect(await repo.findOne(keyId, id)).toMatchObject({ status: 'in_progress', response: { id, status: 'in_progress' } });
    expect(await previousVersionReads(id)).toEqual({ status: 'in_progress', response: responseOf(id, 'in_progress', []) });

    const output = [{ type: 'message', id: 'msg_output_of_background_0001', role: 'assistant', content: [] }];
    const finished = await repo.finish(id, keyId, 'completed', JSON.stringify(responseOf(id, 'completed', output)), null, [{ source: 'output', position: 0, itemId: 'msg_output_of_background_0001' }]);
    expect(finished).toBe(true);
    expect(await columnsOf(id)).toEqual({ json: ['request', 'input_items', 'response'], text: [] });
    expect(await repo.findOne(keyId, id)).toMatchObject({ status: 'completed', response: { status: 'completed', output } });
    expect(await previousVersionReads(id)).toEqual({ status: 'completed', response: responseOf(id, 'completed', output) });
    expect((await repo.findItems(keyId, ['msg_output_of_background_0001'])).get('msg_output_of_background_0001')).toEqual(output[0]);

    // Failed with an error: the error goes into its json column too.
    const failed = newResponseId();
    await insertOld({ id: failed, status: 'in_progress', heartbeatAgo: 0 });
    const upstreamError = { code: 'upstream_error', message: 'z' };
    expect(await repo.finish(failed, keyId, 'failed', JSON.stringify({ ...responseOf(failed, 'failed', []), error: upstreamError }), upstreamError, [])).toBe(true);
    expect(await columnsOf(failed)).toEqual({ json: ['request', 'input_items', 'response', 'error'], text: [] });
    expect(await previousVersionReads(failed)).toEqual({ status: 'failed', response: { ...responseOf(failed, 'failed', []), error: upstreamError } });
  });

  it('cancels an old queued row and fails a stale one in the json columns it held, which the previous version reads', async () => {
    const cancelled = newResponseId();
    await insertOld({ id: cancelled, status: 'queued', heartbeatAgo: 0 });
    const error = { code: 'cancelled_by_test', message: 'x' };
    expect(await repo.endUnfinished(cancelled, keyId, 'cancelled', error)).toEqual({ ...responseOf(cancelled, 'cancelled', []), error });
    expect(await columnsOf(cancelled)).toEqual({ json: ['request', 'input_items', 'response', 'error'], text: [] });
    expect(await previousVersionReads(cancelled)).toEqual({ status: 'cancelled', response: { ...responseOf(cancelled, 'cancelled', []), error } });

    const stale = newResponseId();
    await insertOld({ id: stale, status: 'in_progress', heartbeatAgo: 3_600 });
    const restarted = { code: 'server_restarted', message: 'y' };
    expect(await repo.failStale(60_000, restarted)).toBeGreaterThanOrEqual(1);
    expect(await repo.findOne(keyId, stale)).toMatchObject({ status: 'failed', response: { status: 'failed', error: restarted } });
    expect(await columnsOf(stale)).toEqual({ json: ['request', 'input_items', 'response', 'error'], text: [] });
    expect(await previousVersionReads(stale)).toEqual({ status: 'failed', response: { ...responseOf(stale, 'failed', []), error: restarted } });
    const { rows: [row] } = await pg.query(`SELECT error FROM stored_responses WHERE id = $1`, [stale]);
    expect(row.error).toEqual(restarted);
  });

  it('updates a row it wrote in its text columns: in progress, finished, cancelled, failed as stale', async () => {
    const finished = newResponseId();
    await insertNew(finished, null, [], [], 'queued');
    await repo.markInProgress(finished);
    expect(await columnsOf(finished)).toEqual({ json: [], text: ['request_json', 'input_items_json', 'response_json'] });
    expect(await repo.findOne(keyId, finished)).toMatchObject({ status: 'in_progress', response: { status: 'in_progress' } });
    const upstreamError = { code: 'upstream_error', message: 'z' };
    expect(await repo.finish(finished, keyId, 'failed', JSON.stringify({ ...responseOf(finished, 'failed', []), error: upstreamError }), upstreamError, [])).toBe(true);
    expect(await columnsOf(finished)).toEqual({ json: [], text: TEXT_COLUMNS });
    expect(await repo.findOne(keyId, finished)).toMatchObject({ status: 'failed', response: { status: 'failed', error: upstreamError } });

    const cancelled = newResponseId();
    await insertNew(cancelled, null, [], [], 'queued');
    expect(await repo.endUnfinished(cancelled, keyId, 'cancelled', null)).toEqual({ ...responseOf(cancelled, 'cancelled', []), error: null });
    expect(await columnsOf(cancelled)).toEqual({ json: [], text: ['request_json', 'input_items_json', 'response_json'] });

    const stale = newResponseId();
    await insertNewStale(stale, 'in_progress');
    const restarted = { code: 'server_restarted', message: 'y' };
    expect(await repo.failStale(60_000, restarted)).toBeGreaterThanOrEqual(1);
    expect(await columnsOf(stale)).toEqual({ json: [], text: TEXT_COLUMNS });
    expect(await repo.findOne(keyId, stale)).toMatchObject({ status: 'failed', response: { status: 'failed', error: restarted } });
  });

  it('reads a row it wrote as ended once a replica of the previous version cancelled it or failed it as stale, though its merge into the NULL json response kept nothing', async () => {
    const cancelled = newResponseId();
    await insertNew(cancelled, null, [], [], 'queued');
    expect((await pg.query(PREVIOUS_VERSION.endUnfinished, [cancelled, 'cancelled', null, keyId])).rows).toEqual([{ response: null }]);
    expect(await repo.findOne(keyId, cancelled)).toMatchObject({ status: 'cancelled', response: { ...responseOf(cancelled, 'cancelled', []) } });
    // Ended: neither cancelled again, with the stale body, nor finished.
    expect(await repo.endUnfinished(cancelled, keyId, 'cancelled', null)).toBeNull();
    expect(await repo.finish(cancelled, keyId, 'completed', JSON.stringify(responseOf(cancelled, 'completed', [])), null, [])).toBe(false);
    expect(await repo.findOne(keyId, cancelled)).toMatchObject({ status: 'cancelled', response: { status: 'cancelled' } });

    const failed = newResponseId();
    await insertNew(failed, null, [], [], 'in_progress');
    const shutdown = { code: 'server_shutdown', message: 'w' };
    await pg.query(PREVIOUS_VERSION.endUnfinished, [failed, 'failed', JSON.stringify(shutdown), null]);
    expect(await repo.findOne(keyId, failed)).toMatchObject({ status: 'failed', response: { ...responseOf(failed, 'failed', []), error: shutdown } });

    const stale = newResponseId();
    await insertNewStale(stale, 'queued');
    const restarted = { code: 'server_restarted', message: 'y' };
    expect((await pg.query(PREVIOUS_VERSION.failStale, [60_000, JSON.stringify(restarted)])).rows).toContainEqual({ id: stale });
    const next = newResponseId();
    await insertNew(next, stale, [], []);
    const chain = await repo.findChain(keyId, next);
    expect(chain.map((r) => [r.id, r.status, (r.response as { status: string }).status, (r.response as { error?: unknown }).error])).toEqual([
      [next, 'completed', 'completed', undefined],
      [stale, 'failed', 'failed', restarted],
    ]);
    expect(await repo.findOne(keyId, stale)).toEqual(chain[1]);
  });

  it('reads a row holding both a json and a stale text column from its json one, items included', async () => {
    const mixed = await insertMixed();
    const next = newResponseId();
    await insertNew(next, mixed.id, [], []);

    const newer = { inputItems: mixed.inputItems, response: mixed.response };
    expect(await repo.findOne(keyId, mixed.id)).toMatchObject({ status: 'completed', ...newer });
    expect((await repo.findChain(keyId, next))[1]).toMatchObject({ id: mixed.id, ...newer });
    const found = await repo.findItems(keyId, [mixed.itemId, mixed.mintedOut]);
    expect(new Map([...found].map(([k, v]) => [k, v.content]))).toEqual(new Map<string, unknown>([
      [mixed.itemId, 'newer'], [mixed.mintedOut, [{ type: 'output_text', text: 'newer' }]],
    ]));
  });

  it('deletes an old row with its items, and purges expired ones', async () => {
    const kept = newResponseId();
    await insertOld({ id: kept, items: [{ source: 'input', position: 0, itemId: 'item_of_a_deleted_response' }], inputItems: [{ type: 'message', id: 'item_of_a_deleted_response', content: 'x' }] });
    expect(await repo.delete(keyId, kept)).toBe(true);
    expect((await pg.query(`SELECT 1 FROM stored_items WHERE response_id = $1`, [kept])).rowCount).toBe(0);
    const expired = newResponseId();
    await insertOld({ id: expired, expiresIn: -1, items: [{ source: 'output', position: 0, itemId: 'item_of_an_expired_response' }] });
    expect(await repo.findOne(keyId, expired)).toBeNull();
    expect(await repo.purgeExpired(100)).toBeGreaterThanOrEqual(1);
    expect((await pg.query(`SELECT 1 FROM stored_responses WHERE id = $1 UNION ALL SELECT 1 FROM stored_items WHERE response_id = $1`, [expired])).rowCount).toBe(0);
  });

  it('applies again where it was applied, neither scanning nor rewriting the table', async () => {
    const migration = new StoredResponsesText1765600000000();
    const file = async () => (await pg.query(`SELECT pg_relation_filenode('stored_responses') AS f`)).rows[0].f as string;
    const fileBefore = await file();
    // A row the CHECK refuses: a scan validating it would fail.
    await pg.query(`ALTER TABLE stored_responses DROP CONSTRAINT stored_responses_response_check`);
    await pg.query(`INSERT INTO stored_responses (id, virtual_key_id, expires_at, status, model) VALUES ('resp_unchecked', $1, now() + interval '1 day', 'completed', 'm')`, [keyId]);
    try {
      await inTransaction(ds, (q) => migration.up(q));
      await inTransaction(ds, (q) => migration.up(q));
    } finally {
      await pg.query(`DELETE FROM stored_responses WHERE id = 'resp_unchecked'`);
    }
    expect(await file()).toBe(fileBefore);
    const { rows } = await pg.query(`SELECT convalidated FROM pg_constraint WHERE conname = 'stored_responses_response_check'`);
    expect(rows).toEqual([{ convalidated: false }]);
  });

  it('reverts to json columns the previous version reads, rows of both kinds kept, and applies again without rewriting the table', async () => {
    const oldId = newResponseId();
    await insertOld({ id: oldId, inputItems: [{ type: 'message', id: 'a', content: 'old' }], error: { code: 'e' } });
    const newId = newResponseId();
    await insertNew(newId, oldId, [{ type: 'message', id: 'b', content: 'new' }], [{ type: 'message', id: 'c', content: [] }]);
    await pg.query(`INSERT INTO stored_responses (id, virtual_key_id, expires_at, status, model, response_json) VALUES ('resp_no_input', $1, now() + interval '1 day', 'completed', 'm', '{}')`, [keyId]);
    const mixed = await insertMixed();
    const before = [await repo.findOne(keyId, oldId), await repo.findOne(keyId, newId)];
    const migration = new StoredResponsesText1765600000000();
    const shape = async () => (await pg.query(
      `SELECT attname AS column, format_type(atttypid, atttypmod) AS type, attnotnull AS "notNull", pg_get_expr(d.adbin, d.adrelid) AS "default"
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = 'stored_responses'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND (attname = ANY ($1) OR attname = ANY ($2)) ORDER BY attname`,
      [JSON_COLUMNS, TEXT_COLUMNS],
    )).rows;

    await inTransaction(ds, (q) => migration.down(q));
    expect(await shape()).toEqual([
      { column: 'error', type: 'json', notNull: false, default: null },
      { column: 'input_items', type: 'json', notNull: true, default: "'[]'::json" },
      { column: 'request', type: 'json', notNull: true, default: "'{}'::json" },
      { column: 'response', type: 'json', notNull: true, default: null },
    ]);
    // As the previous version reads them.
    const { rows } = await pg.query(`SELECT id, input_items, response, error, request FROM stored_responses WHERE id = ANY ($1)`, [[oldId, newId, 'resp_no_input']]);
    expect(new Map(rows.map((r) => [r.id, [r.input_items, r.response, r.error]]))).toEqual(new Map([
      [oldId, [before[0]!.inputItems, before[0]!.response, { code: 'e' }]],
      [newId, [before[1]!.inputItems, before[1]!.response, null]],
      ['resp_no_input', [[], {}, null]],
    ]));
    // A row holding both keeps its json columns, the newer.
    const { rows: [mixedRow] } = await pg.query(`SELECT input_items, response FROM stored_responses WHERE id = $1`, [mixed.id]);
    expect(mixedRow).toEqual({ input_items: mixed.inputItems, response: mixed.response });
    expect(rows.every((r) => r.request !== null)).toBe(true);

    const file = async () => (await pg.query(`SELECT pg_relation_filenode('stored_responses') AS f`)).rows[0].f as string;
    const fileBefore = await file();
    await inTransaction(ds, (q) => migration.up(q));
    expect(await file()).toBe(fileBefore);
    expect((await shape()).map((c) => [c.column, c.type, c.notNull, c.default])).toEqual([
      ['error', 'json', false, null], ['error_json', 'text', false, null], ['input_items', 'json', false, null], ['input_items_json', 'text', false, null],
      ['request', 'json', false, null], ['request_json', 'text', false, null], ['response', 'json', false, null], ['response_json', 'text', false, null],
    ]);
    const { rows: [check] } = await pg.query(`SELECT convalidated FROM pg_constraint WHERE conname = 'stored_responses_response_check'`);
    expect(check).toEqual({ convalidated: false });
    // Every row in the json columns now, read as before.
    expect([await repo.findOne(keyId, oldId), await repo.findOne(keyId, newId)]).toEqual(before);
    expect((await repo.findChain(keyId, newId)).map((r) => r.id)).toEqual([newId, oldId]);
  });
});
