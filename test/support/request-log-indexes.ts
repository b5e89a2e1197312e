import { Client } from 'pg';
import { DataSource, type Logger, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { TypeOrmRequestLogRepository } from '../../apps/admin/src/logs/request-log.repository';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Scan Direction'?: string;
  Plans?: PlanNode[];
}

/** A plan's nodes, the root first. */
export function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** A bound value as an SQL literal, for EXPLAIN of a statement the repository would bind. */
function literal(v: unknown): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(v);
  return `'${String(v instanceof Date ? v.toISOString() : v).replace(/'/g, "''")}'`;
}

/** The admin's request-log repository, each statement it sends EXPLAINed on `pg` (its plan pushed on `plans`) instead of run. */
export function explainingRequestLogRepository(pg: Client, plans: PlanNode[]): TypeOrmRequestLogRepository {
  const explaining = {
    query: async (sql: string, params: unknown[] = []): Promise<unknown[]> => {
      const text = sql.replace(/\$(\d+)/g, (_, n: string) => literal(params[Number(n) - 1]));
      const { rows } = await pg.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${text}`);
      plans.push(rows[0]['QUERY PLAN'][0].Plan);
      return [];
    },
  };
  return new TypeOrmRequestLogRepository(explaining as unknown as DataSource);
}

/** A migrated test database, a client on it, and the admin's repository EXPLAINing there into `plans`. */
export interface ExplainedRequestLogs {
  db: TestDatabase;
  pg: Client;
  repo: TypeOrmRequestLogRepository;
}

/** The rows `seed` inserts (with `params`) in a new test database, ANALYZEd for the planner. */
export async function explainedRequestLogs(seed: string, params: unknown[], plans: PlanNode[]): Promise<ExplainedRequestLogs> {
  const db = await createTestDatabase();
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  await pg.query(seed, params);
  await pg.query('ANALYZE request_logs');
  return { db, pg, repo: explainingRequestLogRepository(pg, plans) };
}

export async function closeExplainedRequestLogs(target: Partial<ExplainedRequestLogs>): Promise<void> {
  await target.pg?.end();
  await target.db?.drop();
}

/** name -> definition (with INVALID when not valid), of every index of request_logs. */
export async function requestLogIndexes(pg: Client): Promise<Record<string, string>> {
  const { rows } = await pg.query<{ name: string; def: string }>(
    `SELECT c.relname AS name, pg_get_indexdef(c.oid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'request_logs'::regclass`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.def]));
}

/** The repository on `pg` as it is. */
export function realRequestLogRepository(pg: Client): TypeOrmRequestLogRepository {
  return new TypeOrmRequestLogRepository({ query: async (sql: string, params: unknown[]) => (await pg.query(sql, params)).rows } as unknown as DataSource);
}

/**
 * A query runner outside a transaction, as migrations with `transaction = false` run, that records
 * every statement it sends and every progress message the migration gives its logger.
 */
export async function recordingRunner(url: string): Promise<{ q: QueryRunner; sent: string[]; said: string[]; close: () => Promise<void> }> {
  const said: string[] = [];
  const logger: Logger = {
    log: (level, message) => {
      if (level === 'info') said.push(String(message));
    },
    logQuery: () => undefined,
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
  };
  const ds = await new DataSource({ ...dataSourceOptions(url, 1), logger }).initialize();
  const q = ds.createQueryRunner();
  const sent: string[] = [];
  const query = q.query.bind(q);
  q.query = ((sql: string, ...rest: unknown[]) => (sent.push(sql), query(sql, ...(rest as [])))) as typeof q.query;
  return {
    q,
    sent,
    said,
    close: async () => {
      try {
        await q.release();
      } finally {
        await ds.destroy();
      }
    },
  };
}

/**
 * `migration` reverted and applied again on a recording runner, outside a transaction as it runs,
 * `indexes()` checked against `before` after `down` and against what it was after `up`; `more`
 * goes on with the same runner. Returns the statements `down` and `up` sent.
 */
export async function revertAndReapply<T>(
  url: string,
  migration: MigrationInterface,
  indexes: () => Promise<T>,
  before: T,
  more?: (q: QueryRunner, sent: string[]) => Promise<void>,
): Promise<string[]> {
  const migrated = await indexes();
  expect(migration.transaction).toBe(false);
  const { q, sent, close } = await recordingRunner(url);
  try {
    await migration.down(q);
    expect(await indexes()).toEqual(before);
    await migration.up(q);
    expect(await indexes()).toEqual(migrated);
    const roundTrip = [...sent];
    sent.length = 0;
    await more?.(q, sent);
    return roundTrip;
  } finally {
    await close();
  }
}
