import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { BatchWriter, type BatchTable, BatchWriterHost, copyField, copyLine, copyRows } from '../storage/batch-writer';
import { type StoredResponseRow, toJsonb } from './stored-response';
import { INSERT_COLUMNS, StoredResponseRepository } from './stored-response.repository';

const COPY_RESPONSES_SQL = `COPY stored_responses (${INSERT_COLUMNS.join(',')}) FROM STDIN`;
const COPY_ITEMS_SQL = 'COPY stored_items (response_id, position, source, virtual_key_id, item_id, created_at) FROM STDIN';

// Item ids longer than this are not indexed (a B-tree entry holds at most 2704 bytes): such an item cannot be referenced.
const MAX_ITEM_ID = 1_000;
const MAX_MODEL = 1_000;
// Buffered JSON past this (characters) spills the oldest rows: responses can be large, unlike log rows.
const MAX_BUFFERED_CHARS = 64 * 1024 * 1024;

function responseCopyText(r: StoredResponseRow): string {
  return copyLine([
    r.id, r.keyId, r.createdAt, r.expiresAt, r.status, r.background, r.model, r.previousResponseId,
    toJsonb(r.requestJson), toJsonb(r.inputItemsJson), toJsonb(r.responseJson), toJsonb(r.errorJson),
    r.status === 'queued' || r.status === 'in_progress' ? r.createdAt : null,
  ]);
}

function itemsCopyText(r: StoredResponseRow): string {
  const { items } = r;
  if (items.length === 0) return '';
  // What every item line of the row repeats, escaped once.
  const id = copyField(r.id);
  const keyId = copyField(r.keyId);
  const createdAt = copyField(r.createdAt);
  let lines = '';
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    lines += `${id}\t${it.position}\t${it.source}\t${keyId}\t${copyField(it.itemId)}\t${createdAt}\n`;
  }
  return lines;
}

/** Cuts what would make the row refused: a model name or item id too long for its column or index. */
export function repairStoredRow(row: StoredResponseRow, hardTextLimit?: number): boolean {
  const maxId = Math.min(MAX_ITEM_ID, hardTextLimit ?? Infinity);
  const maxModel = Math.min(MAX_MODEL, hardTextLimit ?? Infinity);
  let changed = false;
  if (row.items.some((i) => i.itemId.length > maxId)) {
    row.items = row.items.filter((i) => i.itemId.length <= maxId);
    changed = true;
  }
  if (row.model.length > maxModel) {
    row.model = row.model.slice(0, maxModel);
    changed = true;
  }
  return changed;
}

function reviveStoredRow(line: string): StoredResponseRow | null {
  let row: StoredResponseRow & { createdAt: string; expiresAt: string };
  try {
    row = JSON.parse(line) as StoredResponseRow & { createdAt: string; expiresAt: string };
  } catch {
    return null;
  }
  if (typeof row !== 'object' || row === null || typeof row.id !== 'string' || typeof row.responseJson !== 'string' || !Array.isArray(row.items)) return null;
  return { ...row, createdAt: new Date(row.createdAt), expiresAt: new Date(row.expiresAt) };
}

/**
 * Finished turns are stored behind the answer, in batches, by the same writer as request logs
 * (COPY, spill file and replay, row isolation): the client does not wait for the database.
 * Follow-ups at this process resolve from the cache of recent responses; at another replica,
 * a very recent id is waited for (recent-writes.ts). A graceful shutdown writes or spills what is
 * buffered; only a process killed without warning loses the last batch window.
 */
@Injectable()
export class StoredResponseWriter extends BatchWriterHost<StoredResponseRow> {
  protected readonly writer: BatchWriter<StoredResponseRow>;

  constructor(dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig, repo: StoredResponseRepository) {
    super();
    const table: BatchTable<StoredResponseRow> = {
      label: 'stored response',
      fileStem: 'stored-responses',
      idOf: (r) => r.id,
      repair: repairStoredRow,
      copy: async (client: PoolClient, rows) => {
        // Responses first: their items refer to them.
        await copyRows(client, COPY_RESPONSES_SQL, rows, responseCopyText);
        if (rows.some((r) => r.items.length > 0)) await copyRows(client, COPY_ITEMS_SQL, rows, itemsCopyText);
      },
      insert: (client, rows) => repo.insert(rows, (sql, params) => client.query(sql, params)),
      revive: reviveStoredRow,
      sizeOf: (r) => r.responseJson.length + r.inputItemsJson.length + r.requestJson.length,
    };
    this.writer = new BatchWriter(dataSource, table, {
      ...config.logWriter,
      dataDir: config.dataDir,
      maxBufferedChars: MAX_BUFFERED_CHARS,
    });
  }

  save(row: StoredResponseRow): void {
    this.writer.enqueue(row);
  }

  /**
   * Whether this process holds rows not yet written or spilled (with `id`, that row): a read of
   * one waits for the flush instead of missing.
   */
  holdsUnwritten(id?: string): boolean {
    return id === undefined ? this.writer.holds() : this.writer.holds((r) => r.id === id);
  }
}
