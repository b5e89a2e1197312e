import type { Turn } from '../conversation/turn';
import { StreamIdRewriter } from './stream-ids';

function turn(): Turn {
  return {
    id: 'resp_ours', stem: 'st', keyId: 'k', store: true, background: false, previousResponseId: 'resp_prev', inputItems: [], request: {},
    inputItemsJson: '[]', requestJson: '{}', historyBytes: 0, createdAt: 0, streamedIds: [],
  };
}

describe('StreamIdRewriter', () => {
  const apply = (t: Turn) => (r: Record<string, unknown>) => {
    r.id = t.id;
    r.previous_response_id = t.previousResponseId;
  };

  it('puts the gateway id in the start events and leaves trusted item ids alone (same string)', () => {
    const t = turn();
    const ids = new StreamIdRewriter(t, apply(t));
    const created = JSON.parse(ids.rewrite('response.created', '{"type":"response.created","response":{"id":"resp_up","output":[]}}'));
    expect(created.response).toMatchObject({ id: 'resp_ours', previous_response_id: 'resp_prev' });
    const added = '{"type":"response.output_item.added","output_index":0,"item":{"type":"message","id":"msg_0123456789abcdef0123"}}';
    expect(ids.rewrite('response.output_item.added', added)).toBe(added);
    const delta = '{"type":"response.output_text.delta","item_id":"msg_0123456789abcdef0123","delta":"x"}';
    expect(ids.rewrite('response.output_text.delta', delta)).toBe(delta);
    expect(t.streamedIds).toEqual(['msg_0123456789abcdef0123']);
  });

  it('renames an untrusted item id in every event that names it', () => {
    const t = turn();
    const ids = new StreamIdRewriter(t, apply(t));
    const added = JSON.parse(ids.rewrite('response.output_item.added', '{"type":"response.output_item.added","output_index":0,"item":{"type":"message","id":"msg_1"}}'));
    expect(added.item.id).toBe('msg_stout0');
    expect(JSON.parse(ids.rewrite('response.output_text.delta', '{"item_id":"msg_1","delta":"x"}')).item_id).toBe('msg_stout0');
    expect(JSON.parse(ids.rewrite('response.output_item.done', '{"output_index":0,"item":{"type":"message","id":"msg_1"}}')).item.id).toBe('msg_stout0');
    expect(t.streamedIds).toEqual(['msg_stout0']);
  });
});
