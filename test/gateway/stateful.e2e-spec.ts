import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, type ModelMessage, streamText } from 'ai';
import OpenAI from 'openai';
import { Client } from 'pg';
import type { Json } from '@app/common';
import { loadConfig } from '@app/config';
import { createFakeUpstream, type FakeUpstream } from '../../apps/fake-upstream/src/fake-upstream';
import { startGateway } from '../../apps/gateway/src/gateway.bootstrap';
import { BackgroundResponses } from '../../apps/gateway/src/background/background-responses.service';
import { ResponseStore } from '../../apps/gateway/src/settle/response-store.service';
import { ResponseCache } from '../../apps/gateway/src/state/response-cache';
import { StateMaintenance } from '../../apps/gateway/src/state/state-maintenance.service';
import { idStemOf, toInputItems, toJsonb } from '../../apps/gateway/src/state/stored-response';
import { StoredResponseWriter } from '../../apps/gateway/src/state/stored-response.writer';
import { eventually, startGatewayHarness, type GatewayHarness } from '../support/gateway-harness';


const MODEL = 'openai/gpt-4o-mini';
const CLAUDE = 'anthropic/claude-sonnet-4-5';

/**
 * Stateful Responses: the gateway stores turns in Postgres and resolves previous_response_id
 * and item_reference itself, so conversations carry on across providers and fallbacks.
 */
