import type { AppConfig } from '@app/common';
import { OpenAIAdapter } from '@app/providers/openai/openai.adapter';
import type { Turn } from '../conversation/turn';
import type { ResponseCache } from '../state/response-cache';
import type { Json, StoredResponseRow } from '../state/stored-response';
import type { StoredResponseRepository } from '../state/stored-response.repository';
import type { StoredResponseWriter } from '../state/stored-response.writer';
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
    id: 'resp_0123456789ab0123456789abcdef0123456789abcdef', stem: 'st', keyId: 'k', store: true, background: false, previousResponseId: null,
    inputItems: [{ type: 'message', id: 'msg_stin0', role: 'user', content: 'hi' }, { type: 'message', role: 'user', content: 'no id' }],
    request: { model: 'openai/gpt-4o' }, inputItemsJson: '[]', requestJson: '{}', historyBytes: 0, createdAt: 1_700_000_000_000, streamedIds: [],
  };
  const ids = ['msg_0123456789abcdef0123456789', 'fc_0123456789abcdef0123456789ab'];

  it('stores a turn read off its text as it stores the parsed one: the same row and cache entry', () => {
    const bodies: Json[] = [
      { id: 'resp_up', status: 'completed', model: 'gpt-4o-2024', error: null, output: ids.map((id) => ({ id, type: 'message', content: [] })), usage: null },
      { status: 'failed', error: { code: 'server_error', message: 'x' }, output: [{ id: ids[0], type: 'function_call' }] },
      { status: 'odd', model: 3, output: [] },
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
      expect(walked.cached.map((args) => args.filter((_, i) => i !== 7))).toEqual(parsed.cached.map((args) => args.filter((_, i) => i !== 7)));
    }
  });
});
