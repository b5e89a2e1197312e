import { mkdirSync } from 'node:fs';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Postgres compiled to WASM (PGlite) behind a local socket, so the ordinary `pg` driver and
 * the same migrations serve development machines that have no database installed.
 * `dataDir` undefined keeps everything in memory (tests).
 */
export async function startEmbeddedPostgres(dataDir?: string): Promise<EmbeddedPostgres> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // Loaded here rather than with @app/database: the apps import the lib on a database server too,
  // and PGlite's code would stay in their heap unused.
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
  const db = await PGlite.create(dataDir ? { dataDir } : undefined);
  // The multiplexer keeps a transaction on its own connection; the pools of both apps fit in 32.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 32 });
  await server.start();
  return {
    url: `postgres://postgres:postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