describe('stateful Responses: store, previous_response_id, item_reference, retrieval, background', () => {
  let h: GatewayHarness;
  let anthropic: FakeUpstream;
  let pg: Client;
  let client: OpenAI;
  let other: OpenAI;
  let keyId: string;
  let apiKey: string;

  beforeAll(async () => {
    anthropic = await createFakeUpstream();
    const fast = { max_retries: 2, retry_backoff_ms: 1, retry_backoff_max_ms: 20, timeout_ms: 5_000, stream_idle_timeout_ms: 2_000 };
    h = await startGatewayHarness(() => ({ anthropic: { base_url: anthropic.url, keys: [{ value: 'sk-ant-test' }], ...fast } }));
    const k = await h.createKey({ name: 'stateful' });
    keyId = k.id;
    apiKey = k.key;
    client = new OpenAI({ apiKey: k.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    other = new OpenAI({ apiKey: (await h.createKey({ name: 'other' })).key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    pg = new Client({ connectionString: h.db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    await h?.close();
    await anthropic?.close();
  });
  beforeEach(() => {
    h.upstream.reset();
    h.backup.reset();
    anthropic.reset();
  });

  const sentInput = (u: FakeUpstream = h.upstream) => (u.requests.at(-1)!.body as { input: Json[] }).input;
  const texts = (items: Json[]) =>
    items.map((i) => {
      const c = i.content;
      const text = typeof c === 'string' ? c : (c as Json[]).map((p) => p.text).join('');
      return `${String(i.role)}: ${text}`;
    });

  it('chains three turns through previous_response_id; the upstream gets the whole conversation, never the id', async () => {
    const r1 = await client.responses.create({ model: MODEL, input: 'My name is Ada.' });
    expect(r1.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(r1).toMatchObject({ store: true, previous_response_id: null, status: 'completed' });
    expect(h.upstream.requests.at(-1)!.body).toMatchObject({ store: false, input: 'My name is Ada.' });

    const r2 = await client.responses.create({ model: MODEL, input: 'What is my name?', previous_response_id: r1.id });
    expect(r2.previous_response_id).toBe(r1.id);
    const sent2 = h.upstream.requests.at(-1)!.body as Json;
    expect(sent2).not.toHaveProperty('previous_response_id');
    expect(sent2.store).toBe(false);
    expect(texts(sentInput())).toEqual(['user: My name is Ada.', `assistant: ${r1.output_text}`, 'user: What is my name?']);

    const r3 = await client.responses.create({
      model: MODEL,
      instructions: 'Be brief.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'And again?' }] }],
      previous_response_id: r2.id,
    });
    expect(r3.output_text).toBe('Hello from gpt-4o-mini! You said: And again?');
    expect(texts(sentInput())).toEqual([
      'user: My name is Ada.', `assistant: ${r1.output_text}`, 'user: What is my name?', `assistant: ${r2.output_text}`, 'user: And again?',
    ]);
    // Instructions are per request, as at OpenAI: not carried over, sent when given.
    expect((h.upstream.requests.at(-1)!.body as Json).instructions).toBe('Be brief.');
    // Earlier answers went back with their ids (as a client echoing response.output would send them).
    expect(sentInput()[1]).toMatchObject({ type: 'message', role: 'assistant', id: r1.output[0].id });
  });

  it('resolves chains and item references from the database when this process does not hold them', async () => {
    const r1 = await client.responses.create({ model: MODEL, input: 'Alpha' });
    const r2 = await client.responses.create({ model: MODEL, input: 'Beta', previous_response_id: r1.id });
    const r3 = await client.responses.stream({ model: MODEL, input: 'Gamma', previous_response_id: r2.id }).finalResponse();
    const cache = h.gateway.app.get(ResponseCache);
    // r3 stays in memory, its ancestors must come from Postgres (one recursive query).
    cache.delete(r1.id);
    cache.delete(r2.id);
    await client.responses.create({ model: MODEL, input: 'Delta', previous_response_id: r3.id });
    expect(texts(sentInput())).toEqual([
      'user: Alpha', `assistant: ${r1.output_text}`, 'user: Beta', `assistant: ${r2.output_text}`, 'user: Gamma', `assistant: ${r3.output_text}`, 'user: Delta',
    ]);
    cache.delete(r3.id);
    await client.responses.create({
      model: MODEL,
      input: [{ type: 'item_reference', id: r2.output[0].id! }, { type: 'item_reference', id: r3.output[0].id! }, { role: 'user', content: 'Epsilon' }] as never,
    });
    expect(texts(sentInput())).toEqual([`assistant: ${r2.output_text}`, `assistant: ${r3.output_text}`, 'user: Epsilon']);
    // A user item of an earlier turn is referenceable too.
    const [userItem] = (await client.responses.inputItems.list(r2.id)).data;
    cache.delete(r2.id);
    await client.responses.create({ model: MODEL, input: [{ type: 'item_reference', id: userItem.id! }] as never });
    expect(texts(sentInput())).toEqual(['user: Beta']);
  });

  it("stores an indented upstream answer (OpenAI's own spacing) through the parse path: retrieval, follow-ups and item references read it", async () => {
    const res = await fetch(`${h.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: 'Indented, please [[pretty]]' }),
    });
    const text = await res.text();
    const r1 = JSON.parse(text) as Json;
    // serialised again, not walked as text (execute.service.ts: isIndented)
    expect(text.startsWith(`{"id":"${String(r1.id)}","object":"response",`)).toBe(true);
    expect(r1).toMatchObject({ store: true, previous_response_id: null, status: 'completed', extra_fields: { provider: 'openai' } });
    expect((r1.usage as Json).cost).toMatchObject({ total_cost: expect.any(Number) });
    const output = r1.output as Json[];
    expect(output[0].id).toBe((await client.responses.retrieve(String(r1.id))).output[0].id);

    const r2 = await client.responses.create({ model: MODEL, input: 'And again', previous_response_id: String(r1.id) });
    expect(texts(sentInput())).toEqual(['user: Indented, please [[pretty]]', `assistant: ${String(((output[0].content as Json[])[0]).text)}`, 'user: And again']);
    h.gateway.app.get(ResponseCache).delete(String(r1.id));
    await client.responses.create({ model: MODEL, input: [{ type: 'item_reference', id: String(output[0].id) }] as never, previous_response_id: r2.id });
    // r1 from the database now: its row's items name the output item
    expect(texts(sentInput())[0]).toBe('user: Indented, please [[pretty]]');
    expect(sentInput().at(-1)).toMatchObject({ role: 'assistant', id: output[0].id });
  });

  it("stores input items from the client's own text (spacing and escapes kept, types and ids added), listed and referenced from memory and the database as before", async () => {
    const body = [
      '{',
      `  "model": "${MODEL}",`,
      '  "input": [',
      '    {"role": "user", "content": "caf\\u00e9 \\ud83d\\ude00 \\u0000 \\udc00 a\\/b\\t"},',
      '    {"id": "", "type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]},',
      '    {"type": "function_call_output", "call_id": "c1", "output": "{\\"n\\":1}"},',
      '    {"type": "message", "id": "msg_client_0123456789abcdef", "role": "user", "content": "mine"}',
      '  ]',
      '}',
    ].join('\n');
    const post = async (json: string) => {
      const res = await fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: json });
      expect(res.status).toBe(200);
      const { id } = (await res.json()) as { id: string };
      await h.gateway.app.get(StoredResponseWriter).flush();
      const { rows } = await pg.query<{ text: string }>('SELECT input_items_json AS text FROM stored_responses WHERE id = $1', [id]);
      return { id, text: rows[0].text };
    };
    const { id, text } = await post(body);
    expect(text).toContain('"caf\\u00e9');
    // A follow-up's own input too: previous_response_id does not change it.
    expect((await post(`{"model":"${MODEL}","previous_response_id":"${id}","input":[{"role":"user","content":"caf\\u00e9 again"}]}`)).text).toContain('"caf\\u00e9 again"');
    // What the items JSON.stringify wrote would be, as the database keeps them.
    const items = JSON.parse(toJsonb(JSON.stringify(toInputItems((JSON.parse(body) as Json).input, idStemOf(id))))) as Json[];
    const listed = await fetch(`${h.url}/v1/responses/${id}/input_items?order=asc`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(((await listed.json()) as { data: Json[] }).data).toEqual(items);
    // The item whose empty id the gateway's follows in the text, by that id: from memory, then from the database.
    for (const cached of [true, false]) {
      if (!cached) h.gateway.app.get(ResponseCache).delete(id);
      await client.responses.create({ model: MODEL, input: [{ type: 'item_reference', id: String(items[1].id) }, { role: 'user', content: 'next' }] as never });
      expect(texts(sentInput())).toEqual(['assistant: ok', 'user: next']);
    }
  });

  it('chains streamed turns: the stream carries the gateway id and a follow-up works the moment it ended', async () => {
    const stream = client.responses.stream({ model: MODEL, input: 'Remember: blue [[chunks:3]]' });
    const ids = new Set<string>();
    stream.on('event', (e) => {
      if ('response' in e) ids.add((e.response as { id: string }).id);
    });
    const s1 = await stream.finalResponse();
    expect(s1.id).toMatch(/^resp_/);
    expect([...ids]).toEqual([s1.id]);

    // Streamed follow-up, immediately.
    const s2 = await client.responses.stream({ model: MODEL, input: 'Which colour?', previous_response_id: s1.id }).finalResponse();
    expect(s2.previous_response_id).toBe(s1.id);
    expect(texts(sentInput())).toEqual(['user: Remember: blue [[chunks:3]]', `assistant: ${s1.output_text}`, 'user: Which colour?']);

    // Non-streamed third turn on top of two streamed ones.
    const r3 = await client.responses.create({ model: MODEL, input: 'Once more', previous_response_id: s2.id });
    expect(sentInput()).toHaveLength(5);
    const stored = await client.responses.retrieve(s2.id);
    expect(stored.output_text).toBe(s2.output_text);
    expect(stored.output[0].id).toBe(s2.output[0].id);
    expect(r3.previous_response_id).toBe(s2.id);
  });

  it('keeps the context when the second turn falls back to another provider', async () => {
    const r1 = await client.responses.create({ model: MODEL, input: 'The code word is kiwi.' });
    h.upstream.failNext(3, 500);
    const { data: r2, response } = await client.responses
      .create({ model: MODEL, input: 'What is the code word?', previous_response_id: r1.id, fallbacks: ['backup/m'] } as never)
      .withResponse();
    expect(response.headers.get('x-bf-provider')).toBe('backup');
    expect(h.backup.requests).toHaveLength(1);
    expect(texts(sentInput(h.backup))).toEqual(['user: The code word is kiwi.', `assistant: ${r1.output_text}`, 'user: What is the code word?']);
    // And the third turn, back on the primary, sees the fallback's answer.
    await client.responses.create({ model: MODEL, input: 'Thanks', previous_response_id: r2.id });
    expect(texts(sentInput())[3]).toBe(`assistant: ${r2.output_text}`);
  });

  it('resolves a conversation started on OpenAI for Anthropic, and chains Anthropic turns', async () => {
    const r1 = await client.responses.create({ model: MODEL, input: 'I live in Lyon.' });
    const r2 = await client.responses.create({ model: CLAUDE, input: 'Where do I live?', previous_response_id: r1.id });
    expect(r2.output_text).toBe('Hello from claude-sonnet-4-5! You said: Where do I live?');
    const messages = () => (anthropic.requests.at(-1)!.body as { messages: Json[] }).messages;
    expect(messages()).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'I live in Lyon.' }] },
      { role: 'assistant', content: [{ type: 'text', text: r1.output_text }] },
      { role: 'user', content: [{ type: 'text', text: 'Where do I live?' }] },
    ]);
    const s3 = await client.responses.stream({ model: CLAUDE, input: 'Sure?', previous_response_id: r2.id }).finalResponse();
    expect(s3.previous_response_id).toBe(r2.id);
    expect(messages()).toHaveLength(5);
    expect(messages()[3]).toEqual({ role: 'assistant', content: [{ type: 'text', text: r2.output_text }] });
  });

  describe('the AI SDK default multi-turn conversation (store on: earlier answers go as item_reference)', () => {
    const sentToGateway: Json[] = [];
    const sdk = () =>
      createOpenAI({
        apiKey,
        baseURL: `${h.url}/v1`,
        fetch: async (url, init) => {
          if (typeof init?.body === 'string') sentToGateway.push(JSON.parse(init.body) as Json);
          return fetch(url, init);
        },
      });

    it.each([
      ['OpenAI', MODEL, () => h.upstream],
      ['Anthropic', CLAUDE, () => anthropic],
    ])('generateText twice with the first answer in messages (%s)', async (_name, model, upstream) => {
      const provider = sdk();
      const messages: ModelMessage[] = [{ role: 'user', content: 'My favourite fruit is mango.' }];
      const first = await generateText({ model: provider.responses(model), messages, maxRetries: 0 });
      messages.push(...first.response.messages, { role: 'user', content: 'What is my favourite fruit?' });
      const second = await generateText({ model: provider.responses(model), messages, maxRetries: 0 });
      expect(second.text).toContain('What is my favourite fruit?');

      const sent = sentToGateway.at(-1)!.input as Json[];
      expect(sent[1]).toEqual({ type: 'item_reference', id: expect.stringMatching(/^msg_/) });
      const body = upstream().requests.at(-1)!.body as Json;
      if (model === MODEL) {
        expect(texts(body.input as Json[])).toEqual(['user: My favourite fruit is mango.', `assistant: ${first.text}`, 'user: What is my favourite fruit?']);
      } else {
        expect((body.messages as Json[])[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: first.text }] });
      }
    });

    it('streamText follow-up resolves the reference to a streamed answer', async () => {
      const provider = sdk();
      const messages: ModelMessage[] = [{ role: 'user', content: 'Note: 42 [[chunks:3]]' }];
      const first = streamText({ model: provider.responses(MODEL), messages, maxRetries: 0 });
      messages.push(...(await first.response).messages, { role: 'user', content: 'Which number?' });
      const second = streamText({ model: provider.responses(MODEL), messages, maxRetries: 0 });
      expect(await second.text).toContain('Which number?');
      expect((sentToGateway.at(-1)!.input as Json[])[1]).toMatchObject({ type: 'item_reference' });
      expect(texts(sentInput())).toEqual(['user: Note: 42 [[chunks:3]]', `assistant: ${await first.text}`, 'user: Which number?']);
    });
  });

  it('GET, GET ?stream=true, input_items and DELETE in the official SDK shapes', async () => {
    const r1 = await client.responses.create({ model: MODEL, input: 'first' });
    const r2 = await client.responses.create({
      model: MODEL,
      previous_response_id: r1.id,
      input: [
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
        { type: 'item_reference', id: r1.output[0].id! } as never,
      ],
    });
    const got = await client.responses.retrieve(r2.id);
    expect(got).toMatchObject({ id: r2.id, object: 'response', status: 'completed', previous_response_id: r1.id, output_text: r2.output_text });
    expect(got.usage).toEqual(r2.usage);

    const events: string[] = [];
    let replayed: OpenAI.Responses.Response | undefined;
    for await (const e of await client.responses.retrieve(r2.id, { stream: true })) {
      events.push(e.type);
      if (e.type === 'response.completed') replayed = e.response;
    }
    expect(events).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed',
    ]);
    expect(replayed?.id).toBe(r2.id);

    // This turn's input (references resolved), newest first by default.
    const page = await client.responses.inputItems.list(r2.id);
    expect(page.data.map((i) => i.type === 'message' && i.role)).toEqual(['assistant', 'user', 'user']);
    expect(page.data[0].id).toBe(r1.output[0].id);
    expect(page.data.every((i) => typeof i.id === 'string' && i.id !== '')).toBe(true);
    expect(page.has_more).toBe(false);
    const asc = await client.responses.inputItems.list(r2.id, { order: 'asc', limit: 1 });
    expect(asc.data).toHaveLength(1);
    expect(asc.has_more).toBe(true);
    const all: string[] = [];
    for await (const item of client.responses.inputItems.list(r2.id, { order: 'asc', limit: 1 })) all.push(item.id!);
    expect(all).toEqual([...page.data.map((i) => i.id)].reverse());
    const raw = await fetch(`${h.url}/v1/responses/${r2.id}/input_items?limit=2`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(await raw.json()).toMatchObject({ object: 'list', first_id: page.data[0].id, last_id: page.data[1].id, has_more: true });
    const bad = await fetch(`${h.url}/v1/responses/${r2.id}/input_items?limit=500`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(bad.status).toBe(400);

    await h.gateway.app.get(StoredResponseWriter).flush();
    // Rows for the ids the turn did not mint: the referenced item's and the upstream's output id.
    expect((await pg.query(`SELECT 1 FROM stored_items WHERE response_id = $1`, [r2.id])).rowCount).toBe(2);
    expect(await client.responses.delete(r2.id)).toEqual({ id: r2.id, object: 'response', deleted: true });
    // Its items go with it (the same statement deletes them) and the other turn's stay.
    expect((await pg.query(`SELECT 1 FROM stored_items WHERE response_id = $1`, [r2.id])).rowCount).toBe(0);
    expect((await pg.query(`SELECT 1 FROM stored_items WHERE response_id = $1`, [r1.id])).rowCount).toBe(1);
    await expect(client.responses.retrieve(r2.id)).rejects.toMatchObject({ status: 404, error: { code: 'not_found' } });
    await expect(client.responses.create({ model: MODEL, input: 'x', previous_response_id: r2.id })).rejects.toMatchObject({ status: 404 });
    // Deleting a turn makes later turns built on it unresolvable, never silently shorter.
    expect((await client.responses.retrieve(r1.id)).id).toBe(r1.id);
  });

  it("another key gets 404 for every route, previous_response_id and item_reference", async () => {
    const r = await client.responses.create({ model: MODEL, input: 'mine' });
    const notFound = { status: 404, error: { code: 'not_found', type: 'invalid_request_error' } };
    await expect(other.responses.retrieve(r.id)).rejects.toMatchObject(notFound);
    await expect(other.responses.retrieve(r.id, { stream: true })).rejects.toMatchObject(notFound);
    await expect(other.responses.inputItems.list(r.id)).rejects.toMatchObject(notFound);
    await expect(other.responses.cancel(r.id)).rejects.toMatchObject(notFound);
    await expect(other.responses.delete(r.id)).rejects.toMatchObject(notFound);
    await expect(other.responses.create({ model: MODEL, input: 'x', previous_response_id: r.id })).rejects.toMatchObject(notFound);
    await expect(
      other.responses.create({ model: MODEL, input: [{ type: 'item_reference', id: r.output[0].id! } as never] }),
    ).rejects.toMatchObject(notFound);
    await expect(client.responses.retrieve('resp_unknown')).rejects.toMatchObject(notFound);
    expect(h.upstream.requests).toHaveLength(1);
    // Still there for its owner.
    expect((await client.responses.retrieve(r.id)).id).toBe(r.id);
    const noKey = await fetch(`${h.url}/v1/responses/${r.id}`);
    expect(noKey.status).toBe(401);
  });

  it('store: false stores nothing (the cost log still has the request)', async () => {
    // Turns are stored behind their answers: earlier tests' rows land first, and would count here.
    const store = h.gateway.app.get(ResponseStore);
    await store.idle();
    const before = await pg.query(`SELECT count(*)::int AS n FROM stored_responses WHERE virtual_key_id = $1`, [keyId]);
    const { data, response } = await client.responses.create({ model: MODEL, input: 'forget me', store: false }).withResponse();
    const streamed = await client.responses.stream({ model: MODEL, input: 'forget me too', store: false }).finalResponse();
    await store.idle();
    const after = await pg.query(`SELECT count(*)::int AS n FROM stored_responses WHERE virtual_key_id = $1`, [keyId]);
    expect(after.rows[0].n).toBe(before.rows[0].n);
    await expect(client.responses.retrieve(data.id)).rejects.toMatchObject({ status: 404 });
    await expect(client.responses.retrieve(streamed.id)).rejects.toMatchObject({ status: 404 });
    expect(h.upstream.requests[0].body).toMatchObject({ store: false });
    expect(await h.logRows(response.headers.get('x-request-id')!)).toHaveLength(1);
  });

  it('background: answers queued at once, runs in the gateway, and is polled to completion', async () => {
    const queued = await client.responses.create({ model: MODEL, input: 'Take your time [[delay:300]]', background: true });
    expect(queued).toMatchObject({ status: 'queued', background: true, output: [], store: true });
    expect(queued.id).toMatch(/^resp_/);
    let polled = await client.responses.retrieve(queued.id);
    expect(['queued', 'in_progress']).toContain(polled.status);
    await eventually(async () => (polled = await client.responses.retrieve(queued.id)).status === 'completed', 5_000);
    expect(polled.output_text).toBe('Hello from gpt-4o-mini! You said: Take your time [[delay:300]]');
    expect(polled.background).toBe(true);
    const follow = await client.responses.create({ model: MODEL, input: 'and?', previous_response_id: queued.id });
    expect(follow.status).toBe('completed');
    expect(texts(sentInput())).toHaveLength(3);
    // Not in background mode: nothing to cancel.
    await expect(client.responses.cancel(follow.id)).rejects.toMatchObject({ status: 400 });
    await expect(client.responses.create({ model: MODEL, input: 'x', background: true, stream: true })).rejects.toMatchObject({ status: 400 });
    await expect(client.responses.create({ model: MODEL, input: 'x', background: true, store: false })).rejects.toMatchObject({ status: 400 });
  });

  it('background works for translated providers too (Anthropic), and a running one cannot be chained yet', async () => {
    const queued = await client.responses.create({ model: CLAUDE, input: 'Background claude [[delay:300]]', background: true });
    expect(queued.status).toBe('queued');
    await eventually(() => anthropic.stats.requests === 1);
    await expect(client.responses.create({ model: MODEL, input: 'x', previous_response_id: queued.id })).rejects.toMatchObject({ status: 400, error: { param: 'previous_response_id' } });
    let polled = queued;
    await eventually(async () => (polled = await client.responses.retrieve(queued.id)).status === 'completed', 5_000);
    expect(polled.output_text).toBe('Hello from claude-sonnet-4-5! You said: Background claude [[delay:300]]');
    expect((anthropic.requests[0].body as Json).messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Background claude [[delay:300]]' }] }]);
  });

  it('an unknown item_reference is a 404 before any upstream call', async () => {
    await expect(
      client.responses.create({ model: MODEL, input: [{ type: 'item_reference', id: 'msg_nope' } as never] }),
    ).rejects.toMatchObject({ status: 404, error: { code: 'not_found', message: expect.stringContaining('msg_nope') } });
    expect(h.upstream.stats.requests).toBe(0);
  });

  it('background: cancel aborts the upstream call and leaves the response cancelled', async () => {
    const queued = await client.responses.create({ model: MODEL, input: 'Slow one [[delay:3000]]', background: true });
    await eventually(() => h.upstream.stats.requests === 1);
    const cancelled = await client.responses.cancel(queued.id);
    expect(cancelled).toMatchObject({ id: queued.id, status: 'cancelled' });
    await eventually(() => h.upstream.stats.aborted === 1);
    // Cancelling again answers the same final object.
    expect((await client.responses.cancel(queued.id)).status).toBe('cancelled');
    // The aborted run has finished (the upstream saw the abort) and did not overwrite the state:
    // every write it queued has been committed, and the stored row still says cancelled.
    await eventually(() => !h.gateway.app.get(BackgroundResponses).runningIds().includes(queued.id));
    await h.gateway.app.get(ResponseStore).idle();
    const stored = await pg.query(`SELECT status, response_json::json->>'status' AS response_status FROM stored_responses WHERE id = $1`, [queued.id]);
    expect(stored.rows).toEqual([{ status: 'cancelled', response_status: 'cancelled' }]);
    expect((await client.responses.retrieve(queued.id)).status).toBe('cancelled');
  });

  it('background: every candidate failing leaves the response failed with the reason', async () => {
    h.upstream.failNext(3, 500);
    const queued = await client.responses.create({ model: MODEL, input: 'doomed', background: true });
    let polled = queued;
    await eventually(async () => (polled = await client.responses.retrieve(queued.id)).status === 'failed', 5_000);
    expect(polled.error).toMatchObject({ code: 'upstream_error' });
  });

  it('expired responses read as 404 and the purge deletes them with their items', async () => {
    const r = await client.responses.create({ model: MODEL, input: 'short-lived' });
    // Stored behind the answer: in the table once the writer's batch is.
    await h.gateway.app.get(StoredResponseWriter).flush();
    await pg.query(`UPDATE stored_responses SET expires_at = now() - interval '1 second' WHERE id = $1`, [r.id]);
    // The cache of this process may still hold it for resolution; GET reads the database.
    await expect(client.responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
    expect(await h.gateway.app.get(StateMaintenance).purgeExpired()).toBeGreaterThanOrEqual(1);
    expect((await pg.query(`SELECT 1 FROM stored_responses WHERE id = $1`, [r.id])).rowCount).toBe(0);
    expect((await pg.query(`SELECT 1 FROM stored_items WHERE response_id = $1`, [r.id])).rowCount).toBe(0);
  });

  it('a gateway starting up fails the background responses a stopped process left unfinished', async () => {
    await pg.query(
      `INSERT INTO stored_responses (id, virtual_key_id, expires_at, status, background, model, response, heartbeat_at)
       VALUES ('resp_orphan', $1, now() + interval '1 day', 'in_progress', true, 'openai/gpt-4o-mini',
               '{"id":"resp_orphan","object":"response","status":"in_progress","output":[]}', now() - interval '1 minute')`,
      [keyId],
    );
    const next = await startGateway(loadConfig({ DATABASE_URL: h.db.url, GATEWAY_PORT: '0', HOST: '127.0.0.1', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gw-data-')) }));
    try {
      const got = await client.responses.retrieve('resp_orphan');
      expect(got).toMatchObject({ status: 'failed', error: { code: 'server_restarted' } });
    } finally {
      await next.close();
    }
  });
});

describe('stateful Responses: shutdown with background work in flight', () => {
  it('fails unfinished background responses with a reason once the grace period is over', async () => {
    const h = await startGatewayHarness({ server: { shutdown_grace_ms: 200 } });
    try {
      const { key } = await h.createKey();
      const client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
      const queued = await client.responses.create({ model: MODEL, input: 'Slow [[delay:3000]]', background: true });
      await eventually(() => h.upstream.stats.requests === 1);
      await h.gateway.close();
      const pg = new Client({ connectionString: h.db.url });
      await pg.connect();
      const row = await pg.query(`SELECT status, error_json::json AS error, response_json::json AS response FROM stored_responses WHERE id = $1`, [queued.id]);
      await pg.end();
      expect(row.rows[0]).toMatchObject({ status: 'failed', error: { code: 'server_shutdown' }, response: { status: 'failed' } });
    } finally {
      await h.close();
    }
  });
});
