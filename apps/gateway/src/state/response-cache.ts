import { plainJsonString } from '@app/providers/responses/json-text';
import { capacityFor, SpareBuffers } from '../storage/spare-buffers';
import { isJson, type Json, mintedPlace, mintingStemOf, outputOf, type StoredItem, storedItemsOf, type StoredResponse, type StoredStatus } from './stored-response';

// Ids the item index is built from at once, at most (a few milliseconds' work).
const MAX_UNINDEXED_ITEMS = 10_000;
// Buffers of evicted entries kept for the next ones, at most.
const MAX_SPARE_BUFFERS = 64;

export interface CachedItem {
  response: StoredResponse;
  item: Json;
}

/**
 * A cached response keeps its JSON text, not its parsed objects, and that text as UTF-8 bytes in
 * a Buffer of its own: every stored turn passes through here and stays long enough to reach the
 * old space, where strings cost every full collection their marking and moving; the bytes are
 * outside the V8 heap and decoded only on a read. The Buffer is the text's size rounded up by at
 * most a quarter (capacityFor) and shared with nothing (a slice of a shared slab would keep the
 * whole slab); a removed entry's Buffer is kept for the next entries (SpareBuffers). The byte
 * bound counts the entries' whole Buffers and the spare ones: it bounds the memory the cache
 * holds, besides these small objects. Its items' ids are kept there too: only the item index
 * reads them. JSON text holds no lone surrogate (JSON.stringify escapes them; text decoded from
 * UTF-8 has none), so it comes back from UTF-8 unchanged. One fixed
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
    /**
     * The Response's JSON, then its input items' JSON from `inputItemsStart` on, then its items'
     * ids as a JSON array from `itemIdsStart` to `end` (nothing for no items); then unused room.
     */
    readonly text: Buffer,
    readonly inputItemsStart: number,
    readonly itemIdsStart: number,
    readonly end: number,
    readonly itemCount: number,
  ) {}

  get bytes(): number {
    return this.text.length;
  }

  /** Read only for the item index, which most clients never need. */
  itemIds(): string[] {
    return this.itemCount === 0 ? [] : (JSON.parse(this.text.toString('utf8', this.itemIdsStart, this.end)) as string[]);
  }
}

/** ResponseCache.add's flags, each false when not given. */
export interface CacheAddOptions {
  /** Return `responseJson`'s UTF-8 as the entry holds it. */
  wantBytes?: boolean;
  /** `responseJson` is known to be ASCII. */
  responseAscii?: boolean;
  /** `inputItemsJson` is known to be ASCII. */
  inputAscii?: boolean;
}

