import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CostBreakdown } from '@app/pricing';
import { type BodyConsumer, Cancellation, HttpExecutor, type ResponsesRequest, SseParser, type UpstreamBody, UpstreamFailure } from '@app/providers';
import { ResponsesPassthroughTranslator } from '@app/providers/openai/openai-stream';
import { type Holds, watchHolds } from '@app/providers/testing/held';
import { untilStalled } from '@app/providers/testing/stalled';
import type { StreamEncoder } from '../formats/wire-format';
import type { Candidate } from '../routing/route-planner.service';
import { EventFieldInjector, type ExtraFields, spliceTerminalEvent } from './extra-fields';
import { type PrimedStream, primeStream, type RelayOutcome, relayStream, type StreamEnd } from './stream-relay';

const extra: ExtraFields = { request_type: 'responses', provider: 'openai', model_requested: 'openai/gpt-4o', model_deployment: 'gpt-4o', fallback_index: 0, cache_debug: null };
const fields = new EventFieldInjector(extra);
const REQUEST_ID = 'req_test';
const COST: CostBreakdown = { input_tokens_cost: 0.1, output_tokens_cost: 0.2, reasoning_tokens_cost: 0, request_cost: 0, total_cost: 0.3 };

const sse = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const UPSTREAM = [
  sse('response.created', { response: { id: 'resp_up', status: 'in_progress', output: [] } }),
  sse('response.output_text.delta', { item_id: 'msg_1', output_index: 0, delta: 'Hi' }),
  sse('response.completed', { response: { id: 'resp_up', status: 'completed', output: [], usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 } } }),
];

/**
 * An upstream body over chunks already read, pulled (`next`) or pushed (`pipe`) as the executor's
 * is: in order, held while its consumer asks, then its end (`failure`: broken off).
 */
function queuedBody(queue: Buffer[], failure: UpstreamFailure | null = null): UpstreamBody & { destroyed: number } {
  let consumer: BodyConsumer | null = null;
  let held = false;
  const flush = () => {
    while (consumer !== null && !held) {
      const chunk = queue.shift();
      if (chunk === undefined) {
        const done = consumer;
        consumer = null;
        return done.bodyEnd(failure);
      }
      held = !consumer.bodyChunk(chunk);
    }
  };
  const body = {
    destroyed: 0,
    next: async () => queue.shift() ?? null,
    pipe: (c: BodyConsumer) => {
      consumer = c;
      flush();
    },
    resume: () => {
      held = false;
      flush();
    },
    destroy: () => {
      consumer = null;
      body.destroyed++;
    },
    text: async () => '',
  };
  return body as unknown as UpstreamBody & { destroyed: number };
}

/** The upstream stream, chunk by chunk, primed as execute primes it (first event read). */
function primed(chunks: string[], failure: UpstreamFailure | null = null): PrimedStream {
  const queue = chunks.map((c) => Buffer.from(c));
  const body = queuedBody(queue, failure);
  const parser = new SseParser();
  const translator = new ResponsesPassthroughTranslator();
  const first = parser.push(queue.shift() as Buffer).flatMap((ev) => translator.push(ev));
  return { candidate: { provider: { name: 'openai' } } as Candidate, body, parser, translator, first };
}

/** A client's connection: what reached it as bytes, each write encoded as the relay asked. */
function client(): { res: ServerResponse; written: () => string; bytes: () => Buffer; ended: () => boolean } {
  const chunks: Buffer[] = [];
  let ended = false;
  const res = {
    destroyed: false,
    writeHead: () => res,
    write: (text: string, encoding?: BufferEncoding) => (chunks.push(Buffer.from(text, encoding ?? 'utf8')), true),
    end: () => {
      ended = true;
    },
  };
  const bytes = () => Buffer.concat(chunks);
  return { res: res as unknown as ServerResponse, written: () => bytes().toString('utf8'), bytes, ended: () => ended };
}

function streamEnd(needsResponse: boolean, settled: { response: Record<string, unknown>; failed: boolean }[]): StreamEnd & { priced: number } {
  const end = {
    priced: 0,
    needsResponse,
    cost: () => {
      end.priced++;
      return COST;
    },
    settle: (response: Record<string, unknown>, failed: boolean): string | null => {
      settled.push({ response, failed });
      return null;
    },
    redact: (text: string) => text,
  };
  return end;
}

/**
 * A client's socket that is full after every write, as node:http's response: each write returns
 * false, and 'drain' follows on a later turn (once for the writes made before it).
 */
