import type { Turn } from '../conversation/turn';
import { applyStateFields, streamRewriter } from './stored-turn';
import { itemTemplates, startTemplates } from './stream-ids';

function turn(): Turn {
  return {
    id: 'resp_ours', stem: 'st', keyId: 'k', store: true, background: false, previousResponseId: 'resp_prev', inputItems: [], request: {},
    inputItemsJson: '[]', requestJson: '{}', inputItemsAscii: false, historyBytes: 0, createdAt: 0, streamedIds: [],
  };
}

describe('StreamIdRewriter', () => {
  it('puts the gateway id in the start events and leaves trusted item ids alone (same string)', () => {
    const t = turn();
    const ids = streamRewriter(t);
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
    const ids = streamRewriter(t);
    const added = JSON.parse(ids.rewrite('response.output_item.added', '{"type":"response.output_item.added","output_index":0,"item":{"type":"message","id":"msg_1"}}'));
    expect(added.item.id).toBe('msg_stout0');
    expect(JSON.parse(ids.rewrite('response.output_text.delta', '{"item_id":"msg_1","delta":"x"}')).item_id).toBe('msg_stout0');
    expect(JSON.parse(ids.rewrite('response.output_item.done', '{"output_index":0,"item":{"type":"message","id":"msg_1"}}')).item.id).toBe('msg_stout0');
    expect(t.streamedIds).toEqual(['msg_stout0']);
  });

  it('splices the state fields into the start events: the text JSON.stringify makes of the parsed event', () => {
    const t = turn();
    const state = (r: Record<string, unknown>) => applyStateFields(t, r);
    const ids = streamRewriter(t);
    const response = { id: 'resp_up', object: 'response', status: 'in_progress', background: false, error: null, output: [], previous_response_id: null, reasoning: { effort: null }, store: true, text: { format: { type: 'text' } }, usage: null, metadata: { id: 'keep' } };
    // The same Response in each start event, then one that changed (spliced again, not reused).
    const starts: [string, Record<string, unknown>][] = [
      ['response.created', response],
      ['response.in_progress', response],
      ['response.queued', response],
      ['response.in_progress', { ...response, status: 'queued' }],
      ['response.in_progress', { ...response, metadata: { id: 'keep', more: 1 } }],
    ];
    for (const [type, r] of starts) {
      const event = { type, response: { ...r }, sequence_number: 0 };
      const expected = structuredClone(event);
      state(expected.response);
      expect(ids.rewrite(type, JSON.stringify(event))).toBe(JSON.stringify(expected));
      expect(ids.serialised).toBe(false);
    }
    // Text it cannot edit as text is parsed: an escaped key, a key given twice.
    const escaped = '{"type":"response.created","response":{"\\u0069d":"resp_up"}}';
    expect(JSON.parse(ids.rewrite('response.created', escaped)).response).toEqual({ id: 'resp_ours', previous_response_id: 'resp_prev', store: true, background: false });
    expect(ids.serialised).toBe(true);
    const twice = '{"type":"response.created","response":{"id":"resp_up","id":"resp_up2"}}';
    expect(JSON.parse(ids.rewrite('response.created', twice)).response.id).toBe('resp_ours');
    // No Response object: nothing to set.
    const bare = '{"type":"response.created","response":null}';
    expect(ids.rewrite('response.created', bare)).toBe(bare);
    expect(ids.serialised).toBe(false);
  });

  it("splices a later stream's start events where an earlier one's members were found, whatever its id and creation time", () => {
    // Members of the state fields before, between and after the id and created_at, and a
    // Response that differs elsewhere, or whose id or time cannot stand in for the template's.
    const head = { background: false, id: 'resp_up', previous_response_id: null, object: 'response', created_at: 1700000000, store: true, status: 'in_progress', metadata: {} };
    const responses: Record<string, unknown>[] = [
      head,
      { ...head, id: 'resp_a_much_longer_upstream_id', created_at: 99 },
      { ...head, id: 'r', created_at: 17000000001234 },
      { ...head, id: 'r\\"x', created_at: 5 },
      { ...head, created_at: 1.5 },
      { ...head, created_at: null },
      { ...head, id: 7 },
      { ...head, status: 'queued', id: 'resp_other' },
      { id: 'resp_up', created_at: 1, store: true, created_at_too: 2 },
      { created_at: 1, id: 'resp_up' },
    ];
    for (const store of [true, false]) {
      for (const r of responses) {
        const t = { ...turn(), store };
        const event = { type: 'response.created', response: { ...r }, sequence_number: 0 };
        const expected = structuredClone(event);
        applyStateFields(t, expected.response);
        expect(streamRewriter(t).rewrite('response.created', JSON.stringify(event))).toBe(JSON.stringify(expected));
      }
    }
    // Spacing that differs from the template's is read by walking it, and a key given twice still refused.
    const t = turn();
    const spaced = '{"type":"response.created","response":{"id":"resp_up", "created_at":1700000000,"store":true}}';
    expect(JSON.parse(streamRewriter(t).rewrite('response.created', spaced)).response).toEqual({ id: 'resp_ours', created_at: 1700000000, store: true, previous_response_id: 'resp_prev', background: false });
    const twice = '{"type":"response.created","response":{"id":"resp_up","created_at":1,"created_at":2,"store":true}}';
    const ids = streamRewriter(t);
    expect(JSON.parse(ids.rewrite('response.created', twice)).response).toEqual({ id: 'resp_ours', created_at: 2, store: true, previous_response_id: 'resp_prev', background: false });
  });

  it("makes templates of a stream's start events on their first sighting: a later stream's match them all", () => {
    startTemplates.reset();
    // Each start event's Response its own (another status): none is an echo of the first.
    const response = (id: string, created: number, status: string) => ({ id, object: 'response', created_at: created, status, store: true, metadata: {} });
    const stream = (id: string, created: number) =>
      [['response.created', 'queued'], ['response.in_progress', 'in_progress']].map(([type, status], n) => ({ type, response: response(id, created, status), sequence_number: n }));
    for (const events of [stream('resp_up', 1700000000), stream('resp_other', 1700000042)]) {
      const t = turn();
      const ids = streamRewriter(t);
      for (const event of events) {
        const expected = structuredClone(event);
        applyStateFields(t, expected.response);
        expect(ids.rewrite(event.type, JSON.stringify(event))).toBe(JSON.stringify(expected));
      }
      expect(ids.echoed).toBe(0);
    }
    expect(startTemplates.matched).toBe(2);
  });

  it("edits a stream's later start events as its first when only their type and sequence number differ", () => {
    const response = { id: 'resp_up', object: 'response', created_at: 1700000000, status: 'in_progress', store: true, metadata: { type: 'response.created' } };
    // The sequence number before the Response (OpenAI's order), after it, absent; its digits
    // growing or shrinking (the Response moves); the type named as the event is, or another.
    const shapes = [
      (type: string, n: number) => ({ type, sequence_number: n, response }),
      (type: string, n: number) => ({ type, response, sequence_number: n }),
      (type: string) => ({ type, response }),
      (type: string, n: number) => ({ sequence_number: n, response, type }),
    ];
    const later: [string, number, boolean][] = [
      ['response.in_progress', 1, true],
      ['response.in_progress', 10, true],
      ['response.queued', 123456, true],
      ['response.created', 0, true],
    ];
    for (const store of [true, false]) {
      for (const shape of shapes) {
        startTemplates.reset();
        const t = { ...turn(), store };
        const ids = streamRewriter(t);
        const first = shape('response.created', 99);
        const expectedFirst = structuredClone(first);
        applyStateFields(t, expectedFirst.response);
        expect(ids.rewrite('response.created', JSON.stringify(first))).toBe(JSON.stringify(expectedFirst));
        for (const [type, n] of later) {
          const event = shape(type, n);
          const expected = structuredClone(event);
          applyStateFields(t, expected.response);
          expect(ids.rewrite(type, JSON.stringify(event))).toBe(JSON.stringify(expected));
        }
        expect(ids.echoed).toBe(later.length);
        expect(ids.serialised).toBe(false);
      }
    }
    // Not an echo, each read as the first was: a type that is not the event's name, a sequence
    // number that is not digits, another Response, another member, other spacing, a Response
    // spelled twice (the last one counts).
    const t = turn();
    const ids = streamRewriter(t);
    const first = { type: 'response.created', sequence_number: 1, response };
    expect(JSON.parse(ids.rewrite('response.created', JSON.stringify(first))).response.id).toBe('resp_ours');
    const others = [
      JSON.stringify({ type: 'response.queued', sequence_number: 1, response }),
      JSON.stringify({ type: 'response.in_progress', sequence_number: 1.5, response }),
      JSON.stringify({ type: 'response.in_progress', sequence_number: -1, response }),
      JSON.stringify({ type: 'response.in_progress', sequence_number: 1, response: { ...response, status: 'queued' } }),
      JSON.stringify({ type: 'response.in_progress', sequence_number: 1, response, more: 1 }),
      JSON.stringify({ type: 'response.in_progress', sequence_number: 1, response }).replace(':1,', ': 1,'),
      `${JSON.stringify({ type: 'response.in_progress', sequence_number: 1, response }).slice(0, -1)},"response":{"id":"resp_x"}}`,
      // Another Response of the same length: told apart by its text, not its length.
      JSON.stringify({ type: 'response.in_progress', sequence_number: 1, response: { ...response, created_at: response.created_at + 1 } }),
      JSON.stringify({ type: 'response.in_progress', sequence_number: 1, response: { ...response, metadata: { type: 'response.createe' } } }),
    ];
    for (const text of others) {
      const expected = JSON.parse(text);
      if (expected.response !== null) applyStateFields(t, expected.response);
      expect(JSON.parse(ids.rewrite('response.in_progress', text))).toEqual(expected);
    }
    expect(ids.echoed).toBe(0);
  });

  it("makes a template of an output_item.added event: a later stream's item is read from it", () => {
    itemTemplates.reset();
    for (const id of ['msg_0123456789abcdef0123', 'msg_fedcba9876543210fedc']) {
      const t = turn();
      const added = `{"type":"response.output_item.added","output_index":0,"item":{"id":"${id}","type":"message","content":[]},"sequence_number":2}`;
      expect(streamRewriter(t).rewrite('response.output_item.added', added)).toBe(added);
      expect(t.streamedIds).toEqual([id]);
    }
    expect(itemTemplates.matched).toBe(1);
  });

  it('splices what applyStateFields sets, the upstream id kept when the turn is not stored', () => {
    for (const [store, previousResponseId] of [[false, 'resp_prev'], [false, null], [true, null]] as const) {
      const t = { ...turn(), store, previousResponseId };
      const event = { type: 'response.created', response: { id: 'resp_up', status: 'in_progress', store: false, metadata: {} }, sequence_number: 0 };
      const expected = structuredClone(event);
      applyStateFields(t, expected.response);
      expect(streamRewriter(t).rewrite('response.created', JSON.stringify(event))).toBe(JSON.stringify(expected));
    }
  });

  it("finds an item's id by searching the text only where that finds what JSON.parse reads", () => {
    const ID = 'msg_0123456789abcdef0123';
    const OTHER = 'msg_fedcba9876543210fedc';
    const cases: [string, string, number][] = [
      // The id first, its text and the item's content naming other ids as text.
      [`{"type":"response.output_item.added","output_index":1,"item":{"id":"${ID}","type":"message","content":[{"text":"\\"id\\":\\"${OTHER}\\" ${OTHER}"}]},"sequence_number":2}`, ID, 1],
      // The id given twice: JSON.parse keeps the last.
      [`{"type":"response.output_item.added","output_index":0,"item":{"id":"${OTHER}","type":"message","id":"${ID}"}}`, ID, 0],
      // The last one spelled with an escape.
      [`{"type":"response.output_item.added","output_index":0,"item":{"id":"${OTHER}","\\u0069d":"${ID}"}}`, ID, 0],
      // An output_index only inside the item: not the event's (the next index is taken).
      [`{"type":"response.output_item.added","item":{"id":"${ID}","output_index":7}}`, ID, 0],
      // An output_index after the item, spaced.
      [`{"type":"response.output_item.added","item":{"id":"${ID}"},"output_index": 3 }`, ID, 3],
      // An item nested in another member too.
      [`{"type":"response.output_item.added","extra":{"item":{"id":"${OTHER}"}},"output_index":2,"item":{"id":"${ID}"}}`, ID, 2],
      // Keys spaced before their colon: an output_index, a second one, a second id.
      [`{"type":"response.output_item.added","output_index" : 2,"item":{"id":"${ID}","type":"message"}}`, ID, 2],
      [`{"type":"response.output_item.added","output_index":0,"item":{"id":"${ID}"},"output_index" :2}`, ID, 2],
      [`{"type":"response.output_item.added","output_index":0,"item":{"id":"${OTHER}","type":"message","id" : "${ID}"}}`, ID, 0],
    ];
    for (const [data, id, index] of cases) {
      const t = turn();
      expect(JSON.parse(data).item.id).toBe(id);
      expect(streamRewriter(t).rewrite('response.output_item.added', data)).toBe(data);
      const expected: (string | undefined)[] = [];
      expected[index] = id;
      expect(t.streamedIds).toEqual(expected);
    }
    // A second item, spaced: JSON.parse keeps it, without an id (one is made) or null (nothing to name).
    const noId = turn();
    const again = `{"type":"response.output_item.added","output_index":0,"item":{"id":"${ID}"},"item": {"type":"message"}}`;
    expect(JSON.parse(streamRewriter(noId).rewrite('response.output_item.added', again)).item.id).toBe('msg_stout0');
    const none = turn();
    const nullItem = `{"type":"response.output_item.added","output_index":0,"item":{"id":"${ID}"},"item":null}`;
    expect(streamRewriter(none).rewrite('response.output_item.added', nullItem)).toBe(nullItem);
    expect(none.streamedIds).toEqual([]);
  });

  it("reads a later stream's item ids where an earlier stream's event had them, as from the text of each", () => {
    /** The rewriter of a fresh module: no template made by an earlier event. */
    const fresh = (t: Turn) => {
      let rewriter = streamRewriter;
      jest.isolateModules(() => {
        rewriter = (jest.requireActual('./stored-turn') as { streamRewriter: typeof streamRewriter }).streamRewriter;
      });
      return rewriter(t);
    };
    const added = (id: string, index: string, sequence: number, item = '"type":"message","content":[]') =>
      `{"type":"response.output_item.added","output_index":${index},"item":{"id":${JSON.stringify(id)},${item}},"sequence_number":${sequence}}`;
    const streams = [
      [added('msg_0123456789abcdef0123', '0', 2)],
      [added('msg_a_longer_one_0123456789abcdef', '12', 1234), added('msg_fedcba9876543210fedc', '13', 1240)],
      [added('msg_0123456789abcdef0123', '0', 2), added('msg_0123456789abcdef0123', '1', 3)],
      [added('msg_1', '0', 2), added('msg_0123456789abcdef\u0030123', '1', 3), added('msg_0123456789abcdef0123', '-1', 3)],
      [added('msg_0123456789abcdef0123', '1.5', 2), added('msg_0123456789abcdef01\n3', '0', 2)],
      [added('msg_0123456789abcdef0123', '01', 2), added('msg_fedcba9876543210fedc', '1', 3)],
      [added('msg_0123456789abcdef0123', '0', 2, '"type":"message","id":"msg_fedcba9876543210fedc"')],
    ];
    for (const events of streams) {
      const t = turn();
      const reference = turn();
      const ids = streamRewriter(t);
      const walked = fresh(reference);
      for (const data of events) expect(ids.rewrite('response.output_item.added', data)).toBe(walked.rewrite('response.output_item.added', data));
      expect(t.streamedIds).toEqual(reference.streamedIds);
    }
  });

  it('reads trusted item ids off the text, and parses an event whose item id it cannot read plainly', () => {
    const t = turn();
    const ids = streamRewriter(t);
    const added = (index: number, id: string) => `{"type":"response.output_item.added","item":{"type":"message","id":${JSON.stringify(id)},"content":[{"id":"x"}]},"output_index":${index}}`;
    const first = added(1, 'msg_0123456789abcdef0123');
    expect(ids.rewrite('response.output_item.added', first)).toBe(first);
    // The same id again cannot be trusted to be unique: renamed.
    expect(JSON.parse(ids.rewrite('response.output_item.added', added(0, 'msg_0123456789abcdef0123'))).item.id).toBe('msg_stout0');
    // An escape in the id: parsed, and trusted once read.
    const escaped = added(2, 'msg_0123456789abcdefA').replace('defA"', 'def\\u0041"');
    expect(ids.rewrite('response.output_item.added', escaped)).toBe(escaped);
    // Not JSON (a bad escape): left as it came, nothing recorded.
    const bad = added(3, 'msg_0123456789abcdefB').replace('defB"', 'def\\x"');
    expect(ids.rewrite('response.output_item.added', bad)).toBe(bad);
    expect(t.streamedIds).toEqual(['msg_stout0', 'msg_0123456789abcdef0123', 'msg_0123456789abcdefA']);
  });
});
