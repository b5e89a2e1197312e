import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import type { Turn } from '../conversation/turn';
import { GroupCommit } from '../state/group-commit';
import { type CacheAddOptions, ResponseCache } from '../state/response-cache';
import { addOutputStoredItems, inputStoredItems, isJson, isJsonbAsIs, type Json, type StoredItem, storedItemsOf, type StoredResponseRow, type StoredStatus } from '../state/stored-response';
import { StoredResponseRepository } from '../state/stored-response.repository';
import { StoredResponseWriter } from '../state/stored-response.writer';
import type { StoredText } from '../state/stored-text';
import { DAY_MS, statusOf } from '../state/stored-turn';

// One statement holds at most this many rows (13 parameters each, under Postgres's 65,535).
const MAX_BATCH = 1_000;

/**
 * Stores each finished turn behind its answer (batched with other turns and the request logs'
 * way: stored-response.writer.ts), and keeps it in memory (unless it is over a quarter of the
 * cache) for the follow-ups that nearly always come next; another replica waits for a very
 * recent id's write (recent-writes.ts). Only a background response's `queued` row is written
 * before the client hears of it.
 */
@Injectable()
export class ResponseStore {
  readonly writer: GroupCommit<StoredResponseRow>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    repo: StoredResponseRepository,
    private readonly cache: ResponseCache,
    private readonly rows: StoredResponseWriter,
  ) {
    this.writer = new GroupCommit((rows) => repo.insert(rows), MAX_BATCH);
  }

  /**
   * Stores a finished turn behind the answer: cached here at once (ResponseCache.add's bounds),
   * written with the next batch. `responseJson`: JSON.stringify's text of `response`.
   */
  commit(turn: Turn, response: Json, responseJson: string): void {
    if (!turn.store) return;
    const row = this.row(turn, statusOf(response), response, responseJson);
    // JSON.stringify writes U+0000 and lone surrogates only as escapes, which toJsonb rewrites.
    this.add(row, typeof response.model === 'string' ? response.model : '', { wantBytes: isJsonbAsIs(row.responseJson), responseAscii: false, inputAscii: turn.inputItemsAscii });
  }

  /** commit for a turn stored as text: its row read off the text (storedText), not the object. */
  commitText(turn: Turn, stored: StoredText): void {
    const items = inputStoredItems(turn.stem, turn.inputItems);
    addOutputStoredItems(items, turn.stem, stored.outputIds);
    this.add(this.newRow(turn, stored.status, stored.model, stored.json, stored.errorJson, items), stored.model ?? '', { wantBytes: stored.plain, responseAscii: stored.ascii, inputAscii: turn.inputItemsAscii });
  }

  /**
   * `wantBytes` when the Response's JSON is its own column value (plain), so the row copies the
   * cache's UTF-8 of it instead of encoding it again; `responseAscii`, `inputAscii` as the cache takes them.
   */
  private add(row: StoredResponseRow, model: string, options: CacheAddOptions): void {
    const bytes = this.cache.add(row.id, row.keyId, row.status, row.background, model, row.previousResponseId, row.expiresAt, row.responseJson, row.inputItemsJson, row.items, options);
    this.rows.save(row, bytes);
  }

  /** A row stored as it is (a background response's `queued` state); throws if the write fails. */
  async save(turn: Turn, status: StoredStatus, response: Json, responseJson: string): Promise<void> {
    await this.writer.save(this.row(turn, status, response, responseJson));
  }

  /** Resolves once every row handed to either writer before the call is written (or spilled). */
  async idle(): Promise<void> {
    await this.writer.idle();
    await this.rows.flush();
  }

  expiresAt(turn: Turn): number {
    return turn.createdAt + this.config.responseRetentionDays * DAY_MS;
  }

  private row(turn: Turn, status: StoredStatus, response: Json, responseJson: string): StoredResponseRow {
    const items = storedItemsOf(turn.stem, turn.inputItems, response);
    const extra = response.extra_fields;
    // Upstream bodies shown to a privileged caller are not kept.
    if (isJson(extra) && ('raw_request' in extra || 'raw_response' in extra)) {
      const { raw_request: _rq, raw_response: _rs, ...kept } = extra;
      responseJson = JSON.stringify({ ...response, extra_fields: kept });
    }
    const model = typeof response.model === 'string' ? response.model : null;
    const errorJson = isJson(response.error) ? JSON.stringify(response.error) : null;
    return this.newRow(turn, status, model, responseJson, errorJson, items);
  }

  private newRow(turn: Turn, status: StoredStatus, model: string | null, responseJson: string, errorJson: string | null, items: StoredItem[]): StoredResponseRow {
    return {
      id: turn.id,
      keyId: turn.keyId,
      createdAt: turn.createdAt,
      expiresAt: this.expiresAt(turn),
      status,
      background: turn.background,
      model: model ?? String(turn.request.model ?? ''),
      previousResponseId: turn.previousResponseId,
      requestJson: turn.requestJson,
      inputItemsJson: turn.inputItemsJson,
      responseJson,
      errorJson,
      items,
    };
  }
}
