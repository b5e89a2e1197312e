import type { Json, StoredResponse } from './stored-response';

export interface CachedItem {
  response: StoredResponse;
  item: Json;
}

/**
 * A cached response keeps its JSON text, not its parsed objects: a string is one compact
 * allocation where the object graph takes several times the memory, and every stored turn
 * passes through here, so what it holds is most of what `store` adds to the heap.
 */
class Entry {
  constructor(
    readonly id: string,
    readonly keyId: string,
    readonly status: StoredResponse['status'],
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
 * One fixed shape (a class, not a rest-spread copy: those are dictionary objects), its metadata
 * inline rather than in an object of its own: every stored turn passes through here.
 */
function entryOf(r: StoredResponse, responseJson: string, inputItemsJson: string): Entry {
  const ids = itemIdsOf(r);
  return new Entry(r.id, r.keyId, r.status, r.background, r.model, r.previousResponseId, r.expiresAt, responseJson, inputItemsJson, ids.length === 1 ? ids[0] : ids,
    responseJson.length + inputItemsJson.length);
}

function idsOf(e: Entry): readonly string[] {
  return typeof e.itemIds === 'string' ? [e.itemIds] : e.itemIds;
}

/**
 * The most recent stored responses of this process, bounded by entries and by bytes (the
 * size of their serialised JSON), least recently used out first: follow-ups, which nearly
 * always name a response that just finished, resolve with no database round trip. Only
 * finished responses are cached, as they no longer change (deletion removes them here; a
 * deletion made through another replica is seen there only after eviction). Each read parses
 * its own copy, so callers may change what they get.
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  /** item id -> the id of the cached response holding it, or the ids of all that do (newest last). */
  private readonly items = new Map<string, string | string[]>();
  private bytes = 0;

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
      this.delete(id);
      return undefined;
    }
    // Re-insert: Map order is the recency order.
    this.entries.delete(id);
    this.entries.set(id, entry);
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
  set(response: StoredResponse, responseJson: string, inputItemsJson: string): void {
    const bytes = responseJson.length + inputItemsJson.length;
    if (bytes > this.maxBytes) return;
    this.delete(response.id);
    const entry = entryOf(response, responseJson, inputItemsJson);
    this.entries.set(response.id, entry);
    this.bytes += bytes;
    for (const id of idsOf(entry)) {
      const held = this.items.get(id);
      // Nearly every item is held by one response: no array for it.
      if (held === undefined) this.items.set(id, response.id);
      else if (typeof held === 'string') this.items.set(id, [held, response.id]);
      else held.push(response.id);
    }
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
    for (const itemId of idsOf(entry)) {
      const held = this.items.get(itemId);
      if (held === undefined) continue;
      const rest = typeof held === 'string' ? (held === id ? [] : [held]) : held.filter((h) => h !== id);
      if (rest.length === 0) this.items.delete(itemId);
      else this.items.set(itemId, rest.length === 1 ? rest[0] : rest);
    }
  }
}

function outputOf(r: StoredResponse): Json[] {
  const output = r.response.output;
  return Array.isArray(output) ? (output as Json[]) : [];
}

function itemIdsOf(r: StoredResponse): string[] {
  const ids: string[] = [];
  for (const item of r.inputItems) if (typeof item.id === 'string') ids.push(item.id);
  for (const item of outputOf(r)) if (typeof item.id === 'string') ids.push(item.id);
  return ids;
}

function findItem(r: StoredResponse, itemId: string): Json | undefined {
  // Output first: a referenced item is usually an earlier answer.
  return outputOf(r).find((i) => i.id === itemId) ?? r.inputItems.find((i) => i.id === itemId);
}
