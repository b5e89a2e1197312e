import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, errorMessage } from '@app/common';
import { ACKS_CHANNEL, CHANGES_CHANNEL, LISTENER_APP_PREFIX, localChanges, newInstanceId, PgListener, SYNC_MARKER_PREFIX } from '@app/database';

type Refresh = () => Promise<void>;

/**
 * Tells the in-memory mirrors of configuration tables (keys, policies, prices: TablePoller)
 * that their table changed, so a change is in force here moments after it commits instead of
 * at the next poll (which stays, as a safety net):
 * - from the database: LISTEN for the tables' triggers, and acknowledge the admin app's sync
 *   markers once every change notified before them is applied (see change-channel.ts);
 * - from an admin app in this process (`npm start`, and the embedded database, which has no
 *   NOTIFY between connections): the local change bus.
 */
@Injectable()
export class ChangeFeed implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ChangeFeed.name);
  private readonly byTable = new Map<string, Refresh>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly instanceId = newInstanceId();
  private listener: PgListener | null = null;
  private unsubscribeLocal: (() => void) | null = null;
  private markStarted!: () => void;
  /** Resolves once changes are being received (Nest runs the modules' init hooks side by side). */
  readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** `refresh` re-reads the table; called on each change notified, and after a reconnect. */
  watch(table: string, refresh: Refresh): void {
    if (this.byTable.has(table)) throw new Error(`table ${table} is already watched`);
    this.byTable.set(table, refresh);
  }

  /** The caches wait for it before their first read, so no change slips between that read and LISTEN. */
  async onModuleInit(): Promise<void> {
    try {
      await this.listen();
    } finally {
      this.markStarted();
    }
  }

  private async listen(): Promise<void> {
    const url = this.config.databaseUrl;
    if (!url) return;
    this.unsubscribeLocal = localChanges.subscribe(url, () => this.refreshAll());
    const listener = new PgListener(
      url,
      [CHANGES_CHANNEL],
      `${LISTENER_APP_PREFIX} ${this.instanceId}`,
      { notification: (_channel, payload) => this.onNotification(payload), reconnected: () => void this.refreshAll().catch(() => undefined) },
      this.logger,
    );
    if (await listener.start()) this.listener = listener;
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribeLocal?.();
    await this.listener?.stop();
  }

  /** Re-reads every watched table; rejects if any read failed. */
  async refreshAll(): Promise<void> {
    const results = await Promise.allSettled([...this.byTable.values()].map((refresh) => this.track(refresh())));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private onNotification(payload: string): void {
    if (payload.startsWith(SYNC_MARKER_PREFIX)) {
      void this.acknowledge(payload.slice(SYNC_MARKER_PREFIX.length));
      return;
    }
    const refresh = this.byTable.get(payload);
    // Failures are the poller's to log; the next notification or poll tries again.
    if (refresh) this.track(refresh()).catch(() => undefined);
  }

  /** Every change notified before the marker is applied (or failed, then no acknowledgement): say so. */
  private async acknowledge(marker: string): Promise<void> {
    const pending = [...this.inFlight];
    try {
      await Promise.all(pending);
      await this.listener?.query('SELECT pg_notify($1, $2)', [ACKS_CHANNEL, `${marker} ${this.instanceId}`]);
    } catch (err) {
      this.logger.warn(`not acknowledging change sync ${marker}: ${errorMessage(err)}`);
    }
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }
}
