/** Anything that runs SQL and answers the rows: a migration's QueryRunner, a DataSource. */
interface Queryable {
  query(sql: string): Promise<unknown>;
}

/**
 * Whether this server can compress a column with lz4: built `--with-lz4`, PostgreSQL 14 or
 * later (before 14 there is neither the setting nor per-column compression). Read from the
 * values default_toast_compression accepts rather than learnt from a refused ALTER, which would
 * abort the migration's transaction. The embedded database (PGlite) has pglz only.
 */
export async function lz4Available(q: Queryable): Promise<boolean> {
  const rows = (await q.query(
    `SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) AS lz4`,
  )) as { lz4: boolean }[];
  return rows[0].lz4;
}
