import { Injectable } from '@nestjs/common';
import { queryRows } from '@app/database';
import { DataSource } from 'typeorm';
import { type Json, mintedPlace, type StoredItem, type StoredResponse, type StoredResponseRow, type StoredStatus, toJsonb, toPgText, UNFINISHED } from './stored-response';

interface ResponseRecord {
  id: string;
  virtual_key_id: string;
  status: StoredStatus;
  background: boolean;
  model: string;
  previous_response_id: string | null;
  /** JSON text. */
  input_items: string;
  response: string;
  error: string | null;
  expires_at: Date;
}

/*
 * A turn's JSON is in its `text` column (*_json), or in its `json` column in rows written before
 * migration 1765600000000 or by a replica of the previous version since. The gateway inserts into
 * the `text` columns, and updates a row in the kind of column its response is in (setJson). A
 * row with both took its `json` one from the previous version last: that one is the newer.
 */

/** A JSON column of the stored response `r` (or of the row, for r = '') as text. */
const jsonText = (column: 'input_items' | 'response' | 'error', r = ''): string => `coalesce(${r}${column}::text, ${r}${column}_json)`;

/**
 * A JSON column as `json` for an operator. A `text` value is cast, which parses it once more than
 * a `json` column's read: only item lookups and background updates look inside a stored turn.
 */
const jsonValue = (column: 'input_items' | 'response', r = ''): string => `coalesce(${r}${column}, ${r}${column}_json::json)`;

/** The item of the stored response `r` at the place (source, position) of a stored_items row or of a minted id. */
function itemAt(place: 'i' | 'place'): string {
  return `CASE WHEN ${place}.source = 'input' THEN ${jsonValue('input_items', 'r.')} -> ${place}.position ELSE ${jsonValue('response', 'r.')} -> 'output' -> ${place}.position END`;
}

/** Every item that has a stored_items row under one of the ids (each copy: the outer query keeps the newest). */
const ITEMS_WITH_ROWS = `SELECT i.item_id, i.created_at, ${itemAt('i')} AS item
  FROM stored_items i JOIN stored_responses r ON r.id = i.response_id
  WHERE i.virtual_key_id = $1 AND i.item_id = ANY($2) AND r.expires_at > now()`;

const FIND_ITEMS_SQL = `SELECT DISTINCT ON (item_id) item_id, item FROM (${ITEMS_WITH_ROWS}) found ORDER BY item_id, created_at DESC`;

/**
 * FIND_ITEMS_SQL, and the items at the places minted ids name. OFFSET 0 keeps `at_place` a
 * subquery of its own: merged into the outer query, its item (taken out of the whole stored JSON,
 * parsed on every read, from a `json` column or a `text` one cast) would be read once for the
 * WHERE and again for the SELECT.
 */
const FIND_ITEMS_OR_MINTED_SQL = `SELECT DISTINCT ON (item_id) item_id, item FROM (
    ${ITEMS_WITH_ROWS}
    UNION ALL
    SELECT item_id, created_at, item FROM (
      SELECT place.item_id, r.created_at, ${itemAt('place')} AS item
      FROM unnest($3::text[], $4::text[], $5::text[], $6::int[]) AS place(item_id, response_id, source, position)
      JOIN stored_responses r ON r.id = place.response_id
      WHERE r.virtual_key_id = $1 AND r.expires_at > now()
      OFFSET 0
    ) at_place WHERE item ->> 'id' = item_id
  ) found
  ORDER BY item_id, created_at DESC`;

/** What a read answers of a stored response `r` (or of the row, for r = ''), each turn's JSON as text. */
const responseColumns = (r = ''): string =>
  `${r}id, ${r}virtual_key_id, ${r}status, ${r}background, ${r}model, ${r}previous_response_id, `
  + `coalesce(${jsonText('input_items', r)}, '[]') AS input_items, ${jsonText('response', r)} AS response, ${jsonText('error', r)} AS error, ${r}expires_at`;

const FIND_ONE_SQL = `SELECT ${responseColumns()} FROM stored_responses WHERE id = $1 AND virtual_key_id = $2 AND expires_at > now()`;

const FIND_CHAIN_SQL = `WITH RECURSIVE chain AS (
    SELECT ${responseColumns()}, 0 AS depth FROM stored_responses WHERE id = $1 AND virtual_key_id = $2 AND expires_at > now()
    UNION ALL
    SELECT ${responseColumns('r.')}, c.depth + 1
    FROM stored_responses r JOIN chain c ON r.id = c.previous_response_id
    WHERE r.virtual_key_id = $2 AND r.expires_at > now()
  )
  SELECT id, virtual_key_id, status, background, model, previous_response_id, input_items, response, error, expires_at FROM chain ORDER BY depth`;

// The `json` columns are left NULL.
export const INSERT_COLUMNS = [
  'id', 'virtual_key_id', 'created_at', 'expires_at', 'status', 'background', 'model', 'previous_response_id',
  'request_json', 'input_items_json', 'response_json', 'error_json', 'heartbeat_at',
] as const;

