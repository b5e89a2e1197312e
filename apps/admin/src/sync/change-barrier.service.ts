import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { ACKS_CHANNEL, CHANGES_CHANNEL, LISTENER_APP_PREFIX, localChanges, PgListener, SYNC_MARKER_PREFIX } from '@app/database';

export interface SyncResult {
  /** Gateways expected to confirm: those in this process, and every replica listening on the database. */
  expected: number;
  confirmed: number;
}

/**
 * Makes an admin write in force everywhere before the API answers. Gateways in this process
 * re-read at once (local change bus); on a real Postgres every replica's listener, counted in
 * pg_stat_activity, is asked through a sync marker to confirm it has applied everything
 * committed before it (change-channel.ts). A replica that does not confirm within
 * `changeSyncTimeoutMs` (stalled, or its listener reconnecting) delays the answer no longer;
 * it still gets the change from its notification or its next poll.
 */
@Injectable()
export class ChangeBarrier implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ChangeBarrier.name);
  private readonly waiting = new Map<string, (instance: string) => void>();
  private listener: PgListener | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.databaseUrl) return;
    const listener = new PgListener(
      this.config.databaseUrl,
      [ACKS_CHANNEL],
      'bf-admin-acks',
      { notification: (_channel, payload) => this.onAck(payload), reconnected: () => undefined },
      this.logger,
    );
    if (await listener.start()) this.listener = listener;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener?.stop();
  }

  async sync(): Promise<SyncResult> {
    const url = this.config.databaseUrl;
    if (!url) return { expected: 0, confirmed: 0 };
    const deadline = Date.now() + this.config.changeSyncTimeoutMs;
    const local = await within(localChanges.publish(url), this.config.changeSyncTimeoutMs);
    const result: SyncResult = { expected: local?.subscribers ?? 0, confirmed: local ? local.subscribers - local.failed : 0 };
    if (this.listener === null || !this.listener.listening) return result;
    const replicas = await this.confirmReplicas(deadline);
    return { expected: result.expected + replicas.expected, confirmed: result.confirmed + replicas.confirmed };
  }

  private async confirmReplicas(deadline: number): Promise<SyncResult> {
    const id = randomUUID();
    const acked = new Set<string>();
    let expected: string[] | null = null;
    let wake!: () => void;
    const all = new Promise<void>((resolve) => (wake = resolve));
    const check = () => {
      if (expected !== null && expected.every((i) => acked.has(i))) wake();
    };
    this.waiting.set(id, (instance) => {
      acked.add(instance);
      check();
    });
    try {
      // The marker and the count in one statement: a listener connecting after it loads
      // everything at start anyway; one that is counted has LISTENed before the marker's commit.
      const rows: { listeners: string[] }[] = await this.dataSource.query(
        `SELECT pg_notify($1, $2) AS sent,
                ARRAY(SELECT substr(application_name, $4) FROM pg_stat_activity
                       WHERE datname = current_database() AND application_name LIKE $3) AS listeners`,
        [CHANGES_CHANNEL, `${SYNC_MARKER_PREFIX}${id}`, `${LISTENER_APP_PREFIX} %`, LISTENER_APP_PREFIX.length + 2],
      );
      expected = rows[0].listeners;
      check();
      await within(all, deadline - Date.now());
    } finally {
      this.waiting.delete(id);
    }
    const missing = expected.filter((i) => !acked.has(i));
    if (missing.length > 0) {
      this.logger.warn(`change not confirmed within ${this.config.changeSyncTimeoutMs} ms by gateway ${missing.join(', ')}; it applies there at its next notification or poll`);
    }
    return { expected: expected.length, confirmed: expected.length - missing.length };
  }

  private onAck(payload: string): void {
    const space = payload.indexOf(' ');
    if (space < 0) return;
    this.waiting.get(payload.slice(0, space))?.(payload.slice(space + 1));
  }
}

/** The promise's value, or undefined when it takes longer than `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, ms))));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
