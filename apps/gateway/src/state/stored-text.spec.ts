import type { CostBreakdown } from '@app/pricing';
import { OpenAIAdapter } from '@app/providers/openai/openai.adapter';
import { ResponsesPassthroughTranslator } from '@app/providers/openai/openai-stream';
import { scanTerminalEvent } from '@app/providers/responses/response-scan';
import type { Turn } from '../conversation/turn';
import { type ExtraFields, withExtraFields } from '../execute/extra-fields';
import { isJson, type Json, newResponseId, outputOf, toJsonb, toPgText } from './stored-response';
import { storedEvent, storedText } from './stored-text';
import { finalizeTurn, previousIdJson, statusOf, turnIdJson } from './stored-turn';

// Counted, and itself otherwise: a walk the translator found unreadable is not made again.
jest.mock('@app/providers/responses/response-scan', () => {
  const actual = jest.requireActual<typeof import('@app/providers/responses/response-scan')>('@app/providers/responses/response-scan');
  return { ...actual, scanTerminalEvent: jest.fn(actual.scanTerminalEvent) };
});
const scans = jest.mocked(scanTerminalEvent);

function turn(over: Partial<Turn> = {}): Turn {
  return {
    id: 'resp_0123456789ab0123456789abcdef0123456789abcdef', stem: 'st', keyId: 'k', store: true, background: false, previousResponseId: 'resp_prev',
    inputItems: [], request: {}, inputItemsJson: '[]', requestJson: '{}', inputItemsAscii: false, historyBytes: 0, createdAt: 0, streamedIds: [], ...over,
  };
}

const extra: ExtraFields = {
  request_type: 'responses', provider: 'openai', model_requested: 'openai/gpt-4o', model_deployment: 'gpt-4o', fallback_index: 0, latency: 12, cache_debug: null,
};
const fieldsJson = JSON.stringify(extra);
const cost: CostBreakdown = { input_tokens_cost: 0.001, output_tokens_cost: 0.002, reasoning_tokens_cost: 0, request_cost: 0, total_cost: 0.003 };
const adapter = new OpenAIAdapter();

const MSG_ID = 'msg_0123456789abcdef0123456789';
const FC_ID = 'fc_0123456789abcdef0123456789ab';

