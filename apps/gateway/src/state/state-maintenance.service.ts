import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { errorMessage } from '@app/common';
import { BackgroundResponses } from '../background/background-responses.service';
import { StoredResponseRepository } from './stored-response.repository';

/** A process running background responses says so this often... */
export const HEARTBEAT_MS = 5_000;
/** ...and rows it has not touched for this long belong to a process that is gone. */
export const STALE_AFTER_MS = 15_000;
const SWEEP_EVERY_MS = 5_000;
const PURGE_EVERY_MS = 10 * 60_000;
const PURGE_BATCH = 1_000;

export const SERVER_RESTARTED = {
  code: 'server_restarted',
  message: 'The gateway process running this background response stopped before it finished; send the request again.',
};

/**
 * Housekeeping of stored responses: heartbeats for this process's background responses; the
 * sweep that fails those whose process died (at start-up, then periodically: with several
 * replicas a row is only failed once its owner stopped beating); the retention purge, in
 * batches so that no statement holds many locks.
 */
@Injectable()
export class StateMaintenance implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(StateMaintenance.name);
  private timers: NodeJS.Timeout[] = [];
  private purging: Promise<number> | null = null;

  constructor(
    private readonly repo: StoredResponseRepository,
    private readonly background: BackgroundResponses,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.sweep();
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn(), ms);
      t.unref();
      this.timers.push(t);
    };
    every(HEARTBEAT_MS, () => this.heartbeat());
    every(SWEEP_EVERY_MS, () => this.sweep());
    every(PURGE_EVERY_MS, () => this.purgeExpired());
    void this.purgeExpired();
  }

  onApplicationShutdown(): void {
    for (const t of this.timers) clearInterval(t);
  }

  async heartbeat(): Promise<void> {
    try {
      await this.repo.heartbeat(this.background.runningIds());
    } catch (err) {
      this.logger.warn(`heartbeat of background responses failed: ${errorMessage(err)}`);
    }
  }

  /** Fails unfinished background responses left by a process that is gone; returns how many. */
  async sweep(staleAfterMs = STALE_AFTER_MS): Promise<number> {
    try {
      const n = await this.repo.failStale(staleAfterMs, SERVER_RESTARTED);
      if (n > 0) this.logger.warn(`${n} background responses of a stopped gateway process marked failed (server_restarted)`);
      return n;
    } catch (err) {
      this.logger.warn(`sweep of unfinished background responses failed: ${errorMessage(err)}`);
      return 0;
    }
  }

  /** Deletes every expired stored response, a batch at a time; returns how many. */
  purgeExpired(): Promise<number> {
    this.purging ??= this.purge().finally(() => {
      this.purging = null;
    });
    return this.purging;
  }

  private async purge(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const n = await this.repo.purgeExpired(PURGE_BATCH);
        total += n;
        if (n < PURGE_BATCH) break;
      }
    } catch (err) {
      this.logger.warn(`purge of expired stored responses failed (next run retries): ${errorMessage(err)}`);
    }
    return total;
  }
}