/**
 * The most recent stored responses of this process, bounded by entries and by bytes (every
 * entry's whole buffer, its JSON and item ids in UTF-8 rounded up by at most a quarter, and the
 * spare buffers), least recently used out first: follow-ups, which nearly always name a
 * response that just finished, resolve with no database round trip. Only
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
  /** In the order they were added (a Map iterates in insertion order). */
  private readonly entries = new Map<string, Entry>();
  /**
   * item id -> the entry holding it, or all that do (newest last). Most clients never reference an
   * item by its id, and for them a turn should cost one Map entry, not one more per item added and
   * another lookup per item evicted: the index is built at the first item lookup, kept up to date
   * from then on, and dropped again after `maxEntries` additions without one. Building it must
   * never stall the process for long: it is also built once the entries hold more than
   * `maxUnindexedItems` ids, and dropped only when they hold at most half as many (not at every
   * crossing of one bound).
   */
  private items: Map<string, Entry | Entry[]> | null = null;
  private addedSinceItemLookup = 0;
  /** Item ids of all entries (repeats counted). */
  private itemCount = 0;
  /** The entries' buffers (their whole capacity). */
  private bytes = 0;
  /** Buffers of entries removed, for new ones: counted in the byte bound with the entries'. */
  private readonly spares = new SpareBuffers(MAX_SPARE_BUFFERS);
  private oldest: Entry | null = null;
  private newest: Entry | null = null;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
    private readonly maxUnindexedItems = MAX_UNINDEXED_ITEMS,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Bytes of the entries' buffers. */
  get totalBytes(): number {
    return this.bytes;
  }

  /** Bytes of the buffers kept for new entries (within the byte bound with totalBytes). */
  get spareBytes(): number {
    return this.spares.bytes;
  }

  get(id: string, now = Date.now()): StoredResponse | undefined {
    const entry = this.entries.get(id);
    return entry === undefined ? undefined : this.read(entry, now);
  }

  /**
   * The newest cached item with this id stored by this key: copies in later turns' input (the
   * index holds them) before the item at the place its minted id names (mintedPlace), in the
   * response that minted it; only there, as the database reads it (findItems).
   */
  getItem(keyId: string, itemId: string, now = Date.now()): CachedItem | undefined {
    this.addedSinceItemLookup = 0;
    const held = this.itemIndex().get(itemId);
    if (Array.isArray(held)) {
      for (let i = held.length - 1; i >= 0; i--) {
        const found = this.itemOf(held[i], keyId, itemId, now);
        if (found !== undefined) return found;
      }
    } else if (held !== undefined) {
      const found = this.itemOf(held, keyId, itemId, now);
      if (found !== undefined) return found;
    }
    return this.mintedItem(keyId, itemId, now);
  }

  private itemOf(entry: Entry, keyId: string, itemId: string, now: number): CachedItem | undefined {
    if (entry.keyId !== keyId) return undefined;
    const r = this.read(entry, now);
    if (r === undefined) return undefined;
    const item = findItem(r, itemId);
    return item === undefined ? undefined : { response: r, item };
  }

  /** The item at the place its minted id names, if it still carries the id (mintedPlace). */
  private mintedItem(keyId: string, itemId: string, now: number): CachedItem | undefined {
    const place = mintedPlace(itemId);
    const entry = place === null ? undefined : this.entries.get(place.responseId);
    if (place === null || entry === undefined || entry.keyId !== keyId) return undefined;
    const r = this.read(entry, now);
    if (r === undefined) return undefined;
    // The output array itself, not outputOf: its position, like `response -> 'output' -> n` in SQL.
    const output = r.response.output;
    const item: unknown = place.source === 'input' ? r.inputItems[place.position] : Array.isArray(output) ? output[place.position] : undefined;
    return isJson(item) && item.id === itemId ? { response: r, item } : undefined;
  }

  /** Caches a finished response with the JSON text of its Response object and of its input items. */
  set(r: StoredResponse, responseJson: string, inputItemsJson: string): void {
    this.add(r.id, r.keyId, r.status, r.background, r.model, r.previousResponseId, r.expiresAt, responseJson, inputItemsJson, storedItemsOf(mintingStemOf(r.id), r.inputItems, r.response));
  }

  /**
   * `set` from the fields themselves, for a caller that has listed the items already (the stored
   * row's list): no StoredResponse made only to be taken apart here. With `wantBytes`, returns
   * `responseJson` in UTF-8 as the entry holds it, for the caller to copy at once (a view of the
   * entry's buffer, which holds another entry's text once this one is removed); undefined when not
   * wanted (no view made for nothing) or not cached. The flags: CacheAddOptions (a text known
   * to be ASCII has a UTF-8 as long as it, not counted again character by character).
   */
  add(
    id: string, keyId: string, status: StoredStatus, background: boolean, model: string, previousResponseId: string | null, expiresAt: number,
    responseJson: string, inputItemsJson: string, items: readonly StoredItem[], { wantBytes = false, responseAscii = false, inputAscii = false }: CacheAddOptions = {},
  ): Buffer | undefined {
    const plainIds = plainIdsJson(items);
    const itemIdsJson = plainIds ?? JSON.stringify(items.map((i) => i.itemId));
    const inputItemsStart = responseAscii ? responseJson.length : Buffer.byteLength(responseJson);
    const itemIdsStart = inputItemsStart + (inputAscii ? inputItemsJson.length : Buffer.byteLength(inputItemsJson));
    const end = itemIdsStart + (plainIds !== undefined ? plainIds.length : Buffer.byteLength(itemIdsJson));
    const capacity = capacityFor(end);
    // Never a stale version left behind, even when this one is not cached.
    const old = this.entries.get(id);
    if (old !== undefined) this.remove(old);
    // Over a quarter of the bound, an entry would evict most others: its follow-up reads the database.
    if (capacity > this.maxBytes / 4) return undefined;
    // Room first: a buffer an evicted entry leaves is what this one can reuse.
    while (this.oldest !== null && (this.entries.size >= this.maxEntries || this.bytes + capacity > this.maxBytes)) this.remove(this.oldest);
    const text = this.spares.take(capacity);
    // Latin-1 writes an ASCII string's bytes as they are, with no UTF-8 encoding to do; a text as
    // long as its UTF-8 is ASCII (every other character takes two bytes or more), known so or not.
    text.write(responseJson, 0, inputItemsStart === responseJson.length ? 'latin1' : 'utf8');
    text.write(inputItemsJson, inputItemsStart, itemIdsStart - inputItemsStart === inputItemsJson.length ? 'latin1' : 'utf8');
    text.write(itemIdsJson, itemIdsStart, plainIds !== undefined ? 'latin1' : 'utf8');
    const entry = new Entry(id, keyId, status, background, model, previousResponseId, expiresAt, text, inputItemsStart, itemIdsStart, end, items.length);
    this.entries.set(id, entry);
    this.link(entry);
    this.bytes += capacity;
    this.spares.trim(this.maxBytes - this.bytes);
    this.itemCount += entry.itemCount;
    if (this.items === null) {
      if (this.itemCount > this.maxUnindexedItems) this.itemIndex();
    } else if (++this.addedSinceItemLookup > this.maxEntries && this.itemCount <= this.maxUnindexedItems / 2) this.items = null;
    else this.hold(this.items, entry);
    return wantBytes ? text.subarray(0, inputItemsStart) : undefined;
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) this.remove(entry);
  }

  /** The entry as a StoredResponse (unless it expired: then it is removed), now the most recently used. */
  private read(entry: Entry, now: number): StoredResponse | undefined {
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
      inputItems: JSON.parse(entry.text.toString('utf8', entry.inputItemsStart, entry.itemIdsStart)) as Json[],
      response: JSON.parse(entry.text.toString('utf8', 0, entry.inputItemsStart)) as Json,
    };
  }

  /**
   * Once per entry: an entry holding one item id twice is listed twice among its holders, and
   * getItem may meet it expired twice; its buffer must go to the spares only once.
   */
  private remove(entry: Entry): void {
    if (this.entries.get(entry.id) !== entry) return;
    this.entries.delete(entry.id);
    this.unlink(entry);
    this.bytes -= entry.bytes;
    this.itemCount -= entry.itemCount;
    if (this.items !== null) this.release(this.items, entry);
    // Nothing reads a removed entry: its buffer may hold the next one's text.
    this.spares.put(entry.text);
  }

  /** The item index, built from the entries (oldest first, as `hold` would have) when there is none. */
  private itemIndex(): Map<string, Entry | Entry[]> {
    if (this.items === null) {
      this.items = new Map();
      for (const entry of this.entries.values()) this.hold(this.items, entry);
    }
    return this.items;
  }

  /** Nearly every item is held by one response: no array for it. */
  private hold(index: Map<string, Entry | Entry[]>, entry: Entry): void {
    for (const itemId of entry.itemIds()) {
      const held = index.get(itemId);
      if (held === undefined) index.set(itemId, entry);
      else if (Array.isArray(held)) held.push(entry);
      else index.set(itemId, [held, entry]);
    }
  }

  private release(index: Map<string, Entry | Entry[]>, entry: Entry): void {
    for (const itemId of entry.itemIds()) {
      const held = index.get(itemId);
      if (held === entry) index.delete(itemId);
      else if (Array.isArray(held)) {
        const rest = held.filter((h) => h !== entry);
        if (rest.length === 0) index.delete(itemId);
        else index.set(itemId, rest.length === 1 ? rest[0] : rest);
      }
    }
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

/**
 * JSON.stringify of the items' ids, as an array ('' for none), when every id is plain ASCII (as
 * the gateway's and OpenAI's are; plainJsonString): its UTF-8 as long as it. Undefined otherwise.
 */
function plainIdsJson(items: readonly StoredItem[]): string | undefined {
  if (items.length === 0) return '';
  let json = '';
  for (let i = 0; i < items.length; i++) {
    const id = plainJsonString(items[i].itemId);
    if (id === undefined) return undefined;
    json += (i === 0 ? '[' : ',') + id;
  }
  return json + ']';
}

function findItem(r: StoredResponse, itemId: string): Json | undefined {
  // Output first: a referenced item is usually an earlier answer.
  return outputOf(r.response).find((i) => i.id === itemId) ?? r.inputItems.find((i) => i.id === itemId);
}
