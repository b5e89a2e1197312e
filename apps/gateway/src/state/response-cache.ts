import type { Json, StoredResponse, StoredStatus } from './stored-response';

export interface CachedItem {
  response: StoredResponse;
  item: Json;
}

/**
 * A cached response keeps its JSON text, not its parsed objects: a string is one compact
 * allocation where the object graph takes several times the memory, and every stored turn
 * passes through here, so what it holds is most of what `store` adds to the heap. One fixed
 * shape (a class, not a rest-spread copy: those are dictionary objects), its metadata inline
 * rather than in an object of its own.
 */
class Entry {
  /** Its neighbours in recency order (null at either end). */
  older: Entry | null = null;
  newer: Entry | null = null;

  constructor(
    readonly id: string,
    readonly keyId: string,
    readonly status: StoredStatus,
    readonly background: boolean,
    readonly model: string,
    readonly previousResponseId: string | null,
    readonly expiresAt: number,
    readonly responseJson: string,
    readonly inputItemsJson: string,
    /** Ids of its items; one id is kept as itself, not as an array of one. */
    readonly itemIds: string | string[],
    readonly bytes: number,
  ) {}
}

/**
 * The most recent stored responses of this process, bounded by entries and by bytes (the
 * size of their serialised JSON), least recently used out first: follow-ups, which nearly
 * always name a response that just finished, resolve with no database round trip. Only
 * finished responses are cached, as they no longer change (deletion removes them here; a
 * deletion made through another replica is seen there only after eviction). Each read parses
 * its own copy, so callers may change what they get.
 *
 * Recency is a linked list through the entries, not the Map's insertion order: a Map keeps a
 * deleted key's slot until it is rehashed, and finding its first live key walks over every
 * such slot, so evicting the oldest through `keys().next()` cost a walk over up to a table's
 * worth of holes on every insert.
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  /** item id -> the id of the cached response holding it, or the ids of all that do (newest last). */
  private readonly items = new Map<string, string | string[]>();
  private bytes = 0;
  private oldest: Entry | null = null;
  private newest: Entry | null = null;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get(id: string, now = Date.now()): StoredResponse | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.remove(entry);
      return undefined;
    }
    this.unlink(entry);
    this.link(entry);
    return {
      id: entry.id,
      keyId: entry.keyId,
      status: entry.status,
      background: entry.background,
      model: entry.model,
      previousResponseId: entry.previousResponseId,
      expiresAt: entry.expiresAt,
      inputItems: JSON.parse(entry.inputItemsJson) as Json[],
      response: JSON.parse(entry.responseJson) as Json,
    };
  }

  /** The newest cached item with this id stored by this key. */
  getItem(keyId: string, itemId: string, now = Date.now()): CachedItem | undefined {
    const held = this.items.get(itemId);
    if (held === undefined) return undefined;
    const holders = typeof held === 'string' ? [held] : held;
    for (let i = holders.length - 1; i >= 0; i--) {
      const entry = this.entries.get(holders[i]);
      if (entry === undefined || entry.keyId !== keyId) continue;
      const r = this.get(holders[i], now);
      if (r === undefined) continue;
      const item = findItem(r, itemId);
      if (item !== undefined) return { response: r, item };
    }
    return undefined;
  }

  /** Caches a finished response with the JSON text of its Response object and of its input items. */
  set(r: StoredResponse, responseJson: string, inputItemsJson: string): void {
    this.add(r.id, r.keyId, r.status, r.background, r.model, r.previousResponseId, r.expiresAt, responseJson, inputItemsJson, itemIdsOf(r.inputItems, r.response));
  }

  /**
   * `set` from the fields themselves, for a caller that has listed the item ids already (one
   * id as a string): no StoredResponse made only to be taken apart here.
   */
  add(
    id: string, keyId: string, status: StoredStatus, background: boolean, model: string, previousResponseId: string | null, expiresAt: number,
    responseJson: string, inputItemsJson: string, itemIds: string | string[],
  ): void {
    const bytes = responseJson.length + inputItemsJson.length;
    if (bytes > this.maxBytes) return;
    const old = this.entries.get(id);
    if (old !== undefined) this.remove(old);
    const entry = new Entry(id, keyId, status, background, model, previousResponseId, expiresAt, responseJson, inputItemsJson, itemIds, bytes);
    this.entries.set(id, entry);
    this.link(entry);
    this.bytes += bytes;
    if (typeof itemIds === 'string') this.hold(itemIds, id);
    else for (let i = 0; i < itemIds.length; i++) this.hold(itemIds[i], id);
    while (this.oldest !== null && (this.entries.size > this.maxEntries || this.bytes > this.maxBytes)) this.remove(this.oldest);
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) this.remove(entry);
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.id);
    this.unlink(entry);
    this.bytes -= entry.bytes;
    const ids = entry.itemIds;
    if (typeof ids === 'string') this.release(ids, entry.id);
    else for (let i = 0; i < ids.length; i++) this.release(ids[i], entry.id);
  }

  /** Nearly every item is held by one response: no array for it. */
  private hold(itemId: string, id: string): void {
    const held = this.items.get(itemId);
    if (held === undefined) this.items.set(itemId, id);
    else if (typeof held === 'string') this.items.set(itemId, [held, id]);
    else held.push(id);
  }

  private release(itemId: string, id: string): void {
    const held = this.items.get(itemId);
    if (held === undefined) return;
    if (typeof held === 'string') {
      if (held === id) this.items.delete(itemId);
      return;
    }
    const rest = held.filter((h) => h !== id);
    if (rest.length === 0) this.items.delete(itemId);
    else this.items.set(itemId, rest.length === 1 ? rest[0] : rest);
  }

  /** Makes the entry the newest. */
  private link(entry: Entry): void {
    entry.older = this.newest;
    entry.newer = null;
    if (this.newest !== null) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  private unlink(entry: Entry): void {
    if (entry.older !== null) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer !== null) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.older = null;
    entry.newer = null;
  }
}

function outputOf(response: Json): Json[] {
  const output = response.output;
  return Array.isArray(output) ? (output as Json[]) : [];
}

function itemIdsOf(inputItems: readonly Json[], response: Json): string | string[] {
  const ids: string[] = [];
  for (const item of inputItems) if (typeof item.id === 'string') ids.push(item.id);
  for (const item of outputOf(response)) if (typeof item.id === 'string') ids.push(item.id);
  return ids.length === 1 ? ids[0] : ids;
}

function findItem(r: StoredResponse, itemId: string): Json | undefined {
  // Output first: a referenced item is usually an earlier answer.
  return outputOf(r.response).find((i) => i.id === itemId) ?? r.inputItems.find((i) => i.id === itemId);
}
