import { ResponseCache } from './response-cache';
import type { StoredResponse } from './stored-response';

function stored(id: string, keyId = 'k1', expiresAt = Date.now() + 60_000): StoredResponse {
  return {
    id, keyId, status: 'completed', background: false, model: 'm', previousResponseId: null, expiresAt,
    inputItems: [{ type: 'message', id: `in_${id}`, role: 'user', content: 'hi' }],
    response: { id, output: [{ type: 'message', id: `out_${id}`, role: 'assistant', content: [] }] },
  };
}

/** Caches `r` as `bytes` characters of JSON (the input items' text padded with spaces). */
function put(cache: ResponseCache, r: StoredResponse, bytes: number): void {
  const responseJson = JSON.stringify(r.response);
  const items = JSON.stringify(r.inputItems);
  cache.set(r, responseJson, items.padEnd(Math.max(items.length, bytes - responseJson.length)));
}

describe('ResponseCache', () => {
  it('evicts the least recently used entry past its entry or byte bound, items with it', () => {
    const cache = new ResponseCache(2, 2_000);
    expect(JSON.stringify(stored('a').response).length + JSON.stringify(stored('a').inputItems).length).toBeLessThan(200);
    put(cache, stored('a'), 200);
    put(cache, stored('b'), 200);
    expect(cache.get('a')?.id).toBe('a'); // a is now the most recent
    put(cache, stored('c'), 200);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.getItem('k1', 'out_b')).toBeUndefined();
    expect(cache.getItem('k1', 'out_a')?.item).toMatchObject({ role: 'assistant' });
    put(cache, stored('d'), 1_900);
    expect(cache.size).toBe(1);
    expect(cache.totalBytes).toBe(1_900);
    put(cache, stored('huge'), 5_000);
    expect(cache.get('huge')).toBeUndefined();
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
        put(cache, stored(id), 200);
        model = [...model.filter((m) => m !== id), id].slice(-5);
      } else if (op === 1) {
        expect(cache.get(id)?.id).toBe(model.includes(id) ? id : undefined);
        if (model.includes(id)) model = [...model.filter((m) => m !== id), id];
      } else {
        cache.delete(id);
        model = model.filter((m) => m !== id);
      }
      expect(cache.size).toBe(model.length);
      expect(cache.totalBytes).toBe(model.length * 200);
    }
    for (const id of model) expect(cache.getItem('k1', `out_${id}`)?.response.id).toBe(id);
  });

  it('caches from the fields and item ids a caller lists (add), one id as a string', () => {
    const cache = new ResponseCache(10, 10_000);
    const r = stored('a');
    cache.add(r.id, r.keyId, r.status, r.background, r.model, r.previousResponseId, r.expiresAt, JSON.stringify(r.response), JSON.stringify(r.inputItems), ['in_a', 'out_a']);
    expect(cache.get('a')).toEqual(r);
    expect(cache.getItem('k1', 'out_a')?.item).toMatchObject({ role: 'assistant' });
    const b = stored('b');
    cache.add(b.id, b.keyId, b.status, b.background, b.model, b.previousResponseId, b.expiresAt, JSON.stringify(b.response), JSON.stringify(b.inputItems), 'in_b');
    expect(cache.getItem('k1', 'in_b')?.response.id).toBe('b');
    cache.delete('b');
    expect(cache.getItem('k1', 'in_b')).toBeUndefined();
    expect(cache.size).toBe(1);
  });
});