/**
 * An update's SET of the response or the error to `value` (an expression of the row as it was,
 * json, jsonb or text), in the kind of column the row's response is in, the other set to NULL: a
 * row the previous version wrote stays in the `json` columns, the only ones its replicas read
 * while a rolling deploy runs both versions.
 */
const setJson = (column: 'response' | 'error', value: string): string =>
  `${column} = CASE WHEN response IS NOT NULL THEN (${value})::json END, ${column}_json = CASE WHEN response IS NULL THEN (${value})::text END`;

/** The stored response merged with `patch` (a jsonb expression). */
const mergeResponse = (patch: string): string => setJson('response', `coalesce(response::jsonb, response_json::jsonb) || ${patch}`);

function toStored(r: ResponseRecord): StoredResponse {
  return {
    id: r.id,
    keyId: r.virtual_key_id,
    status: r.status,
    background: r.background,
    model: r.model,
    previousResponseId: r.previous_response_id,
    inputItems: JSON.parse(r.input_items) as Json[],
    response: endedResponse(r, JSON.parse(r.response) as Json),
    expiresAt: r.expires_at.getTime(),
  };
}

/**
 * The stored Response, with the status (and the error, if any) of a row whose status column ended
 * it while the Response still says it is unfinished: a replica of the previous version cancelling
 * or failing as stale a row this version wrote merges them into the `json` response, NULL there,
 * and only the status and error columns take them.
 */
function endedResponse(r: ResponseRecord, response: Json): Json {
  if (UNFINISHED.has(r.status) || !UNFINISHED.has(response.status as StoredStatus)) return response;
  return r.error === null ? { ...response, status: r.status } : { ...response, status: r.status, error: JSON.parse(r.error) as Json };
}

