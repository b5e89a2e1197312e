import type { AppConfig } from '@app/common';
import type { ResponsesRequest } from '@app/providers';
import type { RecentWrites } from '../state/recent-writes';
import { ResponseCache } from '../state/response-cache';
import { ConversationStage } from './conversation.service';

describe('ConversationStage, a turn\'s input items', () => {
  const stage = (maxStoredBytes: number) =>
    new ConversationStage({ limits: { maxStoredBytes, maxBodyBytes: 1_000_000 } } as unknown as AppConfig, {} as RecentWrites, new ResponseCache(10, 10_000));
  /** The turn of `input` (`text`: the body's JSON text, as the ingress keeps it). */
  const turnOf = (input: unknown, { text, store = true, maxStoredBytes = 1_000_000 }: { text?: string; store?: boolean; maxStoredBytes?: number } = {}) => {
    const body = { model: 'm', input } as ResponsesRequest;
    return stage(maxStoredBytes)['turn']('k', body, input, text, 0, false, null, store);
  };
  const asciiHolds = (t: { inputItemsAscii: boolean; inputItemsJson: string }) => !t.inputItemsAscii || Buffer.byteLength(t.inputItemsJson) === t.inputItemsJson.length;

  it('are known to be ASCII only when the JSON it stores is', () => {
    const escaped = [{ role: 'user', content: 'caf\u00e9 '.repeat(20) }];
    const escapedText = `{"model":"m","input":[{"role":"user","content":"${'caf\\u00e9 '.repeat(20)}"}]}`;
    const turns = [
      turnOf('hello there'),
      turnOf('\u00e9'),
      turnOf('say "hi"'),
      turnOf([{ role: 'user', content: 'hi' }]),
      turnOf('hello there', { store: false }),
      // The body's text (escapes kept) is over the limit, JSON.stringify's under it: made again.
      turnOf(escaped, { text: escapedText, maxStoredBytes: JSON.stringify(escaped).length + 150 }),
      turnOf('hello there', { text: '{"model":"m","input":"hello there"}', maxStoredBytes: 200 }),
    ];
    for (const t of turns) expect(asciiHolds(t)).toBe(true);
    expect(turns.map((t) => t.inputItemsAscii)).toEqual([true, false, false, false, false, false, true]);
    expect(turns[5].inputItemsJson).toContain('caf\u00e9');
  });
});
