import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { SerialTask } from '@app/common';

// Rows committed slightly out of updated_at order are caught by re-reading a short window.
const REFRESH_OVERLAP_MS = 5_000;

/**
 * Mirrors a table into memory by polling `updated_at`: the gateway learns of rows the admin
 * app changed within one interval, with no database round trip on the request path.
 * Works on any Postgres (LISTEN/NOTIFY is not available on the embedded one).
 */
export class TablePoller<Row extends { updated_at: Date }> {
  private since = new Date(0);
  private timer: NodeJS.Timeout | null = null;
  private readonly poll = new SerialTask(() => this.load());

  constructor(
    private readonly dataSource: DataSource,
    private readonly selectSql: string,
    private readonly apply: (rows: Row[]) => void,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Reads rows changed since the last poll; calls made during one share the poll that follows it. */
  refresh(): Promise<void> {
    // A poll already running may have read before the caller's change committed: the caller
    // waits for the one that follows it.
    return this.poll.run();
  }

  private async load(): Promise<void> {
    let rows: Row[];
    try {
      rows = await this.dataSource.query(`${this.selectSql} WHERE updated_at > $1 ORDER BY updated_at`, [
        new Date(this.since.getTime() - REFRESH_OVERLAP_MS),
      ]);
    } catch (err) {
      // Keep serving with what we know; the next poll tries again.
      this.logger.warn(`refresh failed: ${(err as Error).message}`);
      return;
    }
    if (rows.length === 0) return;
    this.apply(rows);
    this.since = rows[rows.length - 1].updated_at;
  }
}
