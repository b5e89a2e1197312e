import { ResponseCache } from './response-cache';
import type { StoredResponse } from './stored-response';

function stored(id: string, keyId = 'k1', expiresAt = Date.now() + 60_000): StoredResponse {
  return {
    id, keyId, status: 'completed', background: false, model: 'm', previousResponseId: null, expiresAt,
    inputItems: [{ type: 'message', id: `in_${id}`, role: 'user', content: 'hi' }],
    response: { id, output: [{ type: 'message', id: `out_${id}`, role: 'assistant', content: [] }] },
  };
}

describe('ResponseCache', () => {
  it('evicts the least recently used entry past its entry or byte bound, items with it', () => {
    const cache = new ResponseCache(2, 1_000);
    cache.set(stored('a'), 100);
    cache.set(stored('b'), 100);
    expect(cache.get('a')?.id).toBe('a'); // a is now the most recent
    cache.set(stored('c'), 100);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.getItem('k1', 'out_b')).toBeUndefined();
    expect(cache.getItem('k1', 'out_a')?.item).toMatchObject({ role: 'assistant' });
    cache.set(stored('d'), 950);
    expect(cache.size).toBe(1);
    expect(cache.totalBytes).toBe(950);
    cache.set(stored('huge'), 5_000);
    expect(cache.get('huge')).toBeUndefined();
  });

  it('finds items only for their own key and forgets expired responses', () => {
    const cache = new ResponseCache(10, 10_000);
    cache.set(stored('a', 'k1'), 10);
    cache.set(stored('old', 'k1', Date.now() - 1), 10);
    expect(cache.getItem('k2', 'in_a')).toBeUndefined();
    expect(cache.getItem('k1', 'in_a')?.response.id).toBe('a');
    expect(cache.get('old')).toBeUndefined();
    cache.delete('a');
    expect(cache.getItem('k1', 'in_a')).toBeUndefined();
    expect(cache.totalBytes).toBe(0);
  });
});
