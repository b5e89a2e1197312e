import type { AppConfig } from '@app/common';
import { OpenAIAdapter } from '@app/providers/openai/openai.adapter';
import type { Turn } from '../conversation/turn';
import { type CacheAddOptions, ResponseCache } from '../state/response-cache';
import { type Json, type StoredResponseRow, toJsonb } from '../state/stored-response';
import type { StoredResponseRepository } from '../state/stored-response.repository';
import type { StoredResponseWriter } from '../state/stored-response.writer';
import { StoredRowEncoder, type StoredRowText } from '../state/stored-row-text';
import { storedText } from '../state/stored-text';
import { finalizeTurn } from '../state/stored-turn';
import { ResponseStore } from './response-store.service';

describe('ResponseStore', () => {
  function store() {
    const cached: unknown[][] = [];
    const saved: StoredResponseRow[] = [];
    const cache = { add: (...args: unknown[]) => cached.push(args) } as unknown as ResponseCache;
    const rows = { save: (row: StoredResponseRow) => saved.push(row) } as unknown as StoredResponseWriter;
    const s = new ResponseStore({ responseRetentionDays: 30 } as AppConfig, {} as StoredResponseRepository, cache, rows);
    return { s, cached, saved };
  }
  const turn: Turn = {
    id: 'resp_0123456789ab0123456789abcdef0123456789abcdef', stem: '0123456789ab0123456789abcdef0123456789abcdef', keyId: 'k', store: true, background: false, previousResponseId: null,
    inputItems: [{ type: 'message', id: 'msg_0123456789ab0123456789abcdef0123456789abcdefin0', role: 'user', content: 'hi' }, { type: 'message', role: 'user', content: 'no id' }],
    request: { model: 'openai/gpt-4o' }, inputItemsJson: '[]', requestJson: '{}', inputItemsAscii: false, historyBytes: 0, createdAt: 1_700_000_000_000, streamedIds: [],
  };
  const ids = ['msg_0123456789abcdef0123456789', 'fc_0123456789abcdef0123456789ab'];

  it('stores a turn read off its text as it stores the parsed one: the same row and cache entry', () => {
    const bodies: Json[] = [
      { id: 'resp_up', status: 'completed', model: 'gpt-4o-2024', error: null, output: ids.map((id) => ({ id, type: 'message', content: [] })), usage: null },
      { status: 'failed', error: { code: 'server_error', message: 'x' }, output: [{ id: ids[0], type: 'function_call' }] },
      { status: 'odd', model: 3, output: [] },
      // Escapes in its text: plain with a newline's or a quote's, not with U+0000's, which the column's value replaces.
      { status: 'completed', output: [{ id: ids[0], type: 'message', content: [{ type: 'output_text', text: 'a\n"b"\\' }] }] },
      { status: 'completed', output: [{ id: ids[0], type: 'message', content: [{ type: 'output_text', text: 'a\u0000b' }] }] },
    ];
    for (const body of bodies) {
      const text = JSON.stringify(body, null, 2);
      const parsed = store();
      const response = JSON.parse(text) as Json;
      finalizeTurn(turn, response);
      parsed.s.commit(turn, response, JSON.stringify(response));
      const walked = store();
      walked.s.commitText(turn, storedText(turn, new OpenAIAdapter().parseResponse(text, { memberSpans: true }), '{}', null)!);
      const jsonless = (row: StoredResponseRow) => ({ ...row, responseJson: undefined, errorJson: row.errorJson && JSON.parse(row.errorJson) });
      expect(walked.saved.map(jsonless)).toEqual(parsed.saved.map(jsonless));
      // All but the JSON (7) and whether its UTF-8 is wanted (10's wantBytes: only for plain text, its own column value).
      const options = (args: unknown[]) => args[10] as CacheAddOptions;
      const entry = (args: unknown[]) => [...args.filter((_, i) => i !== 7 && i !== 10), options(args).responseAscii === true, options(args).inputAscii === true];
      expect(walked.cached.map(entry)).toEqual(parsed.cached.map(entry));
      for (const { cached } of [parsed, walked]) expect(cached.map((args) => options(args).wantBytes)).toEqual([!(cached[0][7] as string).includes('\\u')]);
    }
  });

  it("hands the writer the cache's UTF-8 of a plain Response, which it copies before the cache reuses it: the row's text as encoded alone", () => {
    const encoder = new StoredRowEncoder();
    const given: (Buffer | undefined)[] = [];
    const texts: StoredRowText[] = [];
    const rows = {
      save: (row: StoredResponseRow, bytes?: Buffer) => {
        given.push(bytes);
        texts.push(encoder.encode(row, bytes));
      },
    } as unknown as StoredResponseWriter;
    // One entry at a time: each turn's entry takes the buffer of the one before.
    const s = new ResponseStore({ responseRetentionDays: 30 } as AppConfig, {} as StoredResponseRepository, new ResponseCache(1, 1 << 20), rows);
    const bodies = [
      { id: 'resp_up', status: 'completed', model: 'gpt-4o', output: [{ id: ids[0], type: 'message', content: [{ text: 'é 漢 😀' }] }] },
      { id: 'resp_up', status: 'completed', model: 'gpt-4o', output: [{ id: ids[1], type: 'message', content: [{ text: 'a "quote"' }] }] },
      { id: 'resp_up', status: 'completed', model: 'gpt-4o', output: [{ id: ids[0], type: 'message', content: [{ text: 'same size' }] }] },
    ];
    const stored = bodies.map((body) => storedText(turn, new OpenAIAdapter().parseResponse(JSON.stringify(body), { memberSpans: true }), '{}', null)!);
    for (const text of stored) s.commitText(turn, text);
    // Only the plain ones (StoredText.plain: no `\u` escape, which an escaped quote is not).
    expect(given.map((bytes) => bytes !== undefined)).toEqual([true, true, true]);
    // Stored from the object (JSON.stringify's text): U+0000 and a lone surrogate are `\u` escapes, so not plain.
    const objects = [
      ...bodies,
      { ...bodies[0], output: [{ id: ids[1], type: 'message', content: [{ text: 'two\nlines\ttab' }] }] },
      { ...bodies[0], output: [{ id: ids[1], type: 'message', content: [{ text: 'nul \u0000' }] }] },
      { ...bodies[0], output: [{ id: ids[1], type: 'message', content: [{ text: 'lone \ud800' }] }] },
    ];
    const json = objects.map((body) => JSON.stringify(body));
    for (const [i, body] of objects.entries()) s.commit(turn, body, json[i]);
    expect(given.slice(3).map((bytes) => bytes !== undefined)).toEqual([true, true, true, true, false, false]);
    const alone = new StoredRowEncoder();
    for (const [i, text] of texts.entries()) {
      const row = text.row();
      // Read back as the database keeps it (toJsonb's escapes replaced).
      expect(row.responseJson).toBe(i < 3 ? stored[i].json : toJsonb(json[i - 3]));
      expect(text.responseTuple().equals(alone.encode(row).responseTuple())).toBe(true);
    }
  });
});
