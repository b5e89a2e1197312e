import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import type { Turn } from '../conversation/turn';
import { GroupCommit } from '../state/group-commit';
import { ResponseCache } from '../state/response-cache';
import { isJson, type Json, type StoredResponseRow, type StoredStatus } from '../state/stored-response';
import { StoredResponseRepository } from '../state/stored-response.repository';
import { DAY_MS, outputOf, statusOf, toStoredResponse } from '../state/stored-turn';

// One statement holds at most this many rows (13 parameters each, under Postgres's 65,535).
const MAX_BATCH = 1_000;
// A stalled database (no answer, no error) must not hold answers back for long.
const COMMIT_WAIT_MS = 3_000;

/**
 * Stores each finished turn durably before the client sees its end (group commit), and keeps it
 * in memory for the follow-ups that nearly always come next.
 */
@Injectable()
export class ResponseStore {
  private readonly logger = new Logger(ResponseStore.name);
  readonly writer: GroupCommit<StoredResponseRow>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    repo: StoredResponseRepository,
    private readonly cache: ResponseCache,
  ) {
    this.writer = new GroupCommit((rows) => repo.insert(rows), MAX_BATCH);
  }

  /**
   * Stores a finished turn; resolves once it is committed, so that a follow-up sent the moment
   * the client has the answer finds it. A failed write is logged, not thrown: the client gets
   * its answer, and this process still resolves follow-ups from memory.
   */
  async commit(turn: Turn, response: Json, responseJson: string): Promise<void> {
    if (!turn.store) return;
    const status = statusOf(response);
    const row = this.row(turn, status, response, responseJson);
    this.cache.set(toStoredResponse(turn, status, response, row.expiresAt.getTime()), responseJson, row.inputItemsJson);
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), COMMIT_WAIT_MS);
    });
    try {
      if ((await Promise.race([this.writer.save(row), stalled])) === 'stalled') {
        this.logger.warn(`storing response ${turn.id} takes over ${COMMIT_WAIT_MS} ms; answering before its commit`);
      }
    } catch (err) {
      this.logger.warn(`storing response ${turn.id} failed (follow-ups resolve from this process's memory only): ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A row stored as it is (a background response's `queued` state); throws if the write fails. */
  async save(turn: Turn, status: StoredStatus, response: Json, responseJson: string): Promise<void> {
    await this.writer.save(this.row(turn, status, response, responseJson));
  }

  /** Resolves once every row handed to the writer is written. */
  idle(): Promise<void> {
    return this.writer.idle();
  }

  expiresAt(turn: Turn): number {
    return turn.createdAt + this.config.responseRetentionDays * DAY_MS;
  }

  private row(turn: Turn, status: StoredStatus, response: Json, responseJson: string): StoredResponseRow {
    const items: StoredResponseRow['items'] = [];
    turn.inputItems.forEach((item, position) => {
      if (typeof item.id === 'string') items.push({ source: 'input', position, itemId: item.id });
    });
    outputOf(response).forEach((item, position) => {
      if (typeof item.id === 'string') items.push({ source: 'output', position, itemId: item.id });
    });
    const extra = response.extra_fields;
    // Upstream bodies shown to a privileged caller are not kept.
    if (isJson(extra) && ('raw_request' in extra || 'raw_response' in extra)) {
      const { raw_request: _rq, raw_response: _rs, ...kept } = extra;
      responseJson = JSON.stringify({ ...response, extra_fields: kept });
    }
    return {
      id: turn.id,
      keyId: turn.keyId,
      createdAt: new Date(turn.createdAt),
      expiresAt: new Date(this.expiresAt(turn)),
      status,
      background: turn.background,
      model: typeof response.model === 'string' ? response.model : String(turn.request.model ?? ''),
      previousResponseId: turn.previousResponseId,
      requestJson: turn.requestJson,
      inputItemsJson: turn.inputItemsJson,
      responseJson,
      errorJson: isJson(response.error) ? JSON.stringify(response.error) : null,
      items,
    };
  }
}
