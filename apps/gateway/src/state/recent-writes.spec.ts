import type { AppConfig } from '@app/common';
import { RecentWrites } from './recent-writes';
import { idStemOf, newResponseId, type StoredResponse } from './stored-response';
import type { StoredResponseRepository } from './stored-response.repository';
import type { StoredResponseWriter } from './stored-response.writer';

const FLUSH_MS = 20;

function stored(id: string): StoredResponse {
  return { id, keyId: 'k', status: 'completed', background: false, model: 'm', previousResponseId: null, inputItems: [], response: { id }, expiresAt: Date.now() + 60_000 };
}

/** A repository whose row appears `appearsAfterMs` after the test starts (another replica's batch landing). */
function setup(appearsAfterMs: number, unwritten = false) {
  const start = Date.now();
  let queries = 0;
  let flushed = 0;
  const visible = () => Date.now() - start >= appearsAfterMs || flushed > 0;
  const repo = {
    findOne: async (_k: string, id: string) => {
      queries++;
      return visible() ? stored(id) : null;
    },
  } as unknown as StoredResponseRepository;
  const writer = {
    holdsUnwritten: () => unwritten && flushed === 0,
    flush: async () => {
      flushed++;
    },
  } as unknown as StoredResponseWriter;
  const recent = new RecentWrites(repo, writer, { logWriter: { flushIntervalMs: FLUSH_MS, batchSize: 10, maxBufferedRows: 100 } } as AppConfig);
  return { recent, queries: () => queries, flushed: () => flushed };
}

describe('RecentWrites', () => {
  it('waits for a very recent id another replica has not written yet, and finds it', async () => {
    const { recent, queries } = setup(60);
    const id = newResponseId();
    const r = await recent.findOne('k', id);
    expect(r?.id).toBe(id);
    expect(queries()).toBeGreaterThan(1);
  });

  it('flushes its own unwritten row instead of polling', async () => {
    const { recent, queries, flushed } = setup(60_000, true);
    const id = newResponseId();
    expect((await recent.findOne('k', id))?.id).toBe(id);
    expect(flushed()).toBe(1);
    expect(queries()).toBe(2);
  });

  it('answers a miss at once for an old id, and within the write window for a recent one that never comes', async () => {
    const { recent, queries } = setup(60_000);
    expect(await recent.findOne('k', newResponseId(Date.now() - 60_000))).toBeNull();
    expect(queries()).toBe(1);
    const t0 = Date.now();
    expect(await recent.findOne('k', newResponseId())).toBeNull();
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(recent.windowMs - 50);
    expect(took).toBeLessThan(recent.windowMs + 500);
  });

  it('response ids it did not make miss at once; item ids without a time may be an upstream item just written', () => {
    const { recent } = setup(0);
    const now = Date.now();
    expect(recent.deadlineOf(['resp_unknown'], now, false)).toBe(0);
    expect(recent.deadlineOf(['msg_from_upstream_0123456789abcdef'], now, true)).toBe(now + recent.windowMs);
    expect(recent.deadlineOf([`msg_${idStemOf(newResponseId(now - 100))}out0`], now, true)).toBe(now - 100 + recent.windowMs);
    expect(recent.deadlineOf(['msg_' + (now - 100).toString(16).padStart(12, '0') + '0123456789about0'], now, true)).toBe(now - 100 + recent.windowMs);
    expect(recent.deadlineOf([newResponseId(now + 60_000)], now, false)).toBe(0);
  });
});
