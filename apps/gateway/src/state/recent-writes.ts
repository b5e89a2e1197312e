import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { createdAtOfId, type Json, type StoredResponse } from './stored-response';
import { StoredResponseRepository } from './stored-response.repository';
import { StoredResponseWriter } from './stored-response.writer';

// Beyond two batch windows: the time a write of a slow batch may still take.
const WRITE_SLACK_MS = 500;
// Ids stamped this far ahead of this clock are still taken as recent (replicas' clocks differ a little).
const MAX_CLOCK_SKEW_MS = 5_000;
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 50;

/**
 * Reads of stored responses that know their writes are asynchronous. Stored responses are
 * written behind the answer (stored-response.writer.ts), so an id can be missing from the
 * database for up to a batch window after its client had the answer. A miss is therefore not
 * the last word when the row may still be on its way: this process flushes its own unwritten
 * rows and asks again; for an id another replica made moments ago (its creation time is in the
 * id) it polls until the write window has passed. Item ids without a time (an upstream's) get
 * one window from now; a response id without one was not made by this gateway's writer. Anything
 * older misses at once.
 */
@Injectable()
export class RecentWrites {
  /** How long after its creation a row may still be unwritten. */
  readonly windowMs: number;

  constructor(
    private readonly repo: StoredResponseRepository,
    private readonly writer: StoredResponseWriter,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.windowMs = 2 * config.logWriter.flushIntervalMs + WRITE_SLACK_MS;
  }

  findOne(keyId: string, id: string): Promise<StoredResponse | null> {
    return this.untilFound([id], () => this.repo.findOne(keyId, id), (r) => r !== null);
  }

  findChain(keyId: string, id: string): Promise<StoredResponse[]> {
    return this.untilFound([id], () => this.repo.findChain(keyId, id), (rows) => rows.length > 0 && rows[0].id === id);
  }

  findItems(keyId: string, itemIds: string[]): Promise<Map<string, Json>> {
    return this.untilFound(itemIds, () => this.repo.findItems(keyId, itemIds), (found) => itemIds.every((i) => found.has(i)), true);
  }

  delete(keyId: string, id: string): Promise<boolean> {
    return this.untilFound([id], () => this.repo.delete(keyId, id), (deleted) => deleted);
  }

  /**
   * The query's answer once `found` holds, or its last answer when the rows cannot be on their way
   * (any more). `items`: an item id need not say which row holds it, so any unwritten row of this
   * process is flushed first, and an item id without a time may be an upstream's, just written.
   */
  private async untilFound<R>(ids: string[], query: () => Promise<R>, found: (r: R) => boolean, items = false): Promise<R> {
    let r = await query();
    if (found(r)) return r;
    if (items ? this.writer.holdsUnwritten() : ids.some((id) => this.writer.holdsUnwritten(id))) {
      await this.writer.flush();
      r = await query();
      if (found(r)) return r;
    }
    const deadline = this.deadlineOf(ids, Date.now(), items);
    for (let wait = FIRST_POLL_MS; Date.now() < deadline; wait = Math.min(MAX_POLL_MS, wait * 2)) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, Math.max(1, deadline - Date.now()))));
      r = await query();
      if (found(r)) return r;
    }
    return r;
  }

  /** The latest time any of the ids may still be written by another replica (0: none can). */
  deadlineOf(ids: readonly string[], now: number, untimedMayBeRecent: boolean): number {
    let deadline = 0;
    for (const id of ids) {
      const createdAt = createdAtOfId(id);
      if (createdAt === null) {
        if (untimedMayBeRecent) deadline = Math.max(deadline, now + this.windowMs);
      }
      else if (createdAt <= now + MAX_CLOCK_SKEW_MS) deadline = Math.max(deadline, Math.min(createdAt, now) + this.windowMs);
    }
    return deadline;
  }
}
