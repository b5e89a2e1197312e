import { DataSource } from 'typeorm';
import type { EntityMetadata } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

// The migrations are the schema; the entities repeat part of it (columns, and the indexes they
// name). This compares the two on a freshly migrated database, so that a migration changing a
// column or an index the entities state, or an entity drifting from the tables, fails here.
// Not compared: an index's column order (ASC/DESC) and storage options (WITH ...), which the
// entities do not state, and indexes no entity names, which include every request_logs index
// (RequestLogEntity declares none). Those are pinned by the specs of the migrations that build
// them: test/database/request-log-ascending-indexes.e2e-spec.ts (full definitions of the five
// full indexes) and request-log-index-costs.e2e-spec.ts (deduplication off wherever a key ends
// with the row id).

/** TypeORM column types -> Postgres udt names. */
const UDT: ReadonlyMap<string, string> = new Map([
  ['text', 'text'], ['uuid', 'uuid'], ['timestamptz', 'timestamptz'], ['timestamp with time zone', 'timestamptz'], ['jsonb', 'jsonb'], ['json', 'json'],
  ['int', 'int4'], ['integer', 'int4'], ['int4', 'int4'], ['bigint', 'int8'], ['int8', 'int8'], ['smallint', 'int2'],
  ['boolean', 'bool'], ['bool', 'bool'], ['numeric', 'numeric'], ['decimal', 'numeric'], ['varchar', 'varchar'], ['char', 'bpchar'], ['double precision', 'float8'],
]);

interface DbColumn {
  column_name: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
}

interface DbIndex {
  table: string;
  unique: boolean;
  predicate: string | null;
  columns: string[];
}

describe('entities and the migrated schema', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await new DataSource(dataSourceOptions(db.url, 2)).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const entities = (): EntityMetadata[] => ds.entityMetadatas;

  async function indexNamed(name: string): Promise<DbIndex | undefined> {
    const rows: DbIndex[] = await ds.query(
      `SELECT t.relname AS "table", ix.indisunique AS "unique", pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
              array(SELECT a.attname::text FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
        WHERE i.relname = $1 AND i.relnamespace = current_schema()::regnamespace`,
      [name],
    );
    return rows[0];
  }

  /** An entity's `where` as Postgres prints it: written on a scratch copy of the table and read back. */
  async function canonicalPredicate(table: string, columns: string[], where: string): Promise<string | null> {
    return ds.transaction(async (m) => {
      await m.query(`CREATE TEMP TABLE drift_probe (LIKE "${table}") ON COMMIT DROP`);
      await m.query(`CREATE INDEX drift_probe_idx ON drift_probe (${columns.map((c) => `"${c}"`).join(', ')}) WHERE ${where}`);
      const [row]: { predicate: string | null }[] = await m.query(
        `SELECT pg_get_expr(ix.indpred, ix.indrelid) AS predicate FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid WHERE i.relname = 'drift_probe_idx'`,
      );
      return row.predicate;
    });
  }

  it('has an entity for every table the migrations create', async () => {
    const tables: { table_name: string }[] = await ds.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'migrations'`,
    );
    expect(tables.map((t) => t.table_name).sort()).toEqual(entities().map((e) => e.tableName).sort());
  });

  it('declares every column with its type and nullability, and no column the table lacks', async () => {
    for (const entity of entities()) {
      const columns: DbColumn[] = await ds.query(
        `SELECT column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
        [entity.tableName],
      );
      const declared = entity.columns.map((c) => ({
        column: `${entity.tableName}.${c.databaseName}`,
        type: UDT.get(String(c.type)) ?? `unmapped ${String(c.type)}`,
        nullable: c.isNullable,
      }));
      const migrated = columns.map((c) => ({ column: `${entity.tableName}.${c.column_name}`, type: c.udt_name, nullable: c.is_nullable === 'YES' }));
      const byName = (a: { column: string }, b: { column: string }) => a.column.localeCompare(b.column);
      expect(declared.sort(byName)).toEqual(migrated.sort(byName));
    }
  });

  it('declares each index it names as the migrations built it: columns, uniqueness and predicate', async () => {
    let checked = 0;
    for (const entity of entities()) {
      for (const index of entity.indices) {
        const name = index.givenName ?? index.name;
        const columns = index.columns.map((c) => c.databaseName);
        const declared = {
          name,
          table: entity.tableName,
          columns,
          unique: index.isUnique,
          predicate: index.where ? await canonicalPredicate(entity.tableName, columns, index.where) : null,
        };
        const found = await indexNamed(name);
        expect(declared).toEqual(found === undefined ? { name, missing: true } : { name, ...found });
        checked++;
      }
    }
    // The stored-response tables' indexes included: a check of nothing would pass too.
    expect(checked).toBeGreaterThanOrEqual(7);
  });
});