/** The SQL of stored responses; every read is scoped to the owning key and to unexpired rows. */
@Injectable()
export class StoredResponseRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Rows and their item locations in one statement (one round trip, one commit): the group
   * commit writer's batch, and the batch writer's when COPY found rows already there. A retried
   * batch whose first try did commit inserts nothing twice. `query`: on the caller's connection.
   */
  async insert(rows: StoredResponseRow[], query: (sql: string, params: unknown[]) => Promise<unknown> = (sql, params) => this.db.query(sql, params)): Promise<void> {
    const params: unknown[] = [];
    const tuples: string[] = [];
    const itemCols: [string[], number[], string[], string[], string[], Date[]] = [[], [], [], [], [], []];
    for (const r of rows) {
      const base = params.length;
      const createdAt = new Date(r.createdAt);
      params.push(
        r.id, r.keyId, createdAt, new Date(r.expiresAt), r.status, r.background, toPgText(r.model), r.previousResponseId,
        toJsonb(r.requestJson), toJsonb(r.inputItemsJson), toJsonb(r.responseJson), toJsonb(r.errorJson),
        r.status === 'queued' || r.status === 'in_progress' ? createdAt : null,
      );
      tuples.push(`(${INSERT_COLUMNS.map((_, i) => `$${base + i + 1}`).join(',')})`);
      for (const it of r.items) {
        itemCols[0].push(r.id);
        itemCols[1].push(it.position);
        itemCols[2].push(it.source);
        itemCols[3].push(r.keyId);
        itemCols[4].push(toPgText(it.itemId));
        itemCols[5].push(createdAt);
      }
    }
    const n = params.length;
    params.push(...itemCols);
    await query(
      `WITH responses AS (
         INSERT INTO stored_responses (${INSERT_COLUMNS.join(',')}) VALUES ${tuples.join(',')} ON CONFLICT (id) DO NOTHING
       )
       INSERT INTO stored_items (response_id, position, source, virtual_key_id, item_id, created_at)
       SELECT * FROM unnest($${n + 1}::text[], $${n + 2}::int[], $${n + 3}::text[], $${n + 4}::uuid[], $${n + 5}::text[], $${n + 6}::timestamptz[])
       ON CONFLICT DO NOTHING`,
      params,
    );
  }

  async findOne(keyId: string, id: string): Promise<StoredResponse | null> {
    const rows: ResponseRecord[] = await this.db.query(FIND_ONE_SQL, [id, keyId]);
    return rows.length === 0 ? null : toStored(rows[0]);
  }

  /** The response and its ancestors through previous_response_id, newest first, in one query. */
  async findChain(keyId: string, id: string): Promise<StoredResponse[]> {
    const rows: ResponseRecord[] = await this.db.query(FIND_CHAIN_SQL, [id, keyId]);
    return rows.map(toStored);
  }

  /**
   * item id -> the newest stored item with that id among the key's unexpired responses: the
   * items with rows, and those at the place their minted id names (mintedPlace), which have none.
   */
  async findItems(keyId: string, itemIds: string[]): Promise<Map<string, Json>> {
    const mintedIds: string[] = [];
    const responseIds: string[] = [];
    const sources: string[] = [];
    const positions: number[] = [];
    for (const itemId of itemIds) {
      const place = mintedPlace(itemId);
      if (place === null) continue;
      mintedIds.push(itemId);
      responseIds.push(place.responseId);
      sources.push(place.source);
      positions.push(place.position);
    }
    const rows: { item_id: string; item: Json | null }[] = mintedIds.length === 0
      ? await this.db.query(FIND_ITEMS_SQL, [keyId, itemIds])
      : await this.db.query(FIND_ITEMS_OR_MINTED_SQL, [keyId, itemIds, mintedIds, responseIds, sources, positions]);
    const out = new Map<string, Json>();
    for (const r of rows) if (r.item !== null) out.set(r.item_id, r.item);
    return out;
  }

  /**
   * Two statements in one transaction, not one: a background response finishing meanwhile holds
   * the row and inserts its output items; the DELETE waits for it, and only a statement begun
   * after that (a new snapshot under READ COMMITTED) sees those items.
   */
  async delete(keyId: string, id: string): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const result: unknown = await m.query(`DELETE FROM stored_responses WHERE id = $1 AND virtual_key_id = $2 AND expires_at > now() RETURNING id`, [id, keyId]);
      if (queryRows(result).length === 0) return false;
      await m.query(`DELETE FROM stored_items WHERE response_id = $1`, [id]);
      return true;
    });
  }

  async markInProgress(id: string): Promise<void> {
    await this.db.query(
      `UPDATE stored_responses SET status = 'in_progress', ${mergeResponse(`'{"status":"in_progress"}'::jsonb`)}, updated_at = now(), heartbeat_at = now()
       WHERE id = $1 AND status = 'queued'`,
      [id],
    );
  }

  /**
   * A background response's outcome, unless it was cancelled (or swept) meanwhile; its output
   * items become referenceable (`outputItems`: those needing a row, storedItemsOf its output).
   * Returns whether the row took it.
   */
  async finish(id: string, keyId: string, status: StoredStatus, responseJson: string, error: Json | null, outputItems: StoredItem[]): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const updated: unknown = await m.query(
        `UPDATE stored_responses SET status = $2, ${setJson('response', '$3::text')}, ${setJson('error', '$4::text')}, updated_at = now(), heartbeat_at = NULL
         WHERE id = $1 AND status IN ('queued','in_progress') RETURNING created_at`,
        [id, status, toJsonb(responseJson), error === null ? null : toJsonb(JSON.stringify(error))],
      );
      const rows = queryRows<{ created_at: Date }>(updated);
      if (rows.length === 0) return false;
      if (outputItems.length > 0) {
        await m.query(
          `INSERT INTO stored_items (response_id, position, source, virtual_key_id, item_id, created_at)
           SELECT $1, position, 'output', $2, item_id, $5 FROM unnest($3::int[], $4::text[]) AS t(position, item_id)
           ON CONFLICT DO NOTHING`,
          [id, keyId, outputItems.map((i) => i.position), outputItems.map((i) => toPgText(i.itemId)), rows[0].created_at],
        );
      }
      return true;
    });
  }

  /** Sets an unfinished response's terminal status with its error; null when it was not unfinished. */
  async endUnfinished(id: string, keyId: string | null, status: 'cancelled' | 'failed', error: Json | null): Promise<Json | null> {
    const rows: unknown = await this.db.query(
      `UPDATE stored_responses
       SET status = $2, ${setJson('error', '$3::text')}, ${mergeResponse(`jsonb_build_object('status', $2::text, 'error', $3::jsonb)`)},
           updated_at = now(), heartbeat_at = NULL
       WHERE id = $1 AND ($4::uuid IS NULL OR virtual_key_id = $4) AND status IN ('queued','in_progress')
       RETURNING ${jsonText('response')} AS response`,
      [id, status, error === null ? null : toJsonb(JSON.stringify(error)), keyId],
    );
    const returned = queryRows<{ response: string }>(rows);
    return returned.length === 0 ? null : (JSON.parse(returned[0].response) as Json);
  }

  async heartbeat(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`UPDATE stored_responses SET heartbeat_at = now() WHERE id = ANY($1) AND status IN ('queued','in_progress')`, [ids]);
  }

  /** Unfinished responses whose process stopped beating: failed with the given error. */
  async failStale(staleMs: number, error: Json): Promise<number> {
    const rows: unknown = await this.db.query(
      `UPDATE stored_responses
       SET status = 'failed', ${setJson('error', '$2::text')}, ${mergeResponse(`jsonb_build_object('status', 'failed', 'error', $2::jsonb)`)},
           updated_at = now(), heartbeat_at = NULL
       WHERE status IN ('queued','in_progress') AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1::double precision / 1000))
       RETURNING id`,
      [staleMs, JSON.stringify(error)],
    );
    return queryRows(rows).length;
  }

  /** Deletes up to `limit` expired responses (their items go with them); returns how many. */
  async purgeExpired(limit: number): Promise<number> {
    const rows: unknown = await this.db.query(
      // One statement is enough here: a row a finishing response holds is skipped, not waited for.
      `WITH gone AS (
         DELETE FROM stored_responses WHERE id IN (
           SELECT id FROM stored_responses WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
         ) RETURNING id
       ), items AS (DELETE FROM stored_items WHERE response_id IN (SELECT id FROM gone))
       SELECT id FROM gone`,
      [limit],
    );
    return queryRows(rows).length;
  }
}
