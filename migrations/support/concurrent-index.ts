import type { QueryRunner } from 'typeorm';

const BUILD_POLL_MS = 500;
const BUILD_REPORT_MS = 10_000;

/** An index of the current schema as it stands once no other server process is building it. */
export interface SettledIndex {
  valid: boolean;
  /** pg_get_indexdef: `CREATE INDEX name ON schema.table USING ...`. */
  def: string;
}

/**
 * The index `name`, or null when there is none. An invalid index that another server process is
 * still building is waited for first: a start-up the watchdog (STARTUP_TIMEOUT_MS) stopped in
 * CREATE INDEX CONCURRENTLY leaves its server process building on, and dropping that index to
 * build it again would make each restart start over, never finishing on a table whose build
 * takes longer than the limit. The wait is bounded by the build itself and by whoever bounds the
 * migration (the watchdog); progress goes to the data source's logger as 'info'. Inside a
 * transaction (TypeORM's revert) there is no waiting: each poll would leave this transaction
 * among the ones the other build waits out, while this one waits for it.
 */
export async function settledIndex(q: QueryRunner, name: string): Promise<SettledIndex | null> {
  let reported = 0;
  for (;;) {
    const [row] = (await q.query(
      `SELECT i.indisvalid AS valid, pg_get_indexdef(c.oid) AS def, p.pid, p.phase, p.blocks_done, p.blocks_total
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         LEFT JOIN pg_stat_progress_create_index p ON p.index_relid = c.oid AND p.pid <> pg_backend_pid()
        WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`,
      [name],
    )) as { valid: boolean; def: string; pid: number | null; phase: string | null; blocks_done: string | null; blocks_total: string | null }[];
    if (!row) return null;
    if (row.valid || row.pid === null || q.isTransactionActive) return { valid: row.valid, def: row.def };
    if (Date.now() - reported >= BUILD_REPORT_MS) {
      const blocks = Number(row.blocks_total) > 0 ? `, ${Math.floor((100 * Number(row.blocks_done)) / Number(row.blocks_total))} % of this phase's blocks` : '';
      q.connection.logger.log('info', `index ${name}: server process ${row.pid} is still building it (${row.phase}${blocks}); waiting for that build instead of starting over`);
      reported = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, BUILD_POLL_MS));
  }
}

/**
 * Builds an index without blocking writes: CONCURRENTLY, in a migration with
 * `transaction = false` (a plain build would hold the gateway's log inserts for as long as it
 * runs on a large table). A failed concurrent build leaves an invalid index behind, dropped first
 * so that a retry builds it again; one still being built elsewhere is waited for (settledIndex).
 * Inside a transaction (TypeORM's revert wraps one around `down` whatever the migration says),
 * CONCURRENTLY is refused, so it is left out there.
 */
export async function createIndexConcurrently(q: QueryRunner, name: string, definition: string): Promise<void> {
  const concurrently = q.isTransactionActive ? '' : 'CONCURRENTLY ';
  if ((await settledIndex(q, name))?.valid === false) await q.query(`DROP INDEX ${concurrently}IF EXISTS ${name}`);
  await q.query(`CREATE INDEX ${concurrently}IF NOT EXISTS ${name} ${definition}`);
}

export async function dropIndexConcurrently(q: QueryRunner, name: string): Promise<void> {
  const concurrently = q.isTransactionActive ? '' : 'CONCURRENTLY ';
  await q.query(`DROP INDEX ${concurrently}IF EXISTS ${name}`);
}
