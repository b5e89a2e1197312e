import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { errorMessage, SerialTask } from '@app/common';
import type { ChangeFeed } from './change-feed.service';

// Rows committed slightly out of updated_at order are caught by re-reading a short window.
const REFRESH_OVERLAP_MS = 5_000;

export interface TablePollerOptions<Row> {
  dataSource: DataSource;
  /** Pushes this table's changes (NOTIFY from its trigger, or the admin app in this process). */
  feed: ChangeFeed;
  table: string;
  /** `SELECT <columns> FROM <table>`; the poller adds the updated_at condition and order. */
  select: string;
  apply: (rows: Row[]) => void;
  logger: Logger;
}

/**
 * Mirrors a table into memory: the rows changed since the last read (`updated_at`), read when
 * the change feed says the table changed, and on a timer as a safety net (a lost listener
 * connection, a trigger missing). No database round trip on the request path.
 */
export class TablePoller<Row extends { updated_at: Date }> {
  private since = new Date(0);
  private timer: NodeJS.Timeout | null = null;
  private readonly poll = new SerialTask(() => this.load());

  constructor(private readonly options: TablePollerOptions<Row>) {
    options.feed.watch(options.table, () => this.refresh());
  }

  /** The first read, once the feed is live (nothing committed in between is missed), then polls every `intervalMs`. */
  async begin(intervalMs: number): Promise<void> {
    await this.options.feed.started;
    await this.refresh();
    this.start(intervalMs);
  }

  private start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.options.logger.warn(`refresh of ${this.options.table} failed: ${errorMessage(err)}`));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Reads rows changed since the last read; calls made during one share the read that follows
   * it (it may have started before the caller's change committed). Rejects when the read fails:
   * the caller then keeps serving what it knew, and must not report the change applied.
   */
  refresh(): Promise<void> {
    return this.poll.run();
  }

  private async load(): Promise<void> {
    const { dataSource, select, apply } = this.options;
    const rows: Row[] = await dataSource.query(`${select} WHERE updated_at > $1 ORDER BY updated_at`, [new Date(this.since.getTime() - REFRESH_OVERLAP_MS)]);
    if (rows.length === 0) return;
    apply(rows);
    this.since = rows[rows.length - 1].updated_at;
  }
}