function fullSocket(writes: string[], log: string[]) {
  const listeners: (() => void)[] = [];
  let draining = false;
  const res = {
    destroyed: false,
    added: 0,
    drainListeners: () => listeners.length,
    writeHead: () => res,
    write: (text: string) => {
      writes.push(text);
      log.push('write');
      if (!draining) {
        draining = true;
        setImmediate(() => {
          draining = false;
          log.push('drain');
          for (const fn of listeners.slice()) fn();
        });
      }
      return false;
    },
    end: () => undefined,
    on: (name: string, fn: () => void) => {
      if (name === 'drain') listeners.push(fn), res.added++;
      return res;
    },
    off: (name: string, fn: () => void) => {
      if (name === 'drain' && listeners.includes(fn)) listeners.splice(listeners.indexOf(fn), 1);
      return res;
    },
  };
  return res;
}

describe('relayStream', () => {
  it('relays the canonical format as text: every event with extra_fields, the terminal spliced with its cost', async () => {
    const c = client();
    const settled: { response: Record<string, unknown>; failed: boolean }[] = [];
    const end = streamEnd(false, settled);
    const outcome = await relayStream({ res: c.res, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, primed(UPSTREAM), fields, {}, end, null);
    expect(outcome.failure).toBeNull();
    const frames = c.written().split('\n\n').filter((f) => f !== '');
    expect(frames.map((f) => f.split('\n')[0])).toEqual(['event: response.created', 'event: response.output_text.delta', 'event: response.completed']);
    const terminal = JSON.parse(frames[2].split('\ndata: ')[1]) as { response: { usage: { cost: unknown }; extra_fields: { chunk_index: number } } };
    expect(terminal.response.usage.cost).toEqual(COST);
    expect(terminal.response.extra_fields.chunk_index).toBe(2);
    // Nothing needed the object: the stream end was priced once and nothing was settled through it.
    expect(end.priced).toBe(1);
    expect(settled).toEqual([]);
    expect(c.ended()).toBe(true);
  });

  it('writes an ASCII stream as Latin-1 through a rewrite only while the rewrite says it added only ASCII', async () => {
    for (const kept of [true, false]) {
      const encodings: (BufferEncoding | undefined)[] = [];
      const res = { destroyed: false, writeHead: () => res, write: (_text: string, encoding?: BufferEncoding) => (encodings.push(encoding), true), end: () => undefined };
      const rewrite = (_type: string, data: string) => data.replace('"resp_up"', '"resp_ours"');
      const end = Object.assign(streamEnd(false, []), { rewrite, rewroteAscii: () => kept });
      await relayStream({ res: res as unknown as ServerResponse, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, primed([UPSTREAM.join('')]), fields, {}, end, null);
      expect(encodings).toEqual([kept ? 'latin1' : 'utf8']);
    }
  });

  it('takes a stream end whose optional members are there but undefined for one without them', async () => {
    // ExecuteStage makes every stream end with all its members (its closures in the literal).
    const relayed = async (optional: Partial<StreamEnd>) => {
      const c = client();
      const settled: { response: Record<string, unknown>; failed: boolean }[] = [];
      const end = Object.assign(streamEnd(false, settled), optional);
      const outcome = await relayStream({ res: c.res, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, primed(UPSTREAM), fields, {}, end, null);
      // Times are the clock's: only whether there is one is compared.
      const ttft = outcome.ttftMs === null ? null : 'measured';
      return { outcome: { ...outcome, ttftMs: ttft }, settled, priced: end.priced, text: c.written().replace(/"latency":\d+/g, '"latency":0') };
    };
    const without = await relayed({});
    expect(await relayed({ rewrite: undefined, settleText: undefined })).toEqual(without);
    expect(without.outcome.failure).toBeNull();
  });

  it("hands another format's encoder each event parsed, the terminal with the gateway's fields, then its end", async () => {
    const c = client();
    const seen: { type: string; data: Record<string, unknown> }[] = [];
    const encoder: StreamEncoder = {
      event: (type, data) => (seen.push({ type, data }), `<${type}>`),
      end: () => '<end>',
    };
    const settled: { response: Record<string, unknown>; failed: boolean }[] = [];
    const end = streamEnd(false, settled);
    await relayStream({ res: c.res, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, primed(UPSTREAM), fields, {}, end, encoder);
    expect(c.written()).toBe('<response.created><response.output_text.delta><response.completed><end>');
    expect(seen[1].data).toMatchObject({ type: 'response.output_text.delta', delta: 'Hi' });
    const response = seen[2].data.response as { usage: { cost: unknown }; extra_fields: unknown };
    expect(response.usage.cost).toEqual(COST);
    expect(response.extra_fields).toMatchObject({ provider: 'openai', chunk_index: 2 });
    // The terminal Response was parsed, so it went through the stream end once, as the answer.
    expect(settled.map((s) => s.failed)).toEqual([false]);
    expect(end.priced).toBe(1);
  });

  it('settles a stored turn before its terminal event is written, once, and the event carries the JSON settle made', async () => {
    const c = client();
    const writes: string[] = [];
    const write = c.res.write.bind(c.res);
    c.res.write = ((text: string) => (writes.push(text), write(text))) as typeof c.res.write;
    const settled: { response: Record<string, unknown>; failed: boolean }[] = [];
    const end = streamEnd(true, settled);
    let writtenAtSettle = '';
    let stored = '';
    end.settle = (response, failed) => {
      writtenAtSettle = c.written();
      settled.push({ response, failed });
      response.id = 'resp_gateway';
      stored = JSON.stringify(response);
      return stored;
    };
    // The delta and the terminal event arrive in one upstream chunk.
    const chunks = [UPSTREAM[0], UPSTREAM[1] + UPSTREAM[2]];
    await relayStream({ res: c.res, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, primed(chunks), fields, {}, end, null);
    expect(settled).toHaveLength(1);
    expect(writtenAtSettle).not.toContain('response.completed');
    // One write for the chunk: nothing waits between the delta and the end.
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain('event: response.output_text.delta');
    const terminalFrame = writes[1].split('\n\n').find((f) => f.startsWith('event: response.completed'))!;
    const data = terminalFrame.split('\ndata: ')[1];
    // The stored text, verbatim, and the event's own fields around it.
    expect(data).toContain(`"response":${stored}}`);
    const event = JSON.parse(data) as { type: string; extra_fields: { chunk_index: number }; response: { id: string; extra_fields: { chunk_index: number } } };
    expect(event.type).toBe('response.completed');
    expect(event.extra_fields.chunk_index).toBe(2);
    expect(event.response.id).toBe('resp_gateway');
    expect(event.response.extra_fields.chunk_index).toBe(2);
  });

  it("writes a terminal event settled as text on as many data lines as the upstream's, however its stream is cut", async () => {
    const settleText = (data: string, fieldsJson: string) => `${data.slice(0, -1)},"extra_fields":${fieldsJson},"stored":true}`;
    const terminal = UPSTREAM[2].slice(UPSTREAM[2].indexOf('data: ') + 6, -2);
    // The terminal event's JSON on one data line, or cut over two (joined by a newline).
    for (const lines of [[terminal], [terminal.slice(0, 40), terminal.slice(40)]]) {
      const text = UPSTREAM[0] + UPSTREAM[1] + `event: response.completed\n${lines.map((l) => `data: ${l}\n`).join('')}\n`;
      const bytes = Buffer.from(text);
      for (let cut = 1; cut < bytes.length; cut += 9) {
        const c = client();
        const end = Object.assign(streamEnd(true, []), { settleText });
        const p = primed([bytes.subarray(0, cut).toString('latin1'), bytes.subarray(cut).toString('latin1')]);
        await relayStream({ res: c.res, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, p, fields, {}, end, null);
        const frame = c.written().slice(c.written().indexOf('event: response.completed'));
        const data = frame.slice('event: response.completed\ndata: '.length, -2);
        expect(data.split('\ndata: ')).toHaveLength(lines.length);
        const event = JSON.parse(data.replaceAll('\ndata: ', '\n')) as { stored: boolean; extra_fields: { chunk_index: number } };
        expect(event.stored).toBe(true);
        expect(event.extra_fields.chunk_index).toBe(2);
      }
    }
  });

  it('ends a stream cut before its terminal event with error and response.failed, which is not settled as the answer', async () => {
    const c = client();
    const settled: { response: Record<string, unknown>; failed: boolean }[] = [];
    const outcome = await relayStream({ res: c.res, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, primed(UPSTREAM.slice(0, 2)), fields, {}, streamEnd(true, settled), null);
    expect(outcome.failure?.kind).toBe('truncated');
    expect(outcome.cutOff).toBe(true);
    expect(c.written()).toContain('event: error');
    expect(c.written()).toContain('event: response.failed');
    expect(settled.map((s) => s.failed)).toEqual([true]);
  });

  it('writes once per upstream chunk, numbering events across chunks, and waits for a drain when the socket is full', async () => {
    const writes: string[] = [];
    const log: string[] = [];
    const res = fullSocket(writes, log);
    const deltas = [1, 2, 3].map((n) => sse('response.output_text.delta', { item_id: 'msg_1', output_index: 0, delta: `d${n}` }));
    // A chunk ending inside an event, one with none complete, then the rest.
    const rest = deltas[2] + UPSTREAM[2];
    const chunks = [UPSTREAM[0] + deltas[0], deltas[1].slice(0, 10), deltas[1].slice(10), rest.slice(0, 7), rest.slice(7)];
    const outcome = await relayStream({ res: res as unknown as ServerResponse, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, primed(chunks), fields, {}, streamEnd(false, []), null);
    expect(outcome.failure).toBeNull();
    const indexes = writes.map((w) => [...w.matchAll(/"chunk_index":(\d+)/g)].map((m) => Number(m[1])));
    // The terminal frame carries chunk_index twice (the event's and its response's).
    expect(indexes).toEqual([[0, 1], [2], [3, 4, 4]]);
    // The primed events' write goes out with the headers; each later write waits for its drain.
    expect(log).toEqual(['write', 'write', 'drain', 'write', 'drain']);
    // One listener for the stream, not one per wait, and gone at its end.
    expect(res.added).toBe(1);
    expect(res.drainListeners()).toBe(0);
  });

  it('ends a stream whose body breaks off with error and response.failed, the upstream destroyed, its end settled once', async () => {
    for (const [failure, code] of [
      [new UpstreamFailure('network', 0, 'network error: ECONNRESET'), 'upstream_error'],
      [new UpstreamFailure('timeout', 0, 'upstream went silent (stream idle timeout)'), 'upstream_timeout'],
    ] as const) {
      const c = client();
      const settled: { response: Record<string, unknown>; failed: boolean }[] = [];
      const p = primed(UPSTREAM.slice(0, 2), failure);
      const outcome = await relayStream({ res: c.res, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, p, fields, {}, streamEnd(true, settled), null);
      expect(outcome).toMatchObject({ failure, cutOff: true });
      const frames = c.written().split('\n\n').filter((f) => f !== '');
      expect(frames.map((f) => f.split('\n')[0])).toEqual(['event: response.created', 'event: response.output_text.delta', 'event: error', 'event: response.failed']);
      expect(frames[2]).toContain(`"code":"${code}"`);
      expect(frames[2]).toContain(`openai: ${failure.message}`);
      expect(settled.map((s) => s.failed)).toEqual([true]);
      expect((p.body as UpstreamBody & { destroyed: number }).destroyed).toBe(1);
      expect(c.ended()).toBe(true);
    }
  });

  it("a throw from the body's resume at a drain rejects the relay (no uncaught exception), the upstream destroyed", async () => {
    const p = primed(UPSTREAM);
    const thrown = new Error('resume failed');
    p.body.resume = () => {
      throw thrown;
    };
    const res = fullSocket([], []);
    const relayed = relayStream({ res: res as unknown as ServerResponse, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, p, fields, {}, streamEnd(false, []), null);
    await expect(relayed).rejects.toBe(thrown);
    expect((p.body as UpstreamBody & { destroyed: number }).destroyed).toBe(1);
    expect(res.drainListeners()).toBe(0);
  });

  it("cuts a stream off at a throw of the gateway's own with the generic internal error, blaming no provider and showing no internal text", async () => {
    const c = client();
    let thrown = false;
    const encoder: StreamEncoder = {
      event: (type, data) => {
        if (type === 'response.output_text.delta' && !thrown) {
          thrown = true;
          throw new Error('encoder bug');
        }
        return type === 'error' ? `<error ${JSON.stringify(data)}>` : `<${type}>`;
      },
      end: () => '<end>',
    };
    const p = primed(UPSTREAM);
    const outcome = await relayStream({ res: c.res, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, p, fields, {}, streamEnd(false, []), encoder);
    expect(outcome).toMatchObject({ failure: { kind: 'internal', message: 'internal error: encoder bug', retryable: false, fallbackable: false }, cutOff: true });
    expect(c.written()).toContain('"code":"internal_error"');
    expect(c.written()).toContain(`request id ${REQUEST_ID}`);
    expect(c.written()).not.toContain('encoder bug');
    expect(c.written()).not.toContain('openai');
    expect((p.body as UpstreamBody & { destroyed: number }).destroyed).toBe(1);
    expect(c.ended()).toBe(true);
  });

  it('a throw from writeHead or the first events rejects the relay, the upstream body destroyed and never piped', async () => {
    for (const where of ['head', 'first'] as const) {
      const c = client();
      const thrown = new Error(`${where} failed`);
      if (where === 'head') {
        c.res.writeHead = () => {
          throw thrown;
        };
      }
      const encoder: StreamEncoder = {
        event: () => {
          throw thrown;
        },
        end: () => '',
      };
      const p = primed(UPSTREAM);
      let piped = 0;
      p.body.pipe = () => void piped++;
      const relayed = relayStream({ res: c.res, cancel: Cancellation.never, t0: performance.now(), requestId: REQUEST_ID }, p, fields, {}, streamEnd(false, []), where === 'first' ? encoder : null);
      await expect(relayed).rejects.toBe(thrown);
      expect((p.body as UpstreamBody & { destroyed: number }).destroyed).toBe(1);
      expect(piped).toBe(0);
    }
  });

  it('stops at a client that left: the upstream body destroyed, nothing more written', async () => {
    const c = client();
    const cancel = new Cancellation();
    const writes: string[] = [];
    const write = c.res.write.bind(c.res);
    c.res.write = ((text: string) => (writes.push(text), cancel.cancel(), write(text))) as typeof c.res.write;
    const p = primed([UPSTREAM[0], UPSTREAM[1], UPSTREAM[2]]);
    let destroyed = 0;
    p.body.destroy = () => void destroyed++;
    const outcome = await relayStream({ res: c.res, cancel, t0: performance.now(), requestId: REQUEST_ID }, p, fields, {}, streamEnd(false, []), null);
    expect(outcome.failure?.kind).toBe('aborted');
    expect(outcome.cutOff).toBe(true);
    expect(destroyed).toBe(1);
    expect(writes).toHaveLength(2);
    expect(c.written()).not.toContain('event: error');
  });

  describe('the canonical relay, byte for byte, however the upstream chunks its stream', () => {
    const event = (type: string, fields: Record<string, unknown>) => JSON.stringify({ type, ...fields });
    const response = (status: string, usage: unknown) => ({ id: 'resp_up', object: 'response', status, output: [], text: { format: { type: 'text' } }, usage, metadata: {} });
    const EVENTS: [string, string][] = [
      ['response.created', event('response.created', { response: response('in_progress', null), sequence_number: 0 })],
      ['response.output_item.added', event('response.output_item.added', { output_index: 0, item: { id: 'msg_1', type: 'message', content: [] }, sequence_number: 1 })],
      ['response.output_text.delta', event('response.output_text.delta', { item_id: 'msg_1', delta: 'Grüße 🙂 "q" \\ {}', sequence_number: 2 })],
      ['response.output_text.delta', event('response.output_text.delta', { item_id: 'msg_1', delta: 'é'.repeat(40), sequence_number: 3 })],
      ['response.completed', event('response.completed', { response: response('completed', { input_tokens: 3, output_tokens: 7, total_tokens: 10 }), sequence_number: 4 })],
    ];
    /** The stream as upstreams frame it: LF or CRLF lines, comments, ids, `data:` without its space, JSON over several `data:` lines. */
    const multiLine = (extras: boolean, i: number) => extras && i % 2 === 1;
    const upstream = (eol: string, extras: boolean) =>
      EVENTS.map(([type, data], i) => {
        let frame = extras ? `: keep-alive ${i}${eol}id: ${i}${eol}` : '';
        frame += `event: ${type}${eol}`;
        if (multiLine(extras, i)) {
          const cut = data.indexOf(',') + 1;
          frame += `data:${data.slice(0, cut)}${eol}data: ${data.slice(cut)}${eol}`;
        } else {
          frame += `data: ${data}${eol}`;
        }
        return frame + eol;
      }).join('');
    /** What the relay writes, built the plain way: each event's JSON given `extra_fields`, the terminal one spliced. */
    const expected = (extras: boolean, latency: number) =>
      EVENTS.map(([type, data], i) => {
        const fieldsAt = { ...extra, chunk_index: i };
        if (type === 'response.completed') return `event: ${type}\ndata: ${spliceTerminalEvent(data, JSON.stringify({ ...fieldsAt, latency }), COST)}\n\n`;
        // Data lines arrive joined by a newline, and go out as as many `data:` lines.
        const joined = multiLine(extras, i) ? data.replace(',', ',\ndata: ') : data;
        return `event: ${type}\ndata: ${joined.slice(0, -1)},"extra_fields":${JSON.stringify(fieldsAt)}}\n\n`;
      });
    /** Byte offsets to cut the stream at: none, every few bytes, one cut anywhere, and pseudo-random ones. */
    function cuttings(length: number): number[][] {
      const out: number[][] = [[]];
      for (const size of [1, 2, 3, 7, 64]) out.push(Array.from({ length: Math.ceil(length / size) - 1 }, (_, k) => (k + 1) * size));
      for (let cut = 1; cut < length; cut += 5) out.push([cut]);
      let seed = 7;
      for (let n = 0; n < 20; n++) {
        const cuts = new Set<number>();
        for (let k = 0; k < 6; k++) cuts.add(1 + ((seed = (seed * 48271) % 2147483647) % (length - 1)));
        out.push([...cuts].sort((a, b) => a - b));
      }
      return out;
    }

    it('writes the same bytes as the plain build, for LF and CRLF streams, with comments and multi-line data, cut anywhere', async () => {
      const now = jest.spyOn(performance, 'now').mockReturnValue(1000);
      try {
        for (const [eol, extras] of [['\n', false], ['\r\n', true], ['\n', true], ['\r', true]] as const) {
          const bytes = Buffer.from(upstream(eol, extras));
          const frames = expected(extras, 5);
          for (const cuts of cuttings(bytes.length)) {
            const chunks = [...cuts, bytes.length].map((end, k) => bytes.subarray(k === 0 ? 0 : cuts[k - 1], end));
            const body = queuedBody(chunks.slice());
            const candidate = { provider: { name: 'openai' }, adapter: { createStreamTranslator: () => new ResponsesPassthroughTranslator() } } as unknown as Candidate;
            const p = await primeStream({ status: 200, headers: {}, body }, candidate, { model: 'gpt-4o' } as ResponsesRequest);
            const c = client();
            const outcome = await relayStream({ res: c.res, cancel: Cancellation.never, t0: 995, requestId: REQUEST_ID }, p, fields, {}, streamEnd(false, []), null);
            expect(outcome.failure).toBeNull();
            expect(c.bytes().equals(Buffer.from(frames.join('')))).toBe(true);
          }
        }
      } finally {
        now.mockRestore();
      }
    });

    it("writes each frame's text as its UTF-8 bytes, whichever encoding it picks: ASCII streams, escapes the gateway unescapes, errors, rewrites, aborts", async () => {
      // An upstream that escapes every character past ASCII, as Python's json.dumps does: ASCII bytes.
      const escaped = (json: string) => json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
      const frame = ([type, data]: [string, string]) => `event: ${type}\ndata: ${data}\n\n`;
      const ascii = EVENTS.map(([type, data]): [string, string] => [type, escaped(data)]);
      // Its error's message the gateway writes again, unescaped.
      const error: [string, string] = ['error', escaped(JSON.stringify({ type: 'error', message: 'déjà vu 🙂' }))];
      const streams = [
        ascii.map(frame).join(''),
        [...ascii.slice(0, 3), error].map(frame).join(''),
        // ASCII chunks first, then UTF-8.
        ascii.slice(0, 2).map(frame).join('') + EVENTS.slice(2).map(frame).join(''),
        `: keep-alive\n\n${ascii.map(frame).join(': ping\n\n')}`,
        // A terminal event the gateway cannot splice (it has `extra_fields`), serialised again, unescaped.
        [
          ...ascii.slice(0, 4),
          ['response.completed', escaped(event('response.completed', { response: { ...response('completed', { input_tokens: 3, output_tokens: 7, total_tokens: 10 }), metadata: { note: 'é' } }, extra_fields: {}, sequence_number: 4 }))] as [string, string],
        ].map(frame).join(''),
        // Events named only inside their JSON, by a type spelled with an escape.
        ascii.map(([, data]) => `data: ${data.replace('"type":"response.output_text.delta"', '"type":"response.output_text.delt\\u00e1"')}\n\n`).join(''),
      ];
      // A stored turn's rewrite that gives an ASCII event a character that is not.
      const rewrite = (type: string, data: string) => (type === 'response.output_item.added' ? data.replace('msg_1', 'msg_é') : data);
      // A stored turn's terminal event settled as text, its ids ASCII (as settledAscii says) or not.
      // Whether the text it was given was said to be ASCII: only ever when it is.
      const saidAscii = new Set<boolean>();
      const settleText = (id: string) => (data: string, fieldsJson: string, _at: unknown, ascii: boolean) => {
        if (ascii) expect(/^[\x00-\x7f]*$/.test(data + fieldsJson)).toBe(true);
        saidAscii.add(ascii);
        return `${data.slice(0, -1)},"extra_fields":${fieldsJson},"stored_id":"${id}"}`;
      };
      const candidate = { provider: { name: 'openai' }, adapter: { createStreamTranslator: () => new ResponsesPassthroughTranslator() } } as unknown as Candidate;
      const encodings = new Set<string>();
      const settledEncodings = new Set<string>();
      for (const text of streams) {
        const bytes = Buffer.from(text);
        for (const cuts of cuttings(bytes.length).slice(0, 40)) {
          for (const variant of ['plain', 'rewrite', 'abort', 'stored', 'stored-utf8'] as const) {
            const body = queuedBody([...cuts, bytes.length].map((end, k) => bytes.subarray(k === 0 ? 0 : cuts[k - 1], end)));
            const cancel = new Cancellation();
            const writes: { text: string; encoding: BufferEncoding }[] = [];
            const res = {
              destroyed: false,
              writeHead: () => res,
              write: (text: string, encoding: BufferEncoding = 'utf8') => {
                writes.push({ text, encoding });
                if (variant === 'abort') cancel.cancel();
                return true;
              },
              end: () => undefined,
            };
            const end = streamEnd(variant.startsWith('stored'), []);
            if (variant === 'rewrite') Object.assign(end, { rewrite });
            if (variant === 'stored') Object.assign(end, { settleText: settleText('resp_1'), settledAscii: true });
            if (variant === 'stored-utf8') Object.assign(end, { settleText: settleText('resp_é'), settledAscii: false });
            const p = await primeStream({ status: 200, headers: {}, body }, candidate, { model: 'gpt-4o' } as ResponsesRequest);
            await relayStream({ res: res as unknown as ServerResponse, cancel, t0: performance.now(), requestId: REQUEST_ID }, p, fields, {}, end, null);
            expect(writes.length).toBeGreaterThan(0);
            for (const w of writes) {
              encodings.add(w.encoding);
              if (w.text.includes('"stored_id":"resp_1"')) settledEncodings.add(w.encoding);
              expect(Buffer.from(w.text, w.encoding).equals(Buffer.from(w.text, 'utf8'))).toBe(true);
            }
          }
        }
      }
      expect([...encodings].sort()).toEqual(['latin1', 'utf8']);
      // An ASCII stream's terminal event settled as text goes as Latin-1 too.
      expect([...settledEncodings].sort()).toEqual(['latin1', 'utf8']);
      expect([...saidAscii].sort()).toEqual([false, true]);
    });
  });
});

describe('relayStream over sockets: the executor pushing, a slow client', () => {
  const EVENTS = 8000;
  const delta = (i: number) => `${i}:${'x'.repeat(4000)}`;
  const candidate = { provider: { name: 'openai' }, adapter: { createStreamTranslator: () => new ResponsesPassthroughTranslator() } } as unknown as Candidate;
  const executor = new HttpExecutor();
  let upstream: Server;
  let gateway: Server;
  let upstreamUrl: string;
  let gatewayPort: number;
  /** What the upstream has written, and resolves once its socket first pushed back. */
  let sent = 0;
  let pushedBack: Promise<void>;
  let upstreamClosed: Promise<boolean>;
  let outcome: Promise<RelayOutcome>;
  /** The upstream the gateway calls (`/short`: UPSTREAM, one write per event), and the stream's end. */
  let upstreamPath = '/v1/responses';
  let makeEnd: () => StreamEnd = () => streamEnd(false, []);
  /** The gateway's answer, its upstream body watched, and the most it ever held unsent (after a write). */
  let answerRes: ServerResponse;
  let holds: Holds;
  let mostBuffered = 0;
  let largestWrite = 0;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      if (req.url === '/ping') return void res.end('pong');
      upstreamClosed = new Promise((resolve) => res.on('close', () => resolve(res.writableFinished)));
      if (req.url === '/short') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return void res.write(UPSTREAM[0], () => res.write(UPSTREAM[1], () => res.end(UPSTREAM[2])));
      }
      let pushed!: () => void;
      pushedBack = new Promise((resolve) => (pushed = resolve));
      sent = 0;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = -1;
      const pump = () => {
        for (; i <= EVENTS; i++) {
          const frame = i < 0 ? UPSTREAM[0] : i === EVENTS ? UPSTREAM[2] : sse('response.output_text.delta', { item_id: 'msg_1', output_index: 0, delta: delta(i) });
          sent += frame.length;
          if (!res.write(frame)) {
            pushed();
            i++;
            return void res.once('drain', pump);
          }
        }
        res.end();
      };
      pump();
    });
    gateway = createServer((_req, res) => {
      // As the gateway's in-flight tracking does: a client that leaves cancels its request.
      const cancel = new Cancellation();
      res.on('close', () => cancel.cancel());
      answerRes = res;
      mostBuffered = largestWrite = 0;
      const write = res.write.bind(res) as (text: string, encoding: BufferEncoding) => boolean;
      res.write = ((text: string, encoding: BufferEncoding) => {
        const ok = write(text, encoding);
        largestWrite = Math.max(largestWrite, Buffer.byteLength(text, encoding));
        mostBuffered = Math.max(mostBuffered, res.writableLength);
        return ok;
      }) as ServerResponse['write'];
      outcome = (async () => {
        const up = await executor.send({ url: `${upstreamUrl}${upstreamPath}`, headers: {}, body: '{}' }, { cancel, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 });
        holds = watchHolds(up.body, upstreamPath);
        const p = await primeStream(up, candidate, { model: 'gpt-4o' } as ResponsesRequest);
        return relayStream({ res, cancel, t0: performance.now(), requestId: REQUEST_ID }, p, fields, {}, makeEnd(), null);
      })();
      // As the request pipeline does with a relay that rejects: its answer, begun, is destroyed.
      outcome.catch(() => res.destroy());
    });
    for (const server of [upstream, gateway]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    gatewayPort = (gateway.address() as AddressInfo).port;
  });

  afterEach(() => holds?.stop());

  afterAll(async () => {
    await executor.close();
    for (const server of [upstream, gateway]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** A client that reads nothing until the upstream is held (what it sent stops growing), then hands the response over. */
  async function slowClient(): Promise<IncomingMessage> {
    const answer = await new Promise<IncomingMessage>((resolve, reject) => {
      request({ host: '127.0.0.1', port: gatewayPort, method: 'POST', path: '/' }, resolve).on('error', reject).end();
    });
    answer.pause();
    await pushedBack;
    expect(await untilStalled(() => sent, async () => (await fetch(`${upstreamUrl}/ping`)).text())).toBe(sent);
    return answer;
  }

  /**
   * The relay holds the body from the write that fills the client's socket to its drain, and the
   * exchange then pauses undici: whatever the kernel's buffers take, the answer keeps at most its
   * high-water mark and one write unsent, and undici reads at most one chunk while held.
   */
  function expectHeld(): void {
    expect(holds.count).toBeGreaterThan(0);
    expect(holds.mostTakenWhileHeld).toBeLessThanOrEqual(1);
    expect(mostBuffered).toBeLessThanOrEqual(answerRes.writableHighWaterMark + largestWrite);
  }

  it('holds the upstream while the client is full, then relays every event in order once it reads', async () => {
    const answer = await slowClient();
    expectHeld();
    const chunks: Buffer[] = [];
    answer.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((resolve) => answer.on('end', resolve));
    answer.resume();
    await ended;
    expect((await outcome).failure).toBeNull();
    expect(await upstreamClosed).toBe(true);
    expectHeld();
    const frames = Buffer.concat(chunks).toString().split('\n\n').filter((f) => f !== '');
    expect(frames).toHaveLength(EVENTS + 2);
    const events = frames.map((f) => JSON.parse(f.split('\ndata: ')[1]) as { type: string; delta?: string; extra_fields: { chunk_index: number } });
    expect(events.map((e) => e.extra_fields.chunk_index)).toEqual(Array.from({ length: EVENTS + 2 }, (_, k) => k));
    const deltas = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta);
    expect(deltas).toEqual(Array.from({ length: EVENTS }, (_, k) => delta(k)));
    expect(events.at(-1)?.type).toBe('response.completed');
  });

  it('a client that leaves while the upstream is held: the upstream request closed, the outcome aborted', async () => {
    const answer = await slowClient();
    answer.destroy();
    const relayed = await outcome;
    expect(relayed).toMatchObject({ failure: { kind: 'aborted' }, cutOff: true });
    expect(await upstreamClosed).toBe(false);
  });

  it('a settle that throws (an Error, or undefined) ends the relay: rejected, the answer destroyed, the upstream done', async () => {
    upstreamPath = '/short';
    try {
      for (const thrown of [new Error('store down'), undefined]) {
        makeEnd = () => Object.assign(streamEnd(true, []), {
          settle: () => {
            throw thrown;
          },
        });
        // The client sees its answer cut short, or (destroyed before its headers were read) a hang-up.
        let answer: IncomingMessage | null = null;
        const req = request({ host: '127.0.0.1', port: gatewayPort, method: 'POST', path: '/' }, (r) => (answer = r).on('error', () => undefined).resume());
        const closed = new Promise((resolve) => req.on('error', () => undefined).on('close', resolve));
        req.end();
        await closed;
        await expect(outcome).rejects.toBe(thrown);
        expect(answerRes.destroyed).toBe(true);
        expect((answer as IncomingMessage | null)?.complete ?? false).toBe(false);
        await upstreamClosed;
      }
    } finally {
      upstreamPath = '/v1/responses';
      makeEnd = () => streamEnd(false, []);
    }
  });
});