/** A body shaped as the fake upstream's (and OpenAI's) Response. */
function body(over: Json = {}): Json {
  return {
    id: 'resp_upstream0123456789', object: 'response', created_at: 1700000000, status: 'completed', background: false, error: null,
    incomplete_details: null, instructions: null, model: 'gpt-4o-mini-2024-07-18',
    output: [{ id: MSG_ID, type: 'message', status: 'completed', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Hello "there" {[' }], role: 'assistant' }],
    parallel_tool_calls: true, previous_response_id: null, reasoning: { effort: null, summary: null }, store: true, temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' }, tool_choice: 'auto', tools: [], top_p: 1, truncation: 'disabled',
    usage: { input_tokens: 14, input_tokens_details: { cached_tokens: 0 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 23 },
    user: null, metadata: {}, ...over,
  };
}

/** The parse path: finalizeTurn, withExtraFields, JSON.stringify, and what the row reads off the object. */
function parsePath(t: Turn, text: string, withCost: boolean) {
  const response = JSON.parse(text) as Json;
  finalizeTurn(t, response);
  const json = JSON.stringify(withExtraFields(response, extra, withCost ? cost : null));
  return {
    json,
    status: statusOf(response),
    model: typeof response.model === 'string' ? response.model : null,
    errorJson: isJson(response.error) ? JSON.stringify(response.error) : null,
    outputIds: outputOf(response).map((item) => item.id),
  };
}

function textPath(t: Turn, text: string, withCost: boolean) {
  return storedText(t, adapter.parseResponse(text, { memberSpans: true }), fieldsJson, withCost ? cost : null);
}

/** The text path agrees with the parse path: the same Response once parsed, the same row fields. */
function expectSame(text: string, withCost: boolean, t = turn()) {
  const stored = textPath(t, text, withCost);
  expect(stored).toBeDefined();
  const old = parsePath(t, text, withCost);
  expect(JSON.parse(stored!.json)).toEqual(JSON.parse(old.json));
  const { plain, ascii, ...rest } = stored!;
  // A JSON answer's text is not known to be ASCII without reading it.
  expect(ascii).toBe(false);
  expect({ ...rest, json: undefined, errorJson: rest.errorJson && JSON.parse(rest.errorJson) })
    .toEqual({ ...old, json: undefined, errorJson: old.errorJson && JSON.parse(old.errorJson) });
  expectPlainWhenItIs(plain, stored!.json);
  return { stored: stored!, old };
}

/**
 * Plain only when it is its own column value (what toJsonb and toPgText make of it), and whenever
 * it holds no `\u` escape: the upstream's other escapes and its newlines are the column's as they are.
 */
function expectPlainWhenItIs(plain: boolean, json: string): void {
  expect(plain).toBe(!json.includes('\\u'));
  if (plain) expect(toPgText(toJsonb(json))).toBe(json);
}

/** A terminal event as the translator hands it to the relay when the turn is stored as text: its walk in `at.stored`. */
const translated = (data: string) => {
  const translator = new ResponsesPassthroughTranslator(false, true);
  return { event: translator.push({ event: 'response.completed', data })[0], usage: translator.usage };
};

/** The relay's parse path: the event parsed, the fields set on it and its Response, finalizeTurn. */
const eventParsePath = (t: Turn, data: string, withCost: boolean) => {
  const event = JSON.parse(data) as Json;
  const fields = JSON.parse(fieldsJson) as Json;
  event.extra_fields = fields;
  const r = event.response as Json;
  r.extra_fields = fields;
  if (withCost && isJson(r.usage)) r.usage.cost = cost;
  finalizeTurn(t, r);
  return { event, json: JSON.stringify(r), status: statusOf(r), outputIds: outputOf(r).map((i) => i.id) };
};
const event = (response: unknown) => JSON.stringify({ type: 'response.completed', response, sequence_number: 9 });
const expectSameEvent = (data: string, withCost: boolean, t = turn()) => {
  const done = storedEvent(t, data, fieldsJson, withCost ? cost : null);
  expect(done).toBeDefined();
  // The translator's walk, handed over, is the one storedEvent would make, and gives the same event and row.
  const { event: ev, usage } = translated(data);
  expect(ev.at?.stored).toEqual(scanTerminalEvent(data) ?? undefined);
  expect(storedEvent(t, data, fieldsJson, withCost ? cost : null, ev.at)).toEqual(done);
  expectPlainWhenItIs(done!.stored.plain, done!.stored.json);
  // Its usage is the parsed event's.
  const parsing = new ResponsesPassthroughTranslator(true);
  parsing.push({ event: 'response.completed', data });
  expect(usage).toEqual(parsing.usage);
  const old = eventParsePath(t, data, withCost);
  expect(JSON.parse(done!.data)).toEqual(old.event);
  // (the relay sets extra_fields before the state fields: the same members, another order)
  expect(JSON.parse(done!.stored.json)).toEqual(JSON.parse(old.json));
  expect([done!.stored.status, done!.stored.outputIds]).toEqual([old.status, old.outputIds]);
  return done!;
};

describe('storedText', () => {
  it("writes the turn's ids as JSON.stringify does: its own id (newResponseId's) and any previous one", () => {
    for (let i = 0; i < 200; i++) {
      const id = newResponseId(Date.now() + i * 7_919_000);
      expect(turnIdJson(turn({ id }))).toBe(JSON.stringify(id));
    }
    for (const previousResponseId of [null, 'resp_prev', 'r"q\\b', 'tab\there', 'línea\u2028', '\ud800 lone', '']) {
      expect(previousIdJson(turn({ previousResponseId }))).toBe(JSON.stringify(previousResponseId));
    }
  });

  it("writes a compact body's Response as the parse path does, byte for byte", () => {
    for (const withCost of [false, true]) {
      const text = JSON.stringify(body());
      const { stored, old } = expectSame(text, withCost);
      expect(stored.json).toBe(old.json);
      expect(stored).toMatchObject({ status: 'completed', model: 'gpt-4o-mini-2024-07-18', errorJson: null, outputIds: [MSG_ID] });
    }
  });

  it('says the text is ASCII only when the caller knows its parts are', () => {
    const text = JSON.stringify(body());
    const parsed = () => adapter.parseResponse(text, { memberSpans: true });
    expect(storedText(turn(), parsed(), fieldsJson, cost)?.ascii).toBe(false);
    expect(storedText(turn(), parsed(), fieldsJson, cost, true)?.ascii).toBe(true);
  });

  it("keeps a pretty-printed body's spacing, as OpenAI's API sends it", () => {
    const text = JSON.stringify(body(), null, 2);
    const { stored } = expectSame(text, true);
    expect(stored.json.startsWith(`{\n  "id": "${turn().id}",\n  "object": "response",`)).toBe(true);
    expect(stored.json).toContain('"previous_response_id": "resp_prev",\n');
    expect(stored.json).toContain('"usage": {\n    "input_tokens": 14,');
    expect(stored.json.endsWith(`"metadata": {}\n,"extra_fields":${fieldsJson}}`)).toBe(true);
  });

  it('adds the members the body lacks, in the order the parse path writes them', () => {
    const { id: _i, previous_response_id: _p, store: _s, background: _b, ...rest } = body();
    const text = JSON.stringify(rest);
    const { stored, old } = expectSame(text, true);
    expect(stored.json).toBe(old.json);
    expect(stored.json.endsWith(`"metadata":{},"id":"${turn().id}","previous_response_id":"resp_prev","store":true,"background":false,"extra_fields":${fieldsJson}}`)).toBe(true);
    expect(expectSame(JSON.stringify({ output: [] }), true).stored.json).toBe(`{"output":[],"id":"${turn().id}","previous_response_id":"resp_prev","store":true,"background":false,"extra_fields":${fieldsJson}}`);
  });

  it('sets usage.cost in place or last, and leaves a usage that is absent, null or not an object', () => {
    const withOld = JSON.stringify(body({ usage: { cost: { total_cost: 9 }, input_tokens: 1 } }));
    expect(JSON.parse(expectSame(withOld, true).stored.json).usage).toEqual({ cost, input_tokens: 1 });
    expect(expectSame(JSON.stringify(body({ usage: {} })), true).stored.json).toContain(`"usage":{"cost":${JSON.stringify(cost)}}`);
    // "cost" as a value in usage, as a key after it
    for (const over of [{ usage: { note: 'cost', n: 1 } }, { usage: { n: 1 }, metadata: { cost: 1 } }]) {
      const { stored, old } = expectSame(JSON.stringify(body(over)), true);
      expect(stored.json).toBe(old.json);
    }
    for (const usage of [null, undefined, [1], 3]) {
      const { stored, old } = expectSame(JSON.stringify(body({ usage })), true);
      expect(stored.json).toBe(old.json);
    }
    expect(expectSame(JSON.stringify({ previous_response_id: null, output: [] }), true, turn({ previousResponseId: null })).stored.json)
      .toBe(`{"previous_response_id":null,"output":[],"id":"${turn().id}","store":true,"background":false,"extra_fields":${fieldsJson}}`);
  });

  it('reads status, model and error as the parse path does, escapes decoded', () => {
    const error = { code: 'server_error', message: 'a "quoted" \\ message' };
    const text = JSON.stringify(body({ status: 'fail\u0065d', model: 'gpt-"4o"\n', error }), null, 2).replace('"failed"', '"fail\\u0065d"');
    const { stored } = expectSame(text, false);
    expect(stored).toMatchObject({ status: 'failed', model: 'gpt-"4o"\n' });
    expect(JSON.parse(stored.errorJson!)).toEqual(error);
    expect(expectSame(JSON.stringify(body({ status: 'unknown', model: 7 })), false).stored).toMatchObject({ status: 'completed', model: null });
    const { status: _s, model: _m, ...bare } = body();
    expect(expectSame(JSON.stringify(bare), false).stored).toMatchObject({ status: 'completed', model: null, errorJson: null });
  });

  it('keeps trusted output ids, escapes decoded, and lists them in order', () => {
    const fc = { id: FC_ID, type: 'function_call', call_id: 'c', name: 'f', arguments: '{"id":"x"}' };
    const escaped = JSON.stringify(body({ output: [fc, { id: MSG_ID, type: 'message', content: [] }] })).replace(MSG_ID, MSG_ID.replace('m', '\\u006d'));
    expect(expectSame(escaped, false).stored.outputIds).toEqual([FC_ID, MSG_ID]);
    expect(expectSame(JSON.stringify(body({ output: [] })), false).stored.outputIds).toEqual([]);
  });

  it('reads a plain text\'s output ids between their quotes, and finds a repeat among many', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `${MSG_ID}${String(i).padStart(2, '0')}`);
    const items = (list: string[]) => list.map((id) => ({ id, type: 'message', content: [] }));
    const { stored } = expectSame(JSON.stringify(body({ output: items(ids) })), false);
    expect(stored.outputIds).toEqual(ids);
    expect(stored.plain).toBe(true);
    // a repeat of an early id at every count of ids before it, below and past the Set's threshold
    for (const at of [1, 15, 16, 17, 39]) {
      const repeated = [...ids.slice(0, at), ids[0], ...ids.slice(at)];
      expect(textPath(turn(), JSON.stringify(body({ output: items(repeated) })), true)).toBeUndefined();
    }
    const last = [...ids, ids[39]];
    expect(textPath(turn(), JSON.stringify(body({ output: items(last) })), true)).toBeUndefined();
  });

  it('leaves to the parse path output ids the gateway rewrites, and output it cannot read as text', () => {
    const outputs = [
      [{ id: 'msg_1', type: 'message' }], // short
      [{ id: MSG_ID, type: 'message' }, { id: MSG_ID, type: 'message' }], // repeated
      [{ type: 'message' }], // missing
      [{ id: 12345678901234567890, type: 'message' }], // not a string
      [{ id: MSG_ID, type: 'message' }, null, 'x'], // not objects
      undefined, null, {},
    ];
    for (const output of outputs) expect(textPath(turn(), JSON.stringify(body({ output })), true)).toBeUndefined();
    const twice = JSON.stringify(body()).replace(`"id":"${MSG_ID}"`, `"id":"${FC_ID}","id":"${MSG_ID}"`);
    expect(textPath(turn(), twice, true)).toBeUndefined();
    const escapedKey = JSON.stringify(body()).replace(`"id":"${MSG_ID}"`, `"\\u0069d":"${MSG_ID}"`);
    expect(textPath(turn(), escapedKey, true)).toBeUndefined();
    // an escaped `id` after a plain one: JSON.parse keeps the escaped one's value
    const escapedLast = JSON.stringify(body()).replace(`"id":"${MSG_ID}"`, `"id":"${FC_ID}","\\u0069d":"${MSG_ID}"`);
    expect(textPath(turn(), escapedLast, true)).toBeUndefined();
  });

  it('leaves to the parse path turns it does not store as text, and bodies the adapter did not walk for them', () => {
    const text = JSON.stringify(body());
    for (const t of [turn({ store: false }), turn({ background: true })]) expect(textPath(t, text, true)).toBeUndefined();
    expect(storedText(turn(), adapter.parseResponse(text), fieldsJson, cost)).toBeUndefined();
    expect(storedText(turn(), adapter.parseResponse(text, { memberSpans: true, needsResponse: true }), fieldsJson, cost)).toBeUndefined();
    expect(textPath(turn(), JSON.stringify(body({ extra_fields: { a: 1 } })), true)).toBeUndefined();
  });

  describe('storedEvent', () => {
    it("stores the terminal event's Response as the relay's parse path does, and puts extra_fields on the event", () => {
      for (const withCost of [false, true]) {
        const done = expectSameEvent(event(body()), withCost);
        expect(done.data.startsWith(`{"type":"response.completed","response":{"id":"${turn().id}","object":"response"`)).toBe(true);
        expect(done.data.endsWith(`},"sequence_number":9,"extra_fields":${fieldsJson}}`)).toBe(true);
      }
      expectSameEvent(event(body({ status: 'incomplete', usage: null })), true);
    });

    it('keeps the ids output items were streamed under, and leaves any other to the parse path', () => {
      const fc = { id: FC_ID, type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' };
      const two = event(body({ output: [fc, { id: 'msg_1', type: 'message', content: [] }] }));
      // the short id was streamed under the gateway's own: the parse path rewrites it
      expect(storedEvent(turn({ streamedIds: [FC_ID, 'msg_stout1'] }), two, fieldsJson, cost)).toBeUndefined();
      expect(expectSameEvent(event(body({ output: [fc] })), true, turn({ streamedIds: [FC_ID] })).stored.outputIds).toEqual([FC_ID]);
      expect(expectSameEvent(event(body({ output: [fc] })), true, turn({ streamedIds: [] })).stored.outputIds).toEqual([FC_ID]);
      expect(storedEvent(turn({ streamedIds: [MSG_ID] }), event(body({ output: [fc] })), fieldsJson, cost)).toBeUndefined();
    });

    it('reads a streamed id spelled with escapes as its value, and tells apart ids of one length that differ', () => {
      const fc = { id: FC_ID, type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' };
      // `\u0066` is the id's `f`: its value is what counts, as the parse reads it
      const escaped = event(body({ output: [fc] })).replace(`"${FC_ID}"`, `"\\u0066${FC_ID.slice(1)}"`);
      expect(escaped).toContain('\\u0066c_');
      expect(expectSameEvent(escaped, true, turn({ streamedIds: [FC_ID] })).stored.outputIds).toEqual([FC_ID]);
      // Streamed as the text `\u0066c_...` itself, it is not the id the escaped text spells.
      expect(storedEvent(turn({ streamedIds: [`\\u0066${FC_ID.slice(1)}`] }), escaped, fieldsJson, cost)).toBeUndefined();
      // A number as long as a streamed id between quotes is no string, whatever its digits.
      const numeric = event(body({ output: [fc] })).replace(`"${FC_ID}"`, '91234567890123456789');
      expect(storedEvent(turn({ streamedIds: ['123456789012345678'] }), numeric, fieldsJson, cost)).toBeUndefined();
      const other = `${FC_ID.slice(0, -1)}c`;
      expect(storedEvent(turn({ streamedIds: [other] }), event(body({ output: [fc] })), fieldsJson, cost)).toBeUndefined();
      expect(storedEvent(turn({ streamedIds: [FC_ID.slice(0, -1)] }), event(body({ output: [fc] })), fieldsJson, cost)).toBeUndefined();
    });

    it('finds the Response whatever follows it in the event, and keeps the spacing around it', () => {
      const response = JSON.stringify(body());
      const stored = expectSameEvent(event(body()), true).stored.json;
      for (const [data, tail] of [
        [`{"type":"response.completed","response":${response},"sequence_number":9}`, ',"sequence_number":9'],
        [`{"type": "response.completed", "response" : ${response} }  `, ' '],
        [`{"type":"response.completed","response":${response},"after":{"a":[1]},"s":"}"}`, ',"after":{"a":[1]},"s":"}"'],
        [`{"type":"response.completed","after":{"response":{}},"response":${response}}`, ''],
      ]) {
        const done = expectSameEvent(data, true);
        expect(done.stored.json).toBe(stored);
        expect(done.data).toBe(`${data.slice(0, data.lastIndexOf(response))}${stored}${tail},"extra_fields":${fieldsJson}}`);
      }
    });

    it('leaves to the parse path an event without a Response object, one with extra_fields, and text that is not JSON', () => {
      const data = event(body());
      for (const other of [
        event(null), JSON.stringify({ type: 'response.completed' }), JSON.stringify({ type: 'response.completed', response: body(), extra_fields: {} }),
        data.slice(0, -1), `${data}}`, data.replace('"response":{', '"response":{"id":1,'), `${data}\t`, data.replace('"sequence_number"', '"extra_fields":{},"sequence_number"'),
        data.replace('"sequence_number":9', '"sequence_number":9,"s":"}'),
      ]) {
        expect(storedEvent(turn(), other, fieldsJson, cost)).toBeUndefined();
      }
      expect(storedEvent(turn({ store: false }), data, fieldsJson, cost)).toBeUndefined();
    });

    it("leaves to the parse path, without walking it again, an event the translator's walk found unreadable", () => {
      const data = event(body());
      // a member storing reads given twice, and extra_fields on the event: the usage still shows plainly
      for (const other of [data.replace('"status":"completed"', '"status":"completed","status":"failed"'), data.replace('"sequence_number"', '"extra_fields":{},"sequence_number"')]) {
        scans.mockClear();
        const { event: ev, usage } = translated(other);
        expect([ev.at?.stored, ev.parsed, scans.mock.calls.length]).toEqual([null, undefined, 1]);
        const parsing = new ResponsesPassthroughTranslator(true);
        parsing.push({ event: 'response.completed', data: other });
        expect(usage).toEqual(parsing.usage);
        expect(storedEvent(turn(), other, fieldsJson, cost, ev.at)).toBeUndefined();
        expect(scans).toHaveBeenCalledTimes(1);
        // what a walk made afresh finds
        expect(storedEvent(turn(), other, fieldsJson, cost)).toBeUndefined();
        expect(scans).toHaveBeenCalledTimes(2);
      }
    });
  });

  describe('against the parse path', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed >>> 16) % n; // the high bits: the low ones of this generator repeat quickly
    };
    const pick = <T>(list: readonly T[]): T => list[random(list.length)];
    const strings = ['', 'x', 'a "quote" \\ and \n newline', '\u00e9\u{1F600}', '"id":"', '{[', 'completed', 'resp_look_alike_0123456789'];
    const scalar = () => pick<unknown>([null, true, false, 0, -1.5, 1e21, 42, pick(strings)]);
    const value = (depth: number): unknown => {
      if (depth > 2 || random(3) === 0) return scalar();
      if (random(2) === 0) return Array.from({ length: random(3) }, () => value(depth + 1));
      const o: Json = {};
      for (let i = random(4); i > 0; i--) o[pick(['id', 'type', 'usage', 'output', 'status', 'text', 'k' + i])] = value(depth + 1);
      return o;
    };
    const itemId = () => pick(['msg_', 'fc_', 'rs_']) + Array.from({ length: 20 + random(10) }, () => pick([...'abcdef0123456789'])).join('');
    const item = (): unknown => {
      const o: Json = {};
      const keys = ['type', 'id', 'status', 'content'];
      const first = random(4);
      for (let i = 0; i < 4; i++) {
        const k = keys[(first + i) % 4];
        if (k === 'id') {
          if (random(20) !== 0) o.id = random(20) === 0 ? pick<unknown>(['short', null, 7]) : itemId();
        } else {
          o[k] = k === 'content' ? value(1) : pick(strings);
        }
      }
      return random(25) === 0 ? scalar() : o;
    };
    const response = (): Json => {
      const members: [string, () => unknown][] = [
        ['id', () => pick<unknown>(['resp_up', null, 3])], ['status', () => pick<unknown>(['completed', 'incomplete', 'failed', 'in_progress', 'nope', null])],
        ['model', () => pick<unknown>(['gpt-4o', 'm\\"x', null, 1])], ['error', () => pick<unknown>([null, { code: 'e', message: pick(strings) }, 'oops'])],
        ['output', () => (random(20) === 0 ? scalar() : Array.from({ length: random(4) }, item))],
        ['usage', () => pick<unknown>([null, { input_tokens: 1, output_tokens: 2 }, { cost: 1 }, {}, [1]])],
        ['previous_response_id', () => pick<unknown>([null, 'resp_x'])], ['store', () => pick<unknown>([true, false, null])],
        ['background', () => pick<unknown>([false, true])], ['metadata', () => value(0)], ['tools', () => value(0)], ['text', () => value(0)],
      ];
      const o: Json = {};
      for (let i = members.length; i > 0; i--) members.push(members.splice(random(i), 1)[0]); // shuffled
      for (const [k, make] of members) if (random(8) !== 0) o[k] = make();
      return o;
    };

    it('stores the same Response and row for generated bodies, compact and pretty-printed, and takes the text path for most', () => {
      let taken = 0;
      const total = 2000;
      for (let n = 0; n < total; n++) {
        const r = response();
        const withCost = random(2) === 0;
        const t = turn({ previousResponseId: pick([null, 'resp_prev', 'resp_"\u0001\\x']) });
        const pretty = random(2) === 0;
        const text = JSON.stringify(r, null, pretty ? 2 : undefined);
        const stored = textPath(t, text, withCost);
        if (stored === undefined) {
          // Only output the parse path would rewrite, or that is not an array of objects, is left to it.
          const output = r.output;
          const plain = Array.isArray(output) && output.every((i) => isJson(i) && typeof i.id === 'string' && i.id.length >= 20)
            && new Set(output.map((i) => (i as Json).id)).size === output.length;
          expect(plain).toBe(false);
          continue;
        }
        taken++;
        const { old } = expectSame(text, withCost, t);
        if (!pretty) expect(stored.json).toBe(old.json);
        // the same Response as a stream's terminal event
        const fromEvent = expectSameEvent(event(r), withCost, t).stored;
        const errorOf = (e: string | null) => e && JSON.parse(e);
        // (plain alike: the pretty-printed text's newlines are the column's as they are)
        expect({ ...fromEvent, json: '', errorJson: errorOf(fromEvent.errorJson) })
          .toEqual({ ...stored, json: '', errorJson: errorOf(stored.errorJson) });
      }
      expect(taken).toBeGreaterThan(total / 2);
    });

    it('never stores text JSON.parse refuses, and agrees with it on what it accepts: truncated and garbled bodies', () => {
      const alphabet = ['"', '{', '}', '[', ']', ',', ':', '\\', ' ', '0', '1', 'e', 'n', 'u', 'i', 'd', '\n'];
      const texts = [JSON.stringify(body()), JSON.stringify(body({ output: [{ id: FC_ID, type: 'function_call' }, { type: 'x', id: MSG_ID }] }), null, 2)];
      let stored = 0;
      for (const text of texts) {
        const variants: string[] = [];
        for (let cut = 0; cut < text.length; cut++) variants.push(text.slice(0, cut));
        for (let v = 0; v < 3000; v++) {
          const at = random(text.length);
          const ch = pick(alphabet);
          const op = random(3);
          variants.push(op === 0 ? text.slice(0, at) + ch + text.slice(at + 1) : op === 1 ? text.slice(0, at) + ch + text.slice(at) : text.slice(0, at) + text.slice(at + 1));
        }
        for (const garbled of variants) {
          let valid = true;
          try {
            JSON.parse(garbled);
          } catch {
            valid = false;
          }
          // As a stream's terminal event: the translator's walk handed over stores what a fresh one would, and never what JSON.parse refuses.
          const data = `{"type":"response.completed","response":${garbled},"sequence_number":9}`;
          const fresh = storedEvent(turn(), data, fieldsJson, cost);
          expect(storedEvent(turn(), data, fieldsJson, cost, translated(data).event.at)).toEqual(fresh);
          if (fresh !== undefined) expect(valid).toBe(true);
          let result;
          try {
            result = textPath(turn(), garbled, true);
          } catch {
            expect(valid).toBe(false); // the adapter refused it: the attempt fails over, as before
            continue;
          }
          expect(valid).toBe(true);
          if (result === undefined || !isJson(JSON.parse(garbled))) continue;
          stored++;
          expectSame(garbled, true);
        }
      }
      expect(stored).toBeGreaterThan(100);
    });
  });
});
