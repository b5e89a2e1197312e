import { Client } from 'pg';
import { RequestLogIndexCosts1765500000000 } from '../../migrations/1765500000000-request-log-index-costs';
import type { TypeOrmRequestLogRepository } from '../../apps/admin/src/logs/request-log.repository';
import { closeExplainedRequestLogs, explainedRequestLogs, nodes, type PlanNode, realRequestLogRepository, requestLogIndexes, revertAndReapply } from '../support/request-log-indexes';
import type { TestDatabase } from '../support/test-database';

/**
 * Request log rows carry fewer index entries (migration 1765500000000): no index on request_id,
 * no deduplication on the indexes whose keys end with the row's id. The attempts of a request are
 * still reached through an index, by their shared created_at.
 */
describe('request log indexes and the admin queries that use them', () => {
  let db: TestDatabase;
  let pg: Client;
  /** The plans of the statements the repository sends, in order. */
  const plans: PlanNode[] = [];
  let repo: TypeOrmRequestLogRepository;

  beforeAll(async () => {
    // Pairs of attempts sharing created_at and request_id.
    ({ db, pg, repo } = await explainedRequestLogs(
      `
      INSERT INTO request_logs (id, request_id, created_at, provider, model, model_requested, fallback_index, status, http_status, stream, latency_ms, request_type)
      SELECT gen_random_uuid(), 'req-' || (g / 2), now() - (g / 2) * interval '1 second', 'openai', 'gpt-4o-mini', 'openai/gpt-4o-mini', g % 2,
        CASE WHEN g % 2 = 0 THEN 'error' ELSE 'success' END, CASE WHEN g % 2 = 0 THEN 502 ELSE 200 END, false, 100, 'responses'
      FROM generate_series(0, 19999) AS g`,
      [],
      plans,
    ));
  });
  beforeEach(() => {
    plans.length = 0;
  });
  afterAll(() => closeExplainedRequestLogs({ db, pg }));

  it('keeps no index on request_id, and the full request_type index', async () => {
    const { rows } = await pg.query<{ name: string; def: string }>(
      `SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'request_logs'::regclass`,
    );
    expect(rows.filter((r) => /\(request_id\)/.test(r.def))).toEqual([]);
    expect(rows.filter((r) => /\(request_type,/.test(r.def)).map((r) => [r.name, r.def.includes(' WHERE ')])).toEqual([
      ['request_logs_request_type_created_at_idx', false],
    ]);
  });

  it('turns deduplication off on every index whose key ends with the row id, and only there', async () => {
    const { rows } = await pg.query<{ name: string; def: string; options: string[] | null }>(
      `SELECT c.relname AS name, pg_get_indexdef(c.oid) AS def, c.reloptions AS options
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'request_logs'::regclass AND NOT i.indisunique`,
    );
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) {
      const endsWithId = /, id( DESC)?\)/.test(r.def);
      expect({ name: r.name, off: (r.options ?? []).includes('deduplicate_items=off') }).toEqual({ name: r.name, off: endsWithId });
    }
  });

  it('finds the attempts of a request through an index, not a scan of the table', async () => {
    const { rows } = await pg.query<{ id: string }>(`SELECT id FROM request_logs WHERE request_id = 'req-77' ORDER BY fallback_index`);
    expect(rows).toHaveLength(2);
    await repo.findAttempts(rows[1].id);
    const scans = nodes(plans[0]).filter((n) => n['Relation Name'] === 'request_logs');
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.map((n) => n['Node Type'])).not.toContain('Seq Scan');
    expect(await realAttempts(rows[1].id)).toEqual(rows.map((r) => r.id));
  });

  it('reverts to the indexes as they were, and migrates up again (outside a transaction, as run)', async () => {
    const indexes = async (): Promise<string[]> => Object.values(await requestLogIndexes(pg)).sort();
    const migrated = await indexes();
    // As before 1765500000000: the initial schema's request_id index, no storage options.
    const before = [...migrated.map((d) => d.replace(' WITH (deduplicate_items=off)', '')), 'CREATE INDEX request_logs_request_id_idx ON public.request_logs USING btree (request_id)'].sort();
    const sent = await revertAndReapply(db.url, new RequestLogIndexCosts1765500000000(), indexes, before);
    expect(sent.filter((sql) => /^(CREATE|DROP) INDEX/.test(sql))).toEqual([
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS request_logs_request_id_idx ON request_logs (request_id)',
      'DROP INDEX CONCURRENTLY IF EXISTS request_logs_request_id_idx',
    ]);
  });

  /** findAttempts against the real database. */
  async function realAttempts(id: string): Promise<string[]> {
    return (await realRequestLogRepository(pg).findAttempts(id)).map((r) => r.id);
  }
});
