import type { Client } from 'pg';
import { pg } from '../pg-driver';

export interface PgListenerEvents {
  notification(channel: string, payload: string): void;
  /** Listening again after the connection was lost: notifications sent meanwhile are gone. */
  reconnected(): void;
}

interface Log {
  log(message: string): void;
  warn(message: string): void;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

/** Whether this server can carry NOTIFY from one connection to another (PGlite serves all from one backend). */
export function deliversNotifications(version: string): boolean {
  return !/PGlite/i.test(version);
}

/**
 * One dedicated connection that LISTENs (a pooled one would lose its LISTEN when recycled),
 * reconnecting with backoff when the database goes away.
 */
export class PgListener {
  private client: Client | null = null;
  private stopped = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly channels: string[],
    private readonly applicationName: string,
    private readonly events: PgListenerEvents,
    private readonly logger: Log,
  ) {}

  get listening(): boolean {
    return this.client !== null;
  }

  /** Listens; false (and nothing kept open) when the database cannot deliver notifications. */
  async start(): Promise<boolean> {
    const client = this.newClient();
    await client.connect();
    const { rows } = await client.query<{ version: string }>('SELECT version()');
    if (!deliversNotifications(rows[0].version)) {
      this.stopped = true;
      await client.end();
      return false;
    }
    await this.listenOn(client);
    return true;
  }

  /** A statement on the listening connection (acknowledgements); false when not connected. */
  async query(sql: string, params: unknown[]): Promise<boolean> {
    const client = this.client;
    if (client === null) return false;
    await client.query(sql, params);
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private newClient(): Client {
    return new pg.Client({ connectionString: this.url, application_name: this.applicationName, keepAlive: true, connectionTimeoutMillis: 5_000 });
  }

  private async listenOn(client: Client): Promise<void> {
    client.on('notification', (n) => this.events.notification(n.channel, n.payload ?? ''));
    client.on('error', (err) => {
      this.logger.warn(`change listener connection failed: ${err.message}; reconnecting`);
      void client.end().catch(() => undefined);
    });
    client.on('end', () => {
      if (this.client === client) this.client = null;
      this.scheduleReconnect();
    });
    for (const channel of this.channels) await client.query(`LISTEN ${channel}`);
    this.client = client;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.reconnect();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    const client = this.newClient();
    client.on('error', () => undefined);
    try {
      await client.connect();
      if (this.stopped) {
        await client.end();
        return;
      }
      await this.listenOn(client);
    } catch {
      await client.end().catch(() => undefined);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      this.scheduleReconnect();
      return;
    }
    this.retryMs = RETRY_MIN_MS;
    this.logger.log('change listener reconnected');
    this.events.reconnected();
  }
}
