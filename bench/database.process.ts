import { startEmbeddedPostgres } from '@app/database';
import { failChild, serveParent } from './process-stats';

/** Embedded Postgres (PGlite) in its own process: its work must not land on the load generator's event loop. */
async function main(): Promise<void> {
  const db = await startEmbeddedPostgres();
  serveParent(db.url, () => db.stop());
}

main().catch(failChild('embedded postgres'));
