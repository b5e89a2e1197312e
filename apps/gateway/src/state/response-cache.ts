import type { Json, StoredResponse } from './stored-response';

export interface CachedItem {
  response: StoredResponse;
  item: Json;
}

interface Entry {
  response: StoredResponse;
  bytes: number;
}

/**
 * The most recent stored responses of this process, bounded by entries and by bytes (the
 * size of their serialised JSON), least recently used out first: follow-ups, which nearly
 * always name a response that just finished, resolve with no database round trip. Only
 * finished responses are cached, as they no longer change (deletion removes them here; a
 * deletion made through another replica is seen there only after eviction).
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  /** item id -> the ids of cached responses holding it, newest last. */
  private readonly items = new Map<string, string[]>();
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
    if (entry.response.expiresAt <= now) {
      this.delete(id);
      return undefined;
    }
    // Re-insert: Map order is the recency order.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.response;
  }

  /** The newest cached item with this id stored by this key. */
  getItem(keyId: string, itemId: string, now = Date.now()): CachedItem | undefined {
    const holders = this.items.get(itemId);
    if (holders === undefined) return undefined;
    for (let i = holders.length - 1; i >= 0; i--) {
      const r = this.get(holders[i], now);
      if (r === undefined || r.keyId !== keyId) continue;
      const item = findItem(r, itemId);
      if (item !== undefined) return { response: r, item };
    }
    return undefined;
  }

  set(response: StoredResponse, bytes: number): void {
    if (bytes > this.maxBytes) return;
    this.delete(response.id);
    this.entries.set(response.id, { response, bytes });
    this.bytes += bytes;
    for (const id of itemIds(response)) {
      const holders = this.items.get(id);
      if (holders === undefined) this.items.set(id, [response.id]);
      else holders.push(response.id);
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
    for (const itemId of itemIds(entry.response)) {
      const holders = this.items.get(itemId);
      if (holders === undefined) continue;
      const rest = holders.filter((h) => h !== id);
      if (rest.length === 0) this.items.delete(itemId);
      else this.items.set(itemId, rest);
    }
  }
}

function outputOf(r: StoredResponse): Json[] {
  const output = r.response.output;
  return Array.isArray(output) ? (output as Json[]) : [];
}

function* itemIds(r: StoredResponse): Iterable<string> {
  for (const item of r.inputItems) if (typeof item.id === 'string') yield item.id;
  for (const item of outputOf(r)) if (typeof item.id === 'string') yield item.id;
}

function findItem(r: StoredResponse, itemId: string): Json | undefined {
  // Output first: a referenced item is usually an earlier answer.
  return outputOf(r).find((i) => i.id === itemId) ?? r.inputItems.find((i) => i.id === itemId);
}
