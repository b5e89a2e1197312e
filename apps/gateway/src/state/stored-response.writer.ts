import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { BatchWriter, type BatchTable, BatchWriterHost } from '../storage/batch-writer';
import { type StoredResponseRow, toPgText } from './stored-response';
import { itemTuplesEnd, itemTuplesStart, responseTupleStart, StoredRowEncoder, type StoredRowText } from './stored-row-text';
import { INSERT_COLUMNS, StoredResponseRepository } from './stored-response.repository';

const COPY_RESPONSES_SQL = `COPY stored_responses (${INSERT_COLUMNS.join(',')}) FROM STDIN WITH (FORMAT binary)`;
const COPY_ITEMS_SQL = 'COPY stored_items (response_id, position, source, virtual_key_id, item_id, created_at) FROM STDIN WITH (FORMAT binary)';

// Item ids longer than this are not indexed (a B-tree entry holds at most 2704 bytes): such an item cannot be referenced.
const MAX_ITEM_ID = 1_000;
const MAX_MODEL = 1_000;
// Buffered COPY data past this (bytes) spills the oldest rows: responses can be large, unlike log rows.
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
// A batch of this much COPY data is written at once rather than at the interval: an agent's turns
// (tens of kB each) would otherwise pile up several MB per interval, held until their commit.
const BATCH_BYTES = 2 * 1024 * 1024;
// Past this much waiting COPY data (a batch being written and a whole one behind it, so the
// database never waits for rows), new stored turns wait for room at admission: an agent's turns
// at full speed outrun a database on the same two cores, and their rows would otherwise pile up
// to MAX_BUFFERED_BYTES, all of it held in memory and lost to a kill.
const HOLD_BYTES = 4 * 1024 * 1024;

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
  let row: Omit<StoredResponseRow, 'createdAt' | 'expiresAt'> & { createdAt: string; expiresAt: string };
  try {
    row = JSON.parse(line) as Omit<StoredResponseRow, 'createdAt' | 'expiresAt'> & { createdAt: string; expiresAt: string };
  } catch {
    return null;
  }
  if (typeof row !== 'object' || row === null || typeof row.id !== 'string' || typeof row.responseJson !== 'string' || !Array.isArray(row.items)) return null;
  if (![row.requestJson, row.inputItemsJson, row.responseJson, row.errorJson].every(isJsonField)) return null;
  return { ...row, createdAt: new Date(row.createdAt).getTime(), expiresAt: new Date(row.expiresAt).getTime() };
}

/**
 * Whether a spilled row's JSON field (or its absence, for the error) is JSON as its column will
 * hold it (toPgText). Its column is `text`, which takes any text, where a `json` column refused
 * what is not JSON: a line from the spill file is not the gateway's own serialisation until checked.
 */
function isJsonField(json: unknown): boolean {
  if (json === null) return true;
  if (typeof json !== 'string') return false;
  try {
    JSON.parse(toPgText(json));
    return true;
  } catch {
    return false;
  }
}

/**
 * A spilled line as its COPY rows, or null when it is not a row these can be made of (a field
 * missing or of the wrong type, a time that is not one): such a line is set aside, where one that
 * threw would fail every replay and hold back the spill behind it.
 */
export function reviveStoredText(encoder: StoredRowEncoder, line: string): StoredRowText | null {
  const row = reviveStoredRow(line);
  if (row === null) return null;
  try {
    return encoder.encode(row);
  } catch {
    return null;
  }
}

/**
 * Finished turns are stored behind the answer, in batches, by the same writer as request logs
 * (COPY, spill file and replay, row isolation): the client does not wait for the database,
 * unless it is behind by HOLD_BYTES (new stored turns then wait for room at admission).
 * Follow-ups at this process resolve from the cache of recent responses; at another replica,
 * a very recent id is waited for (recent-writes.ts). A graceful shutdown writes or spills what is
 * buffered; only a process killed without warning loses what it holds: usually the last batch
 * window, HOLD_BYTES or more while the database is behind, up to MAX_BUFFERED_BYTES if it
 * stalls (a turn waits for room at most a second) or is away.
 */
@Injectable()
export class StoredResponseWriter extends BatchWriterHost<StoredRowText> {
  protected readonly writer: BatchWriter<StoredRowText>;
  private readonly encoder = new StoredRowEncoder();

  constructor(dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig, repo: StoredResponseRepository) {
    super();
    const table: BatchTable<StoredRowText> = {
      label: 'stored response',
      fileStem: 'stored-responses',
      idOf: (r) => r.id,
      cutShort: (r, limit) => {
        const row = r.row();
        repairStoredRow(row, limit);
        return this.encoder.encode(row);
      },
      copy: async (client: PoolClient, rows) => {
        // Responses, then their items, in the same transaction (in no required order: stored_items has no foreign key).
        await this.encoder.copy(client, COPY_RESPONSES_SQL, rows, responseTupleStart, itemTuplesStart);
        if (rows.some((r) => r.hasItems)) await this.encoder.copy(client, COPY_ITEMS_SQL, rows, itemTuplesStart, itemTuplesEnd);
      },
      binaryCopy: true,
      insert: (client, rows) => repo.insert(rows.map((r) => r.row()), (sql, params) => client.query(sql, params)),
      revive: (line) => reviveStoredText(this.encoder, line),
      sizeOf: (r) => r.bytes,
      release: (rows) => this.encoder.release(rows),
    };
    this.writer = new BatchWriter(dataSource, table, {
      ...config.logWriter,
      dataDir: config.dataDir,
      maxBufferedSize: MAX_BUFFERED_BYTES,
      batchBytes: BATCH_BYTES,
      holdSize: HOLD_BYTES,
    });
  }

  /**
   * Made to fit its columns, then kept as its binary COPY rows until written (stored-row-text.ts).
   * `responseBytes`: its responseJson in UTF-8, when that is its own column value (StoredRowEncoder.encode).
   */
  save(row: StoredResponseRow, responseBytes?: Buffer): void {
    const repaired = repairStoredRow(row);
    this.writer.enqueue(this.encoder.encode(row, responseBytes), repaired);
  }

  /**
   * Whether this process holds rows not yet written or spilled (with `id`, that row): a read of
   * one waits for the flush instead of missing.
   */
  holdsUnwritten(id?: string): boolean {
    return id === undefined ? this.writer.holds() : this.writer.holds((r) => r.id === id);
  }
}
