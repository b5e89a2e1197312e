import type { Client } from 'pg';
import { DataSource, type Logger, type QueryRunner } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { TypeOrmRequestLogRepository } from '../../apps/admin/src/logs/request-log.repository';

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
