import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { runMigrations } from '@app/database';

const MIGRATION_CONNECT_TIMEOUT_MS = 30_000;
const MIGRATION_TIMEOUT_MS = 120_000;
const MIGRATION_ATTEMPTS = 3;

interface Instance {
  id: number;
  db: PGlite;
  server: PGLiteSocketServer | null;
  /** Emptied and migrated again after each use, ready for the next. */
  ready: Promise<void>;
}

/**
 * Without DATABASE_URL every test database is an embedded Postgres of its own. PGlite loads its
 * WASM through dynamic import, which Jest's module VM refuses, so the instances live in Jest's
 * parent process and workers ask for one over HTTP (createTestDatabase).
 *
 * An instance is one Postgres backend for all its connections, so it cannot be shared by two
 * test files (a schema each would share one search_path). Creating one takes seconds, so a
 * returned instance is emptied (public schema dropped, session state reset), migrated again
 * and kept for the next request; each hand-out gets a new socket server on a new port, so a
 * connection a previous file left open can never reach the next file's data.
 */
export class EmbeddedTestDatabases {
  private readonly idle: Instance[] = [];
  private readonly inUse = new Map<number, Instance>();
  private nextId = 1;
  private http: Server | null = null;

  /**
   * The service's URL, for the workers. `prewarm` instances are made first: the first PGlite
   * of a process compiles its WASM, seconds that would otherwise land in a test's hook.
   */
  async start(prewarm = 1): Promise<string> {
    for (let i = 0; i < prewarm; i++) {
      const instance = await this.create();
      await instance.ready;
      this.idle.push(instance);
    }
    this.http = createServer((req, res) => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const release = /^\/databases\/(\d+)$/.exec(req.url ?? '');
      const work =
        req.method === 'POST' && req.url === '/databases'
          ? this.acquire()
          : req.method === 'DELETE' && release
            ? this.release(Number(release[1])).then(() => ({ released: true }))
            : Promise.reject(new Error(`no route ${req.method} ${req.url}`));
      work.then(
        (body) => reply(200, body),
        (err: unknown) => reply(500, { error: (err as Error).stack ?? String(err) }),
      );
    });
    // Idle connections are the client's to close: a server-side keep-alive timeout races the
    // next request on a reused socket (ECONNRESET) while an instance takes seconds to make.
    this.http.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => this.http!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
    const all = [...this.idle, ...this.inUse.values()];
    await Promise.all(all.map(async (i) => {
      await i.ready.catch(() => undefined);
      await i.server?.stop().catch(() => undefined);
      await i.db.close().catch(() => undefined);
    }));
  }

  private async acquire(): Promise<{ id: number; url: string }> {
    const instance = this.idle.shift() ?? (await this.create());
    await instance.ready;
    this.inUse.set(instance.id, instance);
    return { id: instance.id, url: await this.serve(instance) };
  }

  private async release(id: number): Promise<void> {
    const instance = this.inUse.get(id);
    if (instance === undefined) return;
    this.inUse.delete(id);
    // Closes every connection of the file that used it.
    await instance.server?.stop();
    instance.server = null;
    instance.ready = this.reset(instance);
    this.idle.push(instance);
  }

  private async create(): Promise<Instance> {
    const instance: Instance = { id: this.nextId++, db: await PGlite.create(), server: null, ready: Promise.resolve() };
    instance.ready = this.migrate(instance);
    return instance;
  }

  private async reset(instance: Instance): Promise<void> {
    const { db } = instance;
    // Whatever a file left behind in the one backend: an open transaction, locks, settings.
    await db.exec('ROLLBACK').catch(() => undefined);
    await db.exec('SELECT pg_advisory_unlock_all(); RESET ALL; DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    await this.migrate(instance);
  }

  /**
   * Through a socket of its own, as the apps will connect: the same migrations as production.
   * On a loaded machine the embedded backend can be slow to answer a new connection, so each
   * attempt may take long, and a failed one is tried again on a new socket server; stopping the
   * server closes whatever connection the failed attempt left, so nothing of it outlives here.
   */
  private async migrate(instance: Instance): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const url = await this.serve(instance);
      try {
        await runMigrations(url, { connectTimeoutMs: MIGRATION_CONNECT_TIMEOUT_MS, timeoutMs: MIGRATION_TIMEOUT_MS });
        return;
      } catch (err) {
        if (attempt >= MIGRATION_ATTEMPTS) throw err;
      } finally {
        await instance.server?.stop().catch(() => undefined);
        instance.server = null;
      }
    }
  }

  private async serve(instance: Instance): Promise<string> {
    const server = new PGLiteSocketServer({ db: instance.db, host: '127.0.0.1', port: 0, maxConnections: 32 });
    await server.start();
    instance.server = server;
    return `postgres://postgres:postgres@${server.getServerConn()}/postgres`;
  }
}
