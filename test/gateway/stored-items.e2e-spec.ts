import OpenAI from 'openai';
import { Client } from 'pg';
import { BackgroundResponses } from '../../apps/gateway/src/background/background-responses.service';
import { ResponseStore } from '../../apps/gateway/src/settle/response-store.service';
import { ResponseCache } from '../../apps/gateway/src/state/response-cache';
import { idStemOf, newResponseId, storedItemsOf, type StoredResponseRow } from '../../apps/gateway/src/state/stored-response';
import { StoredResponseRepository } from '../../apps/gateway/src/state/stored-response.repository';
import { eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';

const MODEL = 'openai/gpt-4o-mini';

/**
 * An item id the gateway mints for a turn names its response, source and position, and has no
 * stored_items row: item references read it from its response's row. Ids a turn did not mint
 * (an upstream's, a client's, an earlier turn's item copied into this turn's input) have rows.
 */
describe('stored item ids: minted ones located by their id, the rest by their rows', () => {
  let h: GatewayHarness;
  let pg: Client;
  let repo: StoredResponseRepository;
  let client: OpenAI;
  let keyId: string;

  beforeAll(async () => {
    h = await startGatewayHarness();
    const key = await h.createKey({ name: 'stored-items' });
    keyId = key.id;
    client = new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    repo = h.gateway.app.get(StoredResponseRepository);
    pg = new Client({ connectionString: h.db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    await h?.close();
  });

  /** A stored turn, written: the item ids of its input and output. */
  async function turn(input: OpenAI.Responses.ResponseCreateParams['input']): Promise<{ id: string; inputIds: string[]; outputIds: string[] }> {
    const r = await client.responses.create({ model: MODEL, input });
    await h.gateway.app.get(ResponseStore).idle();
    const inputIds = (await client.responses.inputItems.list(r.id, { order: 'asc' })).data.map((i) => i.id!);
    return { id: r.id, inputIds, outputIds: r.output.map((o) => o.id!) };
  }

  const rowsOf = async (itemId: string) => (await pg.query(`SELECT response_id FROM stored_items WHERE item_id = $1`, [itemId])).rows.map((r) => r.response_id as string);

  it('a string input is one minted item with no stored_items row, found by its id alone; only the trusted upstream output id has a row', async () => {
    const t = await turn('Minted');
    expect(t.inputIds).toEqual([`msg_${idStemOf(t.id)}in0`]);
    expect(await rowsOf(t.inputIds[0])).toEqual([]);
    expect(await rowsOf(t.outputIds[0])).toEqual([t.id]);
    const found = await repo.findItems(keyId, [t.inputIds[0], t.outputIds[0]]);
    expect(found.get(t.inputIds[0])).toMatchObject({ type: 'message', role: 'user', id: t.inputIds[0] });
    expect(found.get(t.outputIds[0])).toMatchObject({ role: 'assistant', id: t.outputIds[0] });
    // Only for its own key.
    const other = await h.createKey({ name: 'stored-items-other' });
    expect((await repo.findItems(other.id, [t.inputIds[0]])).size).toBe(0);
    // Through the API, with nothing in this process's memory.
    h.gateway.app.get(ResponseCache).delete(t.id);
    const follow = await turn([{ type: 'item_reference', id: t.inputIds[0] } as never]);
    expect(follow.inputIds).toEqual([t.inputIds[0]]);
  });

  it('an id that looks minted but is not at the place it names is not found', async () => {
    const t = await turn('Misplaced');
    const stem = idStemOf(t.id);
    const found = await repo.findItems(keyId, [`msg_${stem}in1`, `msg_${stem}out0`, `fc_${stem}in0x`, `msg_${idStemOf(newResponseId())}in0`]);
    expect(found.size).toBe(0);
  });

  it('a minted id with the right place but another type prefix is found neither in the cache nor in the database', async () => {
    const t = await turn('Prefixed');
    const wrong = `fc_${idStemOf(t.id)}in0`;
    expect(t.inputIds[0]).toBe(`msg_${idStemOf(t.id)}in0`);
    expect(h.gateway.app.get(ResponseCache).getItem(keyId, wrong)).toBeUndefined();
    expect((await repo.findItems(keyId, [wrong])).size).toBe(0);
    await expect(client.responses.create({ model: MODEL, input: [{ type: 'item_reference', id: wrong } as never] })).rejects.toMatchObject({ status: 404 });
  });

  it('one request referencing many minted ids of one response gets each item, in its order', async () => {
    const t = await turn([{ role: 'user', content: 'first' }, { role: 'user', content: 'second' }, { role: 'user', content: 'third' }]);
    const stem = idStemOf(t.id);
    expect(t.inputIds).toEqual([`msg_${stem}in0`, `msg_${stem}in1`, `msg_${stem}in2`]);
    const found = await repo.findItems(keyId, [...t.inputIds].reverse());
    expect(t.inputIds.map((i) => (found.get(i)?.content as string | undefined))).toEqual(['first', 'second', 'third']);
    // Through the API with the response in the cache, then from the database alone.
    for (const cached of [true, false]) {
      if (!cached) h.gateway.app.get(ResponseCache).delete(t.id);
      const refs = [t.inputIds[2], t.inputIds[0], t.outputIds[0], t.inputIds[1]].map((id) => ({ type: 'item_reference', id }) as never);
      await client.responses.create({ model: MODEL, input: refs });
      const sent = JSON.stringify(h.upstream.requests.at(-1)!.body);
      const at = ['third', 'first', 'assistant', 'second'].map((text) => sent.indexOf(text));
      expect(at.every((p, k) => p !== -1 && (k === 0 || p > at[k - 1]))).toBe(true);
    }
  });

  it('a minted id found elsewhere in the response that minted it, not at its place, is found neither in the cache nor in the database', async () => {
    const id = newResponseId();
    const stem = idStemOf(id);
    const inputItems = [{ type: 'message', id: 'client_a', role: 'user', content: 'a' }, { type: 'message', id: `msg_${stem}in0`, role: 'user', content: 'misplaced' }];
    const output = [{ type: 'message', id: `msg_${stem}out1`, role: 'assistant', content: [] }];
    // Rows for neither (as if a writer had not listed them), in the cache as in the table.
    const written = row(id, inputItems, output);
    await repo.insert([written]);
    const cache = h.gateway.app.get(ResponseCache);
    cache.add(id, keyId, 'completed', false, 'm', null, written.expiresAt, written.responseJson, written.inputItemsJson, []);
    for (const misplaced of [`msg_${stem}in0`, `msg_${stem}out1`]) {
      expect(cache.getItem(keyId, misplaced)).toBeUndefined();
      expect((await repo.findItems(keyId, [misplaced])).size).toBe(0);
    }
    cache.delete(id);
  });

  it('deleting a response makes its minted ids unresolvable, while a copy in a later turn keeps the item', async () => {
    const original = await turn('Copied later');
    const minted = original.inputIds[0];
    const copy = await turn([{ type: 'item_reference', id: minted } as never, { role: 'user', content: 'and more' }]);
    // The copy keeps the earlier turn's id, and has a row under the later turn.
    expect(copy.inputIds[0]).toBe(minted);
    expect(await rowsOf(minted)).toEqual([copy.id]);
    const alone = await turn('Never copied');

    await client.responses.delete(original.id);
    await client.responses.delete(alone.id);
    const found = await repo.findItems(keyId, [minted, alone.inputIds[0]]);
    expect(found.get(minted)).toMatchObject({ role: 'user', id: minted });
    expect(found.has(alone.inputIds[0])).toBe(false);
    await expect(client.responses.create({ model: MODEL, input: [{ type: 'item_reference', id: alone.inputIds[0] } as never] })).rejects.toMatchObject({ status: 404 });

    await client.responses.delete(copy.id);
    expect((await repo.findItems(keyId, [minted])).size).toBe(0);
  });

  it('the newest copy of an item answers, as with rows alone', async () => {
    const original = await turn('Edited copy');
    const minted = original.inputIds[0];
    // A client echoing the item under its id, changed.
    await turn([{ type: 'message', id: minted, role: 'user', content: 'changed' } as never]);
    expect((await repo.findItems(keyId, [minted])).get(minted)).toMatchObject({ content: 'changed' });
  });

  /** A row as the gateway writes it, with the given input items and output. */
  function row(id: string, inputItems: object[], output: object[], fields: Partial<StoredResponseRow> = {}): StoredResponseRow {
    const now = Date.now();
    return {
      id, keyId, createdAt: now, expiresAt: now + 86_400_000, status: 'completed', background: false, model: 'm', previousResponseId: null,
      requestJson: '{}', inputItemsJson: JSON.stringify(inputItems), responseJson: JSON.stringify({ id, object: 'response', output }), errorJson: null, items: [], ...fields,
    };
  }

  it('a background response finishing writes rows only for the output ids it did not mint', async () => {
    const id = newResponseId();
    await repo.insert([row(id, [], [], { status: 'queued', background: true })]);
    const output = [
      { type: 'message', id: 'msg_trusted_upstream_0123456789', role: 'assistant', content: [] },
      { type: 'function_call', id: `fc_${idStemOf(id)}out1`, call_id: 'c', name: 'n', arguments: '{}' },
    ];
    const response = JSON.stringify({ id, object: 'response', status: 'completed', output });
    expect(await repo.finish(id, keyId, 'completed', response, null, storedItemsOf(idStemOf(id), [], { output }))).toBe(true);
    expect(await rowsOf(output[0].id)).toEqual([id]);
    expect(await rowsOf(output[1].id)).toEqual([]);
    const found = await repo.findItems(keyId, output.map((o) => o.id));
    expect(found.get(output[0].id)).toMatchObject({ role: 'assistant' });
    expect(found.get(output[1].id)).toMatchObject({ type: 'function_call', call_id: 'c' });
  });

  it('a queued background response: its minted input id is found before it finishes', async () => {
    const queued = await client.responses.create({ model: MODEL, input: 'Background [[delay:3000]]', background: true });
    const stem = idStemOf(queued.id);
    expect((await repo.findItems(keyId, [`msg_${stem}in0`])).get(`msg_${stem}in0`)).toMatchObject({ role: 'user' });
    expect((await client.responses.cancel(queued.id)).status).toBe('cancelled');
    await eventually(() => !h.gateway.app.get(BackgroundResponses).runningIds().includes(queued.id), 10_000);
    await h.gateway.app.get(ResponseStore).idle();
    expect((await repo.findItems(keyId, [`msg_${stem}in0`])).size).toBe(1);
  });

  it('a background response cancelled or failed before its outcome arrives: its minted output ids are not found, and the late outcome writes none', async () => {
    for (const end of ['cancelled', 'failed'] as const) {
      const id = newResponseId();
      const stem = idStemOf(id);
      await repo.insert([row(id, [{ type: 'message', id: `msg_${stem}in0`, role: 'user', content: 'go' }], [], { status: 'queued', background: true })]);
      if (end === 'cancelled') expect(await repo.endUnfinished(id, keyId, 'cancelled', null)).not.toBeNull();
      else expect(await repo.failStale(0, { code: 'server_restarted', message: 'x' })).toBeGreaterThanOrEqual(1);
      const output = [{ type: 'message', id: `msg_${stem}out0`, role: 'assistant', content: [] }, { type: 'message', id: `msg_late_upstream_${stem}`, role: 'assistant', content: [] }];
      const response = JSON.stringify({ id, object: 'response', status: 'completed', output });
      expect(await repo.finish(id, keyId, 'completed', response, null, storedItemsOf(stem, [], { output }))).toBe(false);
      expect((await repo.findItems(keyId, output.map((o) => o.id))).size).toBe(0);
      expect((await pg.query(`SELECT status FROM stored_responses WHERE id = $1`, [id])).rows).toEqual([{ status: end }]);
    }
  });

  it('ids minted before stems were response ids resolve through their rows', async () => {
    const id = newResponseId();
    const oldInput = `msg_${id.slice(5, 17)}0123456789abin0`;
    const oldOutput = `msg_${id.slice(5, 17)}0123456789about0`;
    await repo.insert([row(id, [{ type: 'message', id: oldInput, role: 'user', content: 'old' }], [{ type: 'message', id: oldOutput, role: 'assistant', content: [] }], {
      items: [{ source: 'input', position: 0, itemId: oldInput }, { source: 'output', position: 0, itemId: oldOutput }],
    })]);
    const found = await repo.findItems(keyId, [oldInput, oldOutput]);
    expect(found.get(oldInput)).toMatchObject({ content: 'old' });
    expect(found.get(oldOutput)).toMatchObject({ role: 'assistant' });
  });
});
