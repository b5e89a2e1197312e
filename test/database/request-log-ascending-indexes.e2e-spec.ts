import { Client } from 'pg';
import type { QueryRunner } from 'typeorm';
import { RequestLogAscendingIndexes1765700000000 } from '../../migrations/1765700000000-request-log-ascending-indexes';
import { createIndexConcurrently } from '../../migrations/support/concurrent-index';
import type { RequestLogFilter, TypeOrmRequestLogRepository } from '../../apps/admin/src/logs/request-log.repository';
import { closeExplainedRequestLogs, explainedRequestLogs, nodes, type PlanNode, realRequestLogRepository, recordingRunner, requestLogIndexes, revertAndReapply } from '../support/request-log-indexes';
import { describeWhen, NEEDS_DATABASE_URL } from '../support/describe-when';
import { eventually } from '../support/gateway-harness';
import type { TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env.config';

const FULL_INDEXES: Record<string, string> = {
  request_logs_created_at_id_idx: '(created_at, id)',
  request_logs_key_created_at_idx: '(virtual_key_id, created_at, id)',
  request_logs_provider_created_at_idx: '(provider, created_at, id)',
  request_logs_model_created_at_idx: '(model, created_at, id)',
  request_logs_request_type_created_at_idx: '(request_type, created_at, id)',
};

const descending = (columns: string): string => columns.replace('created_at, id)', 'created_at DESC, id DESC)');

/**
 * The full request-log indexes end with (created_at, id) ascending (migration 1765700000000): a
 * new row's entries go to the rightmost leaf of their key's range. The admin's pages, newest
 * first, are the same index ranges read backward, with no sort; the partial indexes (errors,
 * client_request_id) stay descending and are read forward.
 */
describe('request log indexes in ascending order', () => {
  let db: TestDatabase;
  let pg: Client;
  const plans: PlanNode[] = [];
  let repo: TypeOrmRequestLogRepository;
  const key = '0f6a4b52-4f44-4d4a-9a8e-3c1e2f7a9b10';

  const indexes = (): Promise<Record<string, string>> => requestLogIndexes(pg);

  beforeAll(async () => {
    ({ db, pg, repo } = await explainedRequestLogs(
      `
      INSERT INTO request_logs (id, request_id, client_request_id, created_at, virtual_key_id, provider, model, model_requested, fallback_index, status, http_status, stream, latency_ms, request_type)
      SELECT gen_random_uuid(), 'req-' || g, CASE WHEN g % 10 = 0 THEN 'client-' || g END, now() - g * interval '1 second',
        CASE WHEN g % 4 = 0 THEN $1::uuid ELSE gen_random_uuid() END,
        (ARRAY['openai','anthropic','bedrock'])[1 + g % 3], 'model-' || (g % 7), 'p/m', 0,
        CASE WHEN g % 50 = 0 THEN 'error' ELSE 'success' END, CASE WHEN g % 50 = 0 THEN 502 ELSE 200 END, false, 100,
        CASE WHEN g % 100 = 0 THEN 'embeddings' ELSE 'responses' END
      FROM generate_series(0, 19999) AS g`,
      [key],
      plans,
    ));
  });
  beforeEach(() => {
    plans.length = 0;
  });
  afterAll(() => closeExplainedRequestLogs({ db, pg }));

  it('ends each full index with (created_at, id) ascending, without deduplication, and leaves no other', async () => {
    const found = await indexes();
    for (const [name, columns] of Object.entries(FULL_INDEXES)) {
      expect(found[name]).toBe(`CREATE INDEX ${name} ON public.request_logs USING btree ${columns} WITH (deduplicate_items=off)`);
    }
    expect(Object.keys(found).filter((n) => n.endsWith('_next'))).toEqual([]);
  });

  it('serves every page of GET /api/logs from an index scan, with no sort and no scan of the table', async () => {
    const cursor = { createdAt: new Date(Date.now() - 5_000_000).toISOString(), id: 'ffffffff-ffff-4fff-bfff-ffffffffffff' };
    const filters: RequestLogFilter[] = [
      {},
      { virtualKeyId: key },
      { provider: 'bedrock' },
      { model: 'model-3' },
      { requestType: 'embeddings' },
      { clientRequestId: 'client-70' },
      { status: 'error' },
      { provider: 'bedrock', status: 'error' },
      { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() },
    ];
    for (const filter of filters) {
      for (const after of [null, cursor]) {
        await repo.list(filter, after, 51);
        const plan = nodes(plans.pop() as PlanNode);
        const scans = plan.filter((n) => n['Relation Name'] === 'request_logs');
        expect({ filter, after, types: plan.map((n) => n['Node Type']).filter((t) => /Sort|Seq Scan/.test(t)) }).toEqual({ filter, after, types: [] });
        expect(scans.length).toBe(1);
        expect(scans[0]['Node Type']).toBe('Index Scan');
      }
    }
    // The ascending indexes are read backward for newest first; the partial ones, still descending, forward.
    const direction = async (filter: RequestLogFilter, after: typeof cursor | null) => {
      await repo.list(filter, after, 51);
      const scan = nodes(plans.pop() as PlanNode).find((n) => n['Relation Name'] === 'request_logs');
      return `${scan?.['Index Name']} ${scan?.['Scan Direction']}`;
    };
    // A model's rows are a seventh of the log here: the planner may read them off either full index.
    expect(await direction({ model: 'model-3' }, null)).toMatch(/^request_logs_(model_created_at|created_at_id)_idx Backward$/);
    expect(await direction({}, cursor)).toBe('request_logs_created_at_id_idx Backward');
    expect(await direction({ status: 'error' }, null)).toBe('request_logs_errors_created_at_idx Forward');
    expect(await direction({ clientRequestId: 'client-70' }, null)).toBe('request_logs_client_request_id_idx Forward');
  });

  it('answers pages newest first, each page after its cursor', async () => {
    const real = realRequestLogRepository(pg);
    const { rows: expected } = await pg.query<{ id: string }>(
      `SELECT id FROM request_logs WHERE provider = 'bedrock' ORDER BY created_at DESC, id DESC LIMIT 60`,
    );
    const first = await real.list({ provider: 'bedrock' }, null, 30);
    const last = first[first.length - 1];
    const second = await real.list({ provider: 'bedrock' }, { createdAt: last.createdAtExact, id: last.id }, 30);
    expect([...first, ...second].map((r) => r.id)).toEqual(expected.map((r) => r.id));
  });

  it('reverts to the descending indexes, migrates up again, and finishes after a stop part-way (outside a transaction, as run)', async () => {
    const migrated = await indexes();
    const before = Object.fromEntries(Object.entries(migrated).map(([n, d]) => [n, n in FULL_INDEXES ? d.replace(FULL_INDEXES[n], descending(FULL_INDEXES[n])) : d]));
    const migration = new RequestLogAscendingIndexes1765700000000();
    const sent = await revertAndReapply(db.url, migration, indexes, before, async (q, again) => {
      // Again: nothing to build.
      await migration.up(q);
      expect(again.filter((sql) => /^(CREATE|ALTER) INDEX/.test(sql))).toEqual([]);

      // Stopped part-way: one index dropped before its twin was renamed, another's twin built beside it.
      await migration.down(q);
      await pg.query(`CREATE INDEX request_logs_model_created_at_idx_next ON request_logs (model, created_at, id) WITH (deduplicate_items = off)`);
      await pg.query(`DROP INDEX request_logs_model_created_at_idx`);
      await pg.query(`CREATE INDEX request_logs_provider_created_at_idx_next ON request_logs (provider, created_at, id) WITH (deduplicate_items = off)`);
      await migration.up(q);
      expect(await indexes()).toEqual(migrated);
    });
    expect(sent.filter((sql) => /^(CREATE|DROP) INDEX/.test(sql)).every((sql) => sql.includes(' CONCURRENTLY '))).toBe(true);
  });

  it("drops a leftover twin that is invalid or of the other direction instead of renaming it into place, in both directions", async () => {
    const migrated = await indexes();
    const migration = new RequestLogAscendingIndexes1765700000000();
    const { q, close } = await recordingRunner(db.url);
    try {
      // A stopped `down`: its descending twin built, the ascending original dropped.
      await pg.query(`CREATE INDEX request_logs_model_created_at_idx_next ON request_logs (model, created_at DESC, id DESC) WITH (deduplicate_items = off)`);
      await pg.query(`DROP INDEX request_logs_model_created_at_idx`);
      // A twin whose build failed: invalid (a unique index over duplicate values).
      await expect(pg.query(`CREATE UNIQUE INDEX CONCURRENTLY request_logs_provider_created_at_idx_next ON request_logs (provider)`)).rejects.toThrow(/could not create unique index/);
      expect((await indexes()).request_logs_provider_created_at_idx_next).toMatch(/INVALID$/);
      await migration.up(q);
      expect(await indexes()).toEqual(migrated);

      // A stopped `up` seen by `down`: an ascending twin left, the descending original dropped.
      await migration.down(q);
      const reverted = await indexes();
      await pg.query(`CREATE INDEX request_logs_key_created_at_idx_next ON request_logs (virtual_key_id, created_at, id) WITH (deduplicate_items = off)`);
      await pg.query(`DROP INDEX request_logs_key_created_at_idx`);
      await migration.down(q);
      expect(await indexes()).toEqual(reverted);
      await migration.up(q);
      expect(await indexes()).toEqual(migrated);
    } finally {
      await close();
    }
  });

  // Another session holding a build while this one runs: the embedded database (PGlite) serves
  // one session at a time, holding the others while a transaction is open.
  describeWhen(testEnv.databaseUrl, NEEDS_DATABASE_URL)('with an index build under way in another server process', () => {
    /**
     * `run` on a recording runner while another connection's CREATE INDEX CONCURRENTLY of `name` is
     * under way (as a start-up the watchdog stopped leaves it: its server process builds on), held in
     * its "waiting for writers" phase by a writer's open transaction until `run` waits for it.
     */
    async function whileAnotherBuilds(name: string, definition: string, run: (q: QueryRunner) => Promise<void>): Promise<{ oid: number; sent: string[]; said: string[] }> {
      const { q, sent, said, close } = await recordingRunner(db.url);
      const writer = new Client({ connectionString: db.url });
      const builder = new Client({ connectionString: db.url });
      await Promise.all([writer.connect(), builder.connect()]);
      try {
        await writer.query('BEGIN');
        await writer.query(`UPDATE request_logs SET latency_ms = latency_ms WHERE request_id = 'req-1'`);
        const building = builder.query(`CREATE INDEX CONCURRENTLY ${name} ${definition}`);
        let oid: number | undefined;
        await eventually(async () => (oid = (await pg.query<{ oid: number }>(`SELECT index_relid AS oid FROM pg_stat_progress_create_index WHERE index_relid = to_regclass($1)`, [name])).rows[0]?.oid) !== undefined, 20_000, 'the other build');
        const [{ pid }] = (await q.query('SELECT pg_backend_pid() AS pid')) as { pid: number }[];
        sent.length = 0;
        const running = run(q);
        // Waiting: polling (said so), or blocked behind the build's lock (as a DROP of the index would be).
        const blocked = async () => (await pg.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`, [pid])).rows[0];
        await eventually(async () => said.some((m) => m.includes(name)) || (await blocked()) !== undefined, 20_000, 'the run to wait');
        await writer.query('COMMIT');
        await building;
        await running;
        return { oid: oid!, sent: [...sent], said: [...said] };
      } finally {
        await writer.query('ROLLBACK').catch(() => undefined);
        await Promise.all([writer.end(), builder.end()]);
        await close();
      }
    }

    const oidOf = async (name: string): Promise<number> => (await pg.query<{ oid: number }>(`SELECT $1::regclass::oid AS oid`, [name])).rows[0].oid;

    it('waits for a twin another server process is still building (a start-up stopped mid-build) and uses it instead of building it again', async () => {
      const migrated = await indexes();
      const migration = new RequestLogAscendingIndexes1765700000000();
      const runner = await recordingRunner(db.url);
      await migration.down(runner.q).finally(runner.close);
      const twin = 'request_logs_created_at_id_idx_next';
      const { oid, sent, said } = await whileAnotherBuilds(twin, 'ON request_logs (created_at, id) WITH (deduplicate_items = off)', (q) => migration.up(q));
      expect(await indexes()).toEqual(migrated);
      expect(await oidOf('request_logs_created_at_id_idx')).toBe(oid);
      expect(sent.filter((sql) => sql.startsWith('DROP INDEX') && sql.includes(twin))).toEqual([]);
      expect(said.filter((m) => m.includes(twin))).toEqual([expect.stringMatching(/still building it \(waiting for writers before build\); waiting for that build/)]);
    });

    it('keeps, in the shared createIndexConcurrently (1764300000000, the `down` of 1765500000000), an index another server process is still building', async () => {
      const name = 'request_logs_probe_idx';
      const { oid, sent } = await whileAnotherBuilds(name, 'ON request_logs (model, provider)', (q) => createIndexConcurrently(q, name, 'ON request_logs (model, provider)'));
      try {
        expect((await indexes())[name]).toBe(`CREATE INDEX ${name} ON public.request_logs USING btree (model, provider)`);
        expect(await oidOf(name)).toBe(oid);
        expect(sent.filter((sql) => sql.startsWith('DROP INDEX'))).toEqual([]);
      } finally {
        await pg.query(`DROP INDEX IF EXISTS ${name}`);
      }
    });
  });
});
