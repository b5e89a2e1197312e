import { ResponseCache } from './response-cache';
import { idStemOf, mintingStemOf, newResponseId, storedItemsOf, type StoredResponse } from './stored-response';

function stored(id: string, keyId = 'k1', expiresAt = Date.now() + 60_000): StoredResponse {
  return {
    id, keyId, status: 'completed', background: false, model: 'm', previousResponseId: null, expiresAt,
    inputItems: [{ type: 'message', id: `in_${id}`, role: 'user', content: 'hi' }],
    response: { id, output: [{ type: 'message', id: `out_${id}`, role: 'assistant', content: [] }] },
  };
}

/** Caches `r` as `bytes` bytes (its JSON and its items' ids, the input items' text padded with spaces). */
function put(cache: ResponseCache, r: StoredResponse, bytes: number): void {
  const responseJson = JSON.stringify(r.response);
  const items = JSON.stringify(r.inputItems);
  const ids = JSON.stringify(storedItemsOf(mintingStemOf(r.id), r.inputItems, r.response).map((i) => i.itemId));
  cache.set(r, responseJson, items.padEnd(Math.max(items.length, bytes - responseJson.length - ids.length)));
}

describe('ResponseCache', () => {
  it('evicts the least recently used entry past its entry or byte bound, items with it', () => {
    // Sizes a buffer is made of exactly (capacityFor).
    const cache = new ResponseCache(2, 1_900);
    expect(JSON.stringify(stored('a').response).length + JSON.stringify(stored('a').inputItems).length).toBeLessThan(192);
    put(cache, stored('a'), 192);
    put(cache, stored('b'), 192);
    expect(cache.get('a')?.id).toBe('a'); // a is now the most recent
    put(cache, stored('c'), 192);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.getItem('k1', 'out_b')).toBeUndefined();
    expect(cache.getItem('k1', 'out_a')?.item).toMatchObject({ role: 'assistant' });
    expect(cache.totalBytes + cache.spareBytes).toBeLessThanOrEqual(1_900);
    // Over a quarter of the bound: not cached, and nothing evicted for it.
    put(cache, stored('large'), 512);
    expect(cache.get('large')).toBeUndefined();
    expect(cache.size).toBe(2);
    // A new version too large to cache takes the old one out: never a stale read.
    put(cache, stored('a'), 5_000);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.getItem('k1', 'out_a')).toBeUndefined();
    expect(cache.get('c')?.id).toBe('c');
  });

  it('finds items only for their own key and forgets expired responses', () => {
    const cache = new ResponseCache(10, 10_000);
    put(cache, stored('a', 'k1'), 200);
    put(cache, stored('old', 'k1', Date.now() - 1), 200);
    expect(cache.getItem('k2', 'in_a')).toBeUndefined();
    expect(cache.getItem('k1', 'in_a')?.response.id).toBe('a');
    expect(cache.get('old')).toBeUndefined();
    cache.delete('a');
    expect(cache.getItem('k1', 'in_a')).toBeUndefined();
    expect(cache.totalBytes).toBe(0);
  });

  it('hands out a fresh copy on every read, so callers cannot change what is cached', () => {
    const cache = new ResponseCache(10, 10_000);
    const r = stored('a');
    cache.set(r, JSON.stringify(r.response), JSON.stringify(r.inputItems));
    r.response.output = [];
    const first = cache.get('a')!;
    expect(first).toEqual({ ...stored('a'), expiresAt: r.expiresAt });
    first.inputItems.length = 0;
    expect(cache.get('a')!.inputItems).toHaveLength(1);
    expect(cache.getItem('k1', 'out_a')?.item).toEqual({ type: 'message', id: 'out_a', role: 'assistant', content: [] });
  });

  it('keeps exactly the most recently used entries through many inserts, reads and deletions', () => {
    const cache = new ResponseCache(5, 1_000_000);
    // The reference: ids oldest first.
    let model: string[] = [];
    let seed = 7;
    // Park-Miller: exact in doubles.
    const next = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
    for (let step = 0; step < 2_000; step++) {
      const id = `r${next(12)}`;
      const op = next(3);
      if (op === 0) {
        put(cache, stored(id), 192);
        model = [...model.filter((m) => m !== id), id].slice(-5);
      } else if (op === 1) {
        const got = cache.get(id);
        expect(got && { response: got.response, inputItems: got.inputItems }).toEqual(
          model.includes(id) ? { response: stored(id).response, inputItems: stored(id).inputItems } : undefined,
        );
        if (model.includes(id)) model = [...model.filter((m) => m !== id), id];
      } else {
        cache.delete(id);
        model = model.filter((m) => m !== id);
      }
      expect(cache.size).toBe(model.length);
      expect(cache.totalBytes).toBe(model.length * 192);
    }
    for (const id of model) expect(cache.getItem('k1', `out_${id}`)?.response.id).toBe(id);
  });

  it('keeps each entry in a buffer of its own at most a quarter larger than its UTF-8 bytes, counted by the byte bound, multi-byte text and item ids read back unchanged', () => {
    const cache = new ResponseCache(100, 1_000_000);
    const texts: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const r = stored(`r${i}`);
      r.inputItems = [{ type: 'message', id: `in_é漢😀\t\n"${i}`, role: 'user', content: `é 漢 😀 \u2028 "quoted" \\ ${'x'.repeat(i * 37)}` }];
      const items = storedItemsOf(mintingStemOf(r.id), r.inputItems, r.response);
      cache.set(r, JSON.stringify(r.response), JSON.stringify(r.inputItems));
      const bytes = Buffer.byteLength(JSON.stringify(r.response)) + Buffer.byteLength(JSON.stringify(r.inputItems)) + Buffer.byteLength(JSON.stringify(items.map((it) => it.itemId)));
      texts.push(...[...(cache as unknown as { entries: Map<string, { text: Buffer }> }).entries.values()].slice(-1).map((e) => e.text));
      expect(texts[i].length).toBeGreaterThanOrEqual(bytes);
      expect(texts[i].length).toBeLessThanOrEqual(Math.max(64, 1.25 * bytes));
      expect(cache.get(`r${i}`)).toEqual({ ...r, expiresAt: r.expiresAt });
      expect(cache.getItem('k1', `in_é漢😀\t\n"${i}`)?.item).toEqual(r.inputItems[0]);
    }
    // Nothing shared: what an entry keeps alive is its own bytes and nothing more.
    for (const text of texts) expect(text.buffer.byteLength).toBe(text.length);
    expect(cache.totalBytes).toBe(texts.reduce((sum, t) => sum + t.length, 0));
  });

  it("holds its items' ids as JSON.stringify writes them, whether each is plain ASCII or not", () => {
    const cache = new ResponseCache(100, 1_000_000);
    const odd = ['q"uote', 'back\\slash', 'tab\t', 'é', '😀', '\ud800', '\u007f', ''];
    const lists = [['a', 'msg_0123'], ...odd.map((id) => ['plain_1', id, 'plain_2']), odd, []];
    lists.forEach((ids, n) => {
      const items = ids.map((itemId, position) => ({ source: 'input' as const, position, itemId }));
      cache.add(`r${n}`, 'k1', 'completed', false, 'm', null, Date.now() + 60_000, '{}', '[]', items);
      const entry = (cache as unknown as { entries: Map<string, { text: Buffer; itemIdsStart: number; end: number; itemIds(): string[] }> }).entries.get(`r${n}`)!;
      expect(entry.text.toString('utf8', entry.itemIdsStart, entry.end)).toBe(ids.length === 0 ? '' : JSON.stringify(ids));
      expect(entry.itemIds()).toEqual(ids);
    });
  });

  it('fills the buffer an evicted entry leaves, and keeps entries and spare buffers within the byte bound, whatever their sizes', () => {
    const entriesOf = (c: ResponseCache) => (c as unknown as { entries: Map<string, { text: Buffer }> }).entries;
    const full = new ResponseCache(3, 1_000_000);
    for (const id of ['a', 'b', 'c']) put(full, stored(id), 1_024);
    const evicted = entriesOf(full).get('a')!.text;
    put(full, stored('d'), 1_000);
    expect(entriesOf(full).get('d')!.text).toBe(evicted);
    expect(full.get('d')).toEqual({ ...stored('d'), expiresAt: full.get('d')!.expiresAt });
    expect(full.get('b')?.id).toBe('b');

    const cache = new ResponseCache(20, 20_000);
    let seed = 11;
    const next = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
    const held = new Set<string>();
    for (let step = 0; step < 3_000; step++) {
      const id = `r${next(40)}`;
      if (next(4) === 0) {
        cache.delete(id);
        held.delete(id);
      } else {
        put(cache, stored(id), 150 + next(3_000));
        held.add(id);
      }
      expect(cache.totalBytes + cache.spareBytes).toBeLessThanOrEqual(20_000);
      const got = cache.get(id);
      if (got !== undefined) expect(got.response).toEqual(stored(id).response);
    }
    for (const id of held) {
      const got = cache.get(id);
      if (got !== undefined) expect({ response: got.response, inputItems: got.inputItems }).toEqual({ response: stored(id).response, inputItems: stored(id).inputItems });
    }
  });

  it('removes an expired entry holding one item id twice only once', () => {
    const cache = new ResponseCache(10, 100_000);
    const twice = stored('twice', 'k1', Date.now() - 1);
    twice.inputItems = [
      { type: 'message', id: 'same', role: 'user', content: 'a' },
      { type: 'message', id: 'same', role: 'user', content: 'b' },
    ];
    put(cache, stored('a'), 1_024);
    put(cache, twice, 1_024);
    expect(cache.getItem('k1', 'same')).toBeUndefined();
    expect(cache.size).toBe(1);
    expect(cache.totalBytes).toBe(1_024);
    // Its buffer is handed out once: two new entries do not share it.
    put(cache, stored('b'), 1_024);
    put(cache, stored('c'), 1_024);
    for (const id of ['a', 'b', 'c']) expect(cache.get(id)?.response).toEqual(stored(id).response);
    expect(cache.get('a')?.id).toBe('a');
  });

  it('caches from the fields and the items a caller lists (add)', () => {
    const cache = new ResponseCache(10, 10_000);
    const r = stored('a');
    cache.add(r.id, r.keyId, r.status, r.background, r.model, r.previousResponseId, r.expiresAt, JSON.stringify(r.response), JSON.stringify(r.inputItems), storedItemsOf(mintingStemOf(r.id), r.inputItems, r.response));
    expect(cache.get('a')).toEqual(r);
    expect(cache.getItem('k1', 'out_a')?.item).toMatchObject({ role: 'assistant' });
    const b = stored('b');
    cache.add(b.id, b.keyId, b.status, b.background, b.model, b.previousResponseId, b.expiresAt, JSON.stringify(b.response), JSON.stringify(b.inputItems), [
      { source: 'input', position: 0, itemId: 'in_b' },
    ]);
    expect(cache.getItem('k1', 'in_b')?.response.id).toBe('b');
    expect(cache.getItem('k1', 'out_b')).toBeUndefined();
    cache.delete('b');
    expect(cache.getItem('k1', 'in_b')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it("returns the Response's UTF-8 as the entry holds it only when asked for", () => {
    const cache = new ResponseCache(10, 10_000);
    const add = (id: string, wantBytes: boolean) => {
      const r = stored(id);
      return cache.add(r.id, r.keyId, r.status, r.background, r.model, r.previousResponseId, r.expiresAt, JSON.stringify(r.response), '[]', [], { wantBytes });
    };
    expect(add('a', false)).toBeUndefined();
    expect(add('b', true)?.toString()).toBe(JSON.stringify(stored('b').response));
    expect(cache.size).toBe(2);
  });

  it('holds a Response known to be ASCII as it holds one whose UTF-8 it counts', () => {
    const counted = new ResponseCache(10, 10_000);
    const known = new ResponseCache(10, 10_000);
    const r = stored('a');
    const json = JSON.stringify(r.response);
    const add = (cache: ResponseCache, ascii: boolean) => cache.add(r.id, r.keyId, r.status, r.background, r.model, r.previousResponseId, r.expiresAt, json, '[{"x":"é"}]', [], { wantBytes: true, responseAscii: ascii });
    expect(add(known, true)).toEqual(add(counted, false));
    expect(known.get(r.id)).toEqual(counted.get(r.id));
  });

  it('holds input items known to be ASCII as it holds those whose UTF-8 it counts, and multi-byte ones read back unchanged', () => {
    const r = stored('a');
    const json = JSON.stringify(r.response);
    const items = [{ type: 'message', id: 'msg_x', role: 'user', content: [{ type: 'input_text', text: 'hi there' }] }];
    const add = (cache: ResponseCache, inputItemsJson: string, inputAscii: boolean) =>
      cache.add(r.id, r.keyId, r.status, r.background, r.model, r.previousResponseId, r.expiresAt, json, inputItemsJson, [{ source: 'output', position: 0, itemId: 'out_a' }], { inputAscii });
    const counted = new ResponseCache(10, 10_000);
    const known = new ResponseCache(10, 10_000);
    add(counted, JSON.stringify(items), false);
    const byteLength = jest.spyOn(Buffer, 'byteLength');
    try {
      add(known, JSON.stringify(items), true);
      // Known to be ASCII: its UTF-8 is not counted.
      expect(byteLength).not.toHaveBeenCalledWith(JSON.stringify(items));
    } finally {
      byteLength.mockRestore();
    }
    expect(known.get(r.id)).toEqual(counted.get(r.id));
    expect(known.get(r.id)?.inputItems).toEqual(items);
    expect(known.getItem(r.keyId, 'out_a')?.item).toEqual(r.response.output && (r.response.output as unknown[])[0]);
    expect(known.totalBytes).toBe(counted.totalBytes);
    // Not known to be ASCII: counted, and written as UTF-8.
    const wide = [{ ...items[0], content: [{ type: 'input_text', text: 'é 😀' }] }];
    add(counted, JSON.stringify(wide), false);
    expect(counted.get(r.id)?.inputItems).toEqual(wide);
  });

  it('finds the newest holder of an item of the key, whether its item index was kept up to date, built anew or dropped and rebuilt', () => {
    const cache = new ResponseCache(4, 1_000_000);
    // One item id in several responses (a client echoing an earlier output item), of two keys.
    const echo = (id: string, keyId: string): StoredResponse => {
      const r = stored(id, keyId);
      r.inputItems.push({ type: 'message', id: 'shared', role: 'assistant', content: [] });
      return r;
    };
    put(cache, echo('a', 'k1'), 200);
    put(cache, echo('b', 'k1'), 200);
    // No item lookup yet: the index is built by this one.
    expect(cache.getItem('k1', 'shared')?.response.id).toBe('b');
    put(cache, echo('c', 'k2'), 200);
    put(cache, echo('d', 'k1'), 200);
    // Kept up to date since: the newest of the key, not of another key.
    expect(cache.getItem('k1', 'shared')?.response.id).toBe('d');
    expect(cache.getItem('k2', 'shared')?.response.id).toBe('c');
    cache.delete('d');
    expect(cache.getItem('k1', 'shared')?.response.id).toBe('b');
    // More additions than the cache holds with no item lookup: the index is dropped, and rebuilt from what is left.
    for (const id of ['e', 'f', 'g', 'h', 'i']) put(cache, id === 'h' ? echo(id, 'k1') : stored(id), 200);
    expect(cache.getItem('k1', 'in_e')).toBeUndefined();
    expect(cache.getItem('k1', 'in_f')?.response.id).toBe('f');
    expect(cache.getItem('k1', 'shared')?.response.id).toBe('h');
    expect(cache.getItem('k2', 'shared')).toBeUndefined();
  });

  it('finds an item its minted id locates in the response that minted it, with no index entry, after any copy in a later turn', () => {
    const cache = new ResponseCache(10, 1_000_000);
    const id = newResponseId();
    const minted = `msg_${idStemOf(id)}in0`;
    const r: StoredResponse = { ...stored(id), inputItems: [{ type: 'message', id: minted, role: 'user', content: 'original' }] };
    cache.set(r, JSON.stringify(r.response), JSON.stringify(r.inputItems));
    // Only the upstream's output id is indexed.
    expect((cache as unknown as { itemCount: number }).itemCount).toBe(1);
    expect(cache.getItem('k1', minted)?.item).toMatchObject({ content: 'original' });
    expect(cache.getItem('k2', minted)).toBeUndefined();
    const later: StoredResponse = { ...stored('later'), inputItems: [{ type: 'message', id: minted, role: 'user', content: 'copy' }] };
    put(cache, later, 200);
    expect(cache.getItem('k1', minted)?.item).toMatchObject({ content: 'copy' });
    cache.delete('later');
    expect(cache.getItem('k1', minted)?.item).toMatchObject({ content: 'original' });
    cache.delete(id);
    expect(cache.getItem('k1', minted)).toBeUndefined();
  });

  it('finds a minted id with no index entry only at the place it names, as the database does', () => {
    const cache = new ResponseCache(10, 1_000_000);
    const id = newResponseId();
    const stem = idStemOf(id);
    const r: StoredResponse = {
      ...stored(id),
      inputItems: [{ type: 'message', id: `msg_${stem}in0`, role: 'user', content: 'at its place' }, { type: 'message', id: `msg_${stem}in0x`, role: 'user', content: 'x' }, { type: 'message', id: `msg_${stem}in3`, role: 'user', content: 'elsewhere' }],
      response: { id, output: [null, { type: 'message', id: `msg_${stem}out0`, role: 'assistant', content: [] }, { type: 'function_call', id: `fc_${stem}out2`, call_id: 'c' }] },
    };
    // Listed with no items, as a row whose ids have none (the database cannot find the misplaced ones either).
    cache.add(id, r.keyId, r.status, r.background, r.model, r.previousResponseId, r.expiresAt, JSON.stringify(r.response), JSON.stringify(r.inputItems), []);
    expect(cache.getItem('k1', `msg_${stem}in0`)?.item).toMatchObject({ content: 'at its place' });
    expect(cache.getItem('k1', `fc_${stem}out2`)?.item).toMatchObject({ call_id: 'c' });
    // Elsewhere in the response that minted it: at input 2, at output 1 (output 0 is not an object).
    expect(cache.getItem('k1', `msg_${stem}in3`)).toBeUndefined();
    expect(cache.getItem('k1', `msg_${stem}out0`)).toBeUndefined();
    // The right place, another type's prefix.
    expect(cache.getItem('k1', `fc_${stem}in0`)).toBeUndefined();
  });

  it('finds the same items as a plain list of what it holds, its item index built, kept and dropped as lookups come and go', () => {
    // An index built from at most 8 ids, dropped at 4: this cache crosses both bounds.
    const cache = new ResponseCache(4, 1_000_000, 8);
    // The reference: [id, key, item ids] of what is cached, least recently used first; when each was added.
    let model: { id: string; keyId: string; items: string[] }[] = [];
    const added = new Map<string, number>();
    let seed = 11;
    const next = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
    for (let step = 0; step < 4_000; step++) {
      const id = `r${next(7)}`;
      const keyId = `k${next(2)}`;
      // Lookups come in bursts: long runs of turns without one let the index be dropped.
      const op = next(step % 500 < 250 ? 3 : 30);
      if (op === 0) {
        const itemId = `i${next(5)}`;
        const holders = model.filter((m) => m.keyId === keyId && m.items.includes(itemId));
        const newest = holders.sort((a, b) => added.get(b.id)! - added.get(a.id)!)[0];
        expect(cache.getItem(keyId, itemId)?.response.id).toBe(newest?.id);
        if (newest !== undefined) model = [...model.filter((m) => m !== newest), newest];
      } else if (op === 1) {
        cache.delete(id);
        model = model.filter((m) => m.id !== id);
      } else {
        const items = Array.from({ length: step % 1_000 < 500 ? 1 : 1 + next(3) }, () => `i${next(5)}`);
        const r: StoredResponse = { ...stored(id, keyId), inputItems: items.map((i) => ({ type: 'message', id: i, role: 'user', content: 'hi' })), response: { id, output: [] } };
        put(cache, r, 200);
        added.set(id, step);
        model = [...model.filter((m) => m.id !== id), { id, keyId, items }].slice(-4);
      }
    }
  });
});
