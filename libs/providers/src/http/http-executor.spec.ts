import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseHeaders } from 'undici/lib/core/util';
import { version as undiciVersion } from 'undici/package.json';
import { watchHolds } from '../testing/held';
import { untilStalled } from '../testing/stalled';
import { Cancellation } from './cancellation';
import { type BodyConsumer, HttpExecutor, type SendOptions } from './http-executor';
import type { UpstreamFailure } from './upstream-failure';

// undici's header parsing, counted (undici's own calls included): the executor leaves a 2xx answer's unparsed.
jest.mock('undici/lib/core/util', () => {
  const actual = jest.requireActual<typeof import('undici/lib/core/util')>('undici/lib/core/util');
  return { ...actual, parseHeaders: jest.fn(actual.parseHeaders) };
});

type Route = (req: IncomingMessage, res: ServerResponse) => void;

describe('HttpExecutor (undici dispatch, against a real socket)', () => {
  let server: Server;
  let base: string;
  let route: Route;
  /** Resolves when the server sees the current request's connection close before its response ended. */
  let clientGone: Promise<void>;
  const executor = new HttpExecutor();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let gone: () => void = () => undefined;
      clientGone = new Promise((resolve) => (gone = resolve));
      res.on('close', () => {
        if (!res.writableFinished) gone();
      });
      req.resume();
      req.on('end', () => route(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await executor.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const options = (over: Partial<SendOptions> = {}): SendOptions => ({ cancel: new Cancellation(), headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000, ...over });
  const PATH = '/v1/responses?x=1';
  const send = (over: Partial<SendOptions> = {}) => executor.send({ url: `${base}${PATH}`, headers: { 'content-type': 'application/json' }, body: '{"a":1}' }, options(over));
  const failureOf = async (p: Promise<unknown>): Promise<UpstreamFailure> => {
    try {
      await p;
    } catch (err) {
      return err as UpstreamFailure;
    }
    throw new Error('expected a failure');
  };

  it('sends the request as given and reads a JSON answer whole', async () => {
    let seen: { method?: string; url?: string; type?: string } = {};
    route = (req, res) => {
      seen = { method: req.method, url: req.url, type: req.headers['content-type'] };
      res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' }).end('{"ok":"héllo"}');
    };
    const res = await send();
    expect(seen).toEqual({ method: 'POST', url: '/v1/responses?x=1', type: 'application/json' });
    expect(res.status).toBe(201);
    expect(res.headers['x-upstream']).toBe('yes');
    expect(await res.body.text()).toBe('{"ok":"héllo"}');
  });

  it("reads an answer's headers as undici would: names lower-cased, a repeated name's values in an array, Latin-1 values", async () => {
    route = (_req, res) => {
      res.setHeader('X-Limit', ['1', '2']);
      res.setHeader('Retry-After', '7');
      res.setHeader('X-Latin', 'caf\u00e9');
      res.writeHead(429).end('{}');
    };
    const res = await send();
    expect([res.headers['x-limit'], res.headers['retry-after'], res.headers['x-latin']]).toEqual([['1', '2'], '7', 'caf\u00e9']);
    const reply = await executor.fetch({ url: `${base}${PATH}`, headers: {}, body: '{}' }, options(), 1_000, (r) => r);
    expect([reply.status, reply.headers['x-limit'], reply.headers['retry-after'], reply.text]).toEqual([429, ['1', '2'], '7', '{}']);
  });

  it("parses an answer's headers only when they are read: never a 2xx's, an error answer's once however often read", async () => {
    let status = 200;
    route = (_req, res) => res.writeHead(status, { 'retry-after': '1' }).end('{}');
    const parsed = jest.mocked(parseHeaders);
    parsed.mockClear();
    await (await send()).body.text();
    await executor.fetch({ url: `${base}${PATH}`, headers: {}, body: '{}' }, options(), 1_000, (r) => r.text);
    expect(parsed).toHaveBeenCalledTimes(0);
    status = 429;
    const failed = await send();
    await failed.body.text();
    expect([failed.headers['retry-after'], failed.headers['retry-after']]).toEqual(['1', '1']);
    expect(parsed).toHaveBeenCalledTimes(1);
    const reply = await executor.fetch({ url: `${base}${PATH}`, headers: {}, body: '{}' }, options(), 1_000, (r) => r);
    expect([reply.headers['retry-after'], reply.headers['retry-after']]).toEqual(['1', '1']);
    expect(parsed).toHaveBeenCalledTimes(2);
  });

  it('a multi-byte character split across chunks survives text()', async () => {
    const bytes = Buffer.from('{"t":"€€€"}');
    route = (_req, res) => {
      res.writeHead(200);
      res.write(bytes.subarray(0, 7)); // inside the first €
      setTimeout(() => res.end(bytes.subarray(7)), 20);
    };
    expect(await (await send()).body.text()).toBe('{"t":"€€€"}');
  });

  it('text(maxBytes) keeps the first bytes, reads the rest and still completes', async () => {
    route = (_req, res) => {
      res.writeHead(500);
      for (let i = 0; i < 20; i++) res.write('x'.repeat(10_000));
      res.end();
    };
    const res = await send();
    expect(await res.body.text(25_000)).toBe('x'.repeat(25_000));
  });

  describe('text() on a body queued past the high-water mark (undici paused)', () => {
    /** Sends, then waits until undici has read 64 KiB of the answer: the exchange has queued them and paused it. */
    const sentAndPaused = async () => {
      const watch = watchHolds(null, PATH);
      const res = await send();
      for (const deadline = Date.now() + 2_000; watch.received < 64 * 1024 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 5));
      watch.stop();
      expect(watch.received).toBeGreaterThanOrEqual(64 * 1024);
      return res;
    };
    /** The body's text, or 'hung' when it has not settled within 2 s (the body then destroyed). */
    const textWithin = async (res: { body: { text(max?: number): Promise<string>; destroy(): void } }, maxBytes?: number) => {
      let timer!: NodeJS.Timeout;
      const hung = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hung'), 2_000)));
      const text = await Promise.race([res.body.text(maxBytes), hung]);
      clearTimeout(timer);
      if (text === 'hung') res.body.destroy();
      return text;
    };
    /** A text as its runs of one character ('x*3 y*2'): short to compare and to print. */
    const runs = (text: string) => (text.match(/(.)\1*/gs) ?? []).map((run) => `${run[0]}*${run.length}`).join(' ');

    it("settles when resuming undici delivers the rest and the end at once (an error answer's body kept to its limit)", async () => {
      route = (_req, res) => res.writeHead(500, { 'content-length': '200000' }).end('x'.repeat(200_000));
      expect(runs(await textWithin(await sentAndPaused(), 1_000))).toBe('x*1000');
    });

    it('keeps reading when the rest comes later', async () => {
      let rest!: () => void;
      route = (_req, res) => {
        res.writeHead(200, { 'content-length': '400000' });
        res.write('x'.repeat(200_000));
        rest = () => res.end('y'.repeat(200_000));
      };
      const res = await sentAndPaused();
      const text = textWithin(res);
      rest();
      expect(runs(await text)).toBe('x*200000 y*200000');
    });
  });

  const PUMPED = 16 * 1024 * 1024;
  /**
   * An upstream that sends 16 MiB as fast as its socket takes them, each 16 KiB block filled with
   * its number, and answers `/ping` on the side. `held()` resolves once it is pushed back and what
   * it sent stops growing (or it is done): a wait, the tests' assertions being the gateway's side
   * (watchHolds), not what the kernel's socket buffers let through.
   */
  function pumping(): { sent: () => number; held: () => Promise<void> } {
    let sent = 0;
    let pushedBack!: () => void;
    const upstreamPaused = new Promise<void>((resolve) => (pushedBack = resolve));
    route = (req, res) => {
      if (req.url === '/ping') return void res.end('pong');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = () => {
        while (sent < PUMPED) {
          const chunk = Buffer.alloc(16 * 1024, sent / (16 * 1024));
          sent += chunk.length;
          if (!res.write(chunk)) {
            pushedBack();
            return void res.once('drain', pump);
          }
        }
        res.end();
      };
      pump();
    };
    const held = async () => {
      await upstreamPaused;
      await untilStalled(() => sent, async () => (await fetch(`${base}/ping`)).text());
    };
    return { sent: () => sent, held };
  }

  /** Every byte `pumping` sent, in order. */
  function expectPumped(received: Buffer[]): void {
    const all = Buffer.concat(received);
    expect(all.length).toBe(PUMPED);
    for (let i = 0; i < PUMPED; i += 16 * 1024) expect(all[i]).toBe((i / (16 * 1024)) & 0xff);
  }

  it('a stream read slowly pauses the upstream socket and loses nothing', async () => {
    const upstream = pumping();
    // Watched before sending: every byte undici reads is counted, those read before the headers came back too.
    const watch = watchHolds(null, PATH);
    const res = await send();
    // Nothing read yet: the exchange queues up to its high-water mark (64 KiB), then pauses undici.
    await upstream.held();
    expect(watch.received).toBeLessThanOrEqual(64 * 1024 + watch.largest);
    watch.stop();
    const received: Buffer[] = [];
    for (let chunk = await res.body.next(); chunk !== null; chunk = await res.body.next()) received.push(chunk);
    expectPumped(received);
  });

  describe('pipe: the body pushed to a consumer', () => {
    /** A consumer that keeps what it is given; `take` answers each chunk (false: hold the rest). */
    function consumer(take: (chunk: Buffer) => boolean = () => true) {
      const chunks: Buffer[] = [];
      const ends: (UpstreamFailure | null)[] = [];
      let ended!: (failure: UpstreamFailure | null) => void;
      const end = new Promise<UpstreamFailure | null>((resolve) => (ended = resolve));
      let given!: () => void;
      const first = new Promise<void>((resolve) => (given = resolve));
      const c: BodyConsumer = {
        bodyChunk: (chunk) => (chunks.push(chunk), given(), take(chunk)),
        bodyEnd: (failure) => (ends.push(failure), ended(failure)),
      };
      return { c, chunks, ends, end, first, text: () => Buffer.concat(chunks).toString() };
    }

    it('a consumer that holds the body pauses the upstream socket; resumed, it gets every byte in order', async () => {
      const upstream = pumping();
      const res = await send();
      let holding = true;
      let holds = 0;
      const to = consumer(() => {
        if (holding) return false;
        // Held every few chunks and resumed on a later turn, as the relay is by its client's drain.
        if (to.chunks.length % 8 !== 0) return true;
        holds++;
        setImmediate(() => res.body.resume());
        return false;
      });
      const watch = watchHolds(res.body, PATH);
      res.body.pipe(to.c);
      // Held from its first chunk: nothing more is delivered, and undici reads at most the chunk
      // it was inside of (one queued before pipe was delivered) until the resume.
      await upstream.held();
      expect(to.chunks).toHaveLength(1);
      expect(watch.count).toBe(1);
      expect(watch.mostTakenWhileHeld).toBeLessThanOrEqual(1);
      holding = false;
      res.body.resume();
      expect(await to.end).toBeNull();
      watch.stop();
      expect(holds).toBeGreaterThan(10);
      expect(watch.count).toBe(holds + 1);
      expect(watch.mostTakenWhileHeld).toBeLessThanOrEqual(1);
      expect(to.ends).toHaveLength(1);
      expectPumped(to.chunks);
    });

    it('hands over the chunks read but not pulled first, in order and before pipe returns, then resumes the upstream', async () => {
      const upstream = pumping();
      const res = await send();
      const first = await res.body.next();
      // Nothing more pulled: the exchange keeps what comes until its high-water mark pauses the upstream.
      await upstream.held();
      const to = consumer();
      res.body.pipe(to.c);
      const handedInPipe = to.chunks.length;
      expect(handedInPipe).toBeGreaterThan(1);
      expect(await to.end).toBeNull();
      expect(to.chunks.length).toBeGreaterThan(handedInPipe);
      expectPumped([first!, ...to.chunks]);
    });

    it('a body read to its end before pipe: its chunks, then its end, within pipe', async () => {
      let more!: () => void;
      route = (_req, res) => {
        res.writeHead(200);
        res.write('one');
        // The rest once the first chunk was pulled, in several writes.
        more = () => res.write('two', () => res.write('three', () => res.end('four')));
      };
      let done!: () => void;
      const upstreamDone = new Promise<void>((resolve) => (done = resolve));
      const res = await send({ onDone: () => done() });
      expect((await res.body.next())?.toString()).toBe('one');
      more();
      await upstreamDone;
      const to = consumer();
      res.body.pipe(to.c);
      expect(to.text()).toBe('twothreefour');
      expect(to.ends).toEqual([null]);
    });

    it('a body that breaks off mid-stream, or goes silent, ends the consumer with the failure after its chunks', async () => {
      route = (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('data: {}\n\n', () => res.destroy());
      };
      const broken = consumer();
      (await send()).body.pipe(broken.c);
      const failure = await broken.end;
      expect(broken.text()).toBe('data: {}\n\n');
      expect(failure?.kind).toBe('network');

      route = (_req, res) => {
        res.writeHead(200);
        res.write('data: {}\n\n');
      };
      const silent = consumer();
      (await send({ bodyTimeoutMs: 100 })).body.pipe(silent.c);
      const idle = await silent.end;
      expect(silent.text()).toBe('data: {}\n\n');
      expect({ kind: idle?.kind, message: idle?.message }).toEqual({ kind: 'timeout', message: 'upstream went silent (stream idle timeout)' });
      expect([broken.ends, silent.ends].map((e) => e.length)).toEqual([1, 1]);
    });

    it('a client that leaves while the consumer holds the body ends it at once as aborted, the upstream request closed', async () => {
      route = (_req, res) => {
        res.writeHead(200);
        res.write('one');
      };
      const cancel = new Cancellation();
      const held = consumer(() => false);
      (await send({ cancel })).body.pipe(held.c);
      await held.first;
      cancel.cancel();
      expect((await held.end)?.kind).toBe('aborted');
      await clientGone;
    });

    it('a client that leaves while a body read to its end is held ends it at once as aborted', async () => {
      route = (_req, res) => {
        res.writeHead(200);
        res.write('one', () => res.write('two', () => res.end('three')));
      };
      let done!: () => void;
      const upstreamDone = new Promise<void>((resolve) => (done = resolve));
      const cancel = new Cancellation();
      const res = await send({ cancel, onDone: () => done() });
      await upstreamDone;
      // Its first chunk taken and held: the rest waits for a resume that never comes.
      const held = consumer(() => false);
      res.body.pipe(held.c);
      expect(held.chunks).toHaveLength(1);
      expect(held.ends).toEqual([]);
      cancel.cancel();
      expect(held.ends.map((f) => f?.kind)).toEqual(['aborted']);
    });

    it('a body that broke off before pipe: its chunks, then its failure, within pipe', async () => {
      route = (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('one', () => res.destroy());
      };
      let done!: () => void;
      const over = new Promise<void>((resolve) => (done = resolve));
      const res = await send({ onDone: () => done() });
      await over;
      const to = consumer();
      res.body.pipe(to.c);
      expect(to.text()).toBe('one');
      expect(to.ends.map((f) => f?.kind)).toEqual(['network']);
    });

    it('a client that leaves while the body flows ends it at once as aborted, the upstream request closed', async () => {
      route = (_req, res) => {
        res.writeHead(200);
        res.write('one');
      };
      const cancel = new Cancellation();
      const to = consumer();
      (await send({ cancel })).body.pipe(to.c);
      await to.first;
      cancel.cancel();
      expect(to.ends.map((f) => f?.kind)).toEqual(['aborted']);
      await clientGone;
      expect(to.text()).toBe('one');
    });

    it('a consumer that throws is ended once with what it threw as an internal failure (never retried), the upstream request closed and the exchange over', async () => {
      let more!: () => void;
      route = (_req, res) => {
        res.writeHead(200);
        res.write('one');
        more = () => res.write('two');
      };
      let done!: () => void;
      const over = new Promise<void>((resolve) => (done = resolve));
      const res = await send({ onDone: () => done() });
      // Its second chunk (sent once the first was taken) throws.
      const to = consumer(() => {
        if (to.chunks.length === 1) more();
        else throw new Error('relay bug');
        return true;
      });
      res.body.pipe(to.c);
      const failure = await to.end;
      expect({ kind: failure?.kind, message: failure?.message, retryable: failure?.retryable }).toEqual({ kind: 'internal', message: 'internal error: relay bug', retryable: false });
      await Promise.all([clientGone, over]);
      expect(to.ends).toHaveLength(1);
      expect(to.text()).toBe('onetwo');
    });

    it('a consumer that destroys the body from its chunk is given nothing more, and the upstream request is closed', async () => {
      route = (_req, res) => {
        res.writeHead(200);
        res.write('one');
      };
      const res = await send();
      const to = consumer(() => (res.body.destroy(), true));
      res.body.pipe(to.c);
      await clientGone;
      expect(to.text()).toBe('one');
      expect(to.ends).toEqual([]);
    });
  });

  it('iterates with for await', async () => {
    route = (_req, res) => {
      res.writeHead(200);
      res.write('a');
      setTimeout(() => res.end('b'), 10);
    };
    const parts: string[] = [];
    for await (const chunk of (await send()).body) parts.push(chunk.toString());
    expect(parts.join('')).toBe('ab');
  });

  it('destroy() mid-stream aborts the upstream request', async () => {
    route = (_req, res) => {
      res.writeHead(200);
      res.write('first');
    };
    const res = await send();
    expect((await res.body.next())?.toString()).toBe('first');
    res.body.destroy();
    await clientGone;
    expect(await res.body.next()).toBeNull();
  });

  it('cancelling before the headers arrive rejects as aborted and closes the upstream request', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    route = () => arrived(); // never answers
    const cancel = new Cancellation();
    const pending = send({ cancel });
    await requestArrived;
    cancel.cancel();
    const failure = await failureOf(pending);
    expect(failure.kind).toBe('aborted');
    await clientGone;
  });

  it('cancelling mid-stream rejects the pending read as aborted', async () => {
    route = (_req, res) => {
      res.writeHead(200);
      res.write('one');
    };
    const cancel = new Cancellation();
    const res = await send({ cancel });
    expect((await res.body.next())?.toString()).toBe('one');
    const read = res.body.next();
    cancel.cancel();
    expect((await failureOf(read)).kind).toBe('aborted');
    await clientGone;
  });

  it('an already cancelled request never reaches the upstream as a live request', async () => {
    const cancel = new Cancellation();
    cancel.cancel();
    const served: string[] = [];
    route = (req, res) => {
      served.push(req.url ?? '');
      res.end('{}');
    };
    expect((await failureOf(send({ cancel }))).kind).toBe('aborted');
    // A request sent after it is answered, and it is the only one the upstream ever saw.
    await (await send()).body.text();
    expect(served).toHaveLength(1);
  });

  it('headers and body timeouts are timeouts; the body one says the stream went silent', async () => {
    route = () => undefined;
    const headers = await failureOf(send({ headersTimeoutMs: 100 }));
    expect({ kind: headers.kind, message: headers.message }).toEqual({ kind: 'timeout', message: 'upstream request timed out' });

    route = (_req, res) => {
      res.writeHead(200);
      res.write('data: {}\n\n');
    };
    const res = await send({ bodyTimeoutMs: 100 });
    await res.body.next();
    const idle = await failureOf(res.body.next());
    expect({ kind: idle.kind, message: idle.message }).toEqual({ kind: 'timeout', message: 'upstream went silent (stream idle timeout)' });
  });

  describe('fetch: the answer read whole, in one promise', () => {
    const fetch = (over: Partial<SendOptions> = {}, errorBodyBytes = 25_000) =>
      executor.fetch({ url: `${base}/v1/responses`, headers: {}, body: '{}' }, options(over), errorBodyBytes, (reply) => reply);

    it('hands a 2xx answer, a multi-byte character split across chunks included, to read whole', async () => {
      const bytes = Buffer.from('{"t":"€€€"}');
      route = (_req, res) => {
        res.writeHead(200, { 'x-upstream': 'yes' });
        // The rest once the first part is on the wire: two chunks for the client.
        res.write(bytes.subarray(0, 7), () => res.end(bytes.subarray(7)));
      };
      const reply = await fetch();
      expect({ status: reply.status, header: reply.headers['x-upstream'], text: reply.text, ascii: reply.ascii }).toEqual({ status: 200, header: 'yes', text: '{"t":"€€€"}', ascii: false });
    });

    it('says whether the body is ASCII, which it then reads as its bytes', async () => {
      // 0x80 alone is not UTF-8: decoded, it reads as U+FFFD, one character for one byte as ASCII's.
      for (const [bytes, text, ascii] of [[Buffer.from('{"t":"hi"}'), '{"t":"hi"}', true], [Buffer.from([0x22, 0x80, 0x22]), '"\ufffd"', false]] as const) {
        route = (_req, res) => res.end(bytes);
        expect(await fetch()).toMatchObject({ status: 200, text, ascii });
      }
    });

    it("keeps an error answer's first errorBodyBytes and still completes", async () => {
      route = (_req, res) => {
        res.writeHead(500);
        for (let i = 0; i < 20; i++) res.write('x'.repeat(10_000));
        res.end();
      };
      expect(await fetch()).toMatchObject({ status: 500, text: 'x'.repeat(25_000) });
    });

    it('an error answer whose body breaks off still reports its status, with no text', async () => {
      route = (_req, res) => {
        res.writeHead(503, { 'content-length': '100' });
        res.write('{"error":', () => res.destroy());
      };
      expect(await fetch()).toMatchObject({ status: 503, text: '' });
    });

    it("settles with what read returns or throws, and a 2xx body that breaks off is the network's failure", async () => {
      route = (_req, res) => res.end('{}');
      const req = { url: `${base}/x`, headers: {}, body: '' };
      expect(await executor.fetch(req, options(), 10, (r) => r.text.length)).toBe(2);
      const thrown = new Error('not a response');
      await expect(executor.fetch(req, options(), 10, () => { throw thrown; })).rejects.toBe(thrown);

      route = (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"id":', () => res.destroy());
      };
      expect((await failureOf(fetch())).kind).toBe('network');
    });

    it('cancelling before the answer ends rejects as aborted and closes the upstream request', async () => {
      let answering!: () => void;
      const started = new Promise<void>((resolve) => (answering = resolve));
      route = (_req, res) => {
        res.writeHead(200);
        res.write('{"id":', () => answering());
      };
      const cancel = new Cancellation();
      const pending = fetch({ cancel });
      await started;
      cancel.cancel();
      expect((await failureOf(pending)).kind).toBe('aborted');
      await clientGone;
    });

    it('a body that goes silent is a timeout, and each exchange frees its connection once', async () => {
      route = (_req, res) => {
        res.writeHead(200);
        res.write('{');
      };
      const onDone = jest.fn();
      const idle = await failureOf(fetch({ bodyTimeoutMs: 100, onDone }));
      expect(idle.kind).toBe('timeout');
      route = (_req, res) => res.end('{}');
      await fetch({ onDone });
      expect(onDone).toHaveBeenCalledTimes(2);
    });
  });

  it('a refused connection is a network failure naming the code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const failure = await failureOf(executor.send({ url: `http://127.0.0.1:${port}/x`, headers: {}, body: '' }, options()));
    expect({ kind: failure.kind, message: failure.message }).toEqual({ kind: 'network', message: 'network error: ECONNREFUSED' });
  });
});

describe('HttpExecutor and its undici', () => {
  it('runs on undici 7, the last whose client calls the older handler interface the exchange takes', () => {
    const major = Number(undiciVersion.split('.')[0]);
    if (major !== 7) {
      throw new Error(
        `undici ${undiciVersion} is installed: UpstreamExchange takes undici 7's older handler interface (onConnect, onHeaders, ...), ` +
          'which undici 8 removed; move it to onRequestStart/onResponseStart (see its comment) before upgrading',
      );
    }
  });
});

describe('HttpExecutor.close', () => {
  it('closes the pool of every origin, shares one pool per origin whatever the path, and fails every request after it as an internal failure (never retried)', async () => {
    const servers = await Promise.all([0, 1].map(async () => {
      const s = createServer((_req, res) => res.end('{}'));
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      return s;
    }));
    const [a, b] = servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`);
    const executor = new HttpExecutor();
    const options = (): SendOptions => ({ cancel: new Cancellation(), headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 });
    const ask = (url: string) => executor.fetch({ url, method: 'POST', headers: {}, body: '{}' }, options(), 1_000, (r) => r.status);
    // More distinct URLs than the executor keeps parsed, over one origin: still one pool.
    for (let i = 0; i < 1_030; i++) expect(await ask(`${a}/v1/models/${i}?page=${i}`)).toBe(200);
    expect(await ask(`${b}/v1/responses`)).toBe(200);
    const pools = (executor as unknown as { pools: Map<string, { closed: boolean }> }).pools;
    expect(pools.size).toBe(2);
    await executor.close();
    expect([...pools.values()].every((p) => p.closed)).toBe(true);
    for (const url of [`${a}/v1/responses`, 'http://127.0.0.1:9/v1/responses']) {
      await expect(ask(url)).rejects.toMatchObject({ kind: 'internal' });
    }
    expect(pools.size).toBe(2);
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });
});

describe('Cancellation', () => {
  it('runs each hook once, unsubscribed hooks never, and late hooks at once', () => {
    const c = new Cancellation();
    const calls: string[] = [];
    c.onCancel(() => calls.push('a'));
    const off = c.onCancel(() => calls.push('b'));
    off();
    c.cancel();
    c.cancel();
    c.onCancel(() => calls.push('late'));
    expect(calls).toEqual(['a', 'late']);
    expect(c.aborted).toBe(true);
  });

  it('never fires for Cancellation.never, and follows an AbortSignal', () => {
    Cancellation.never.cancel();
    expect(Cancellation.never.aborted).toBe(false);
    const ac = new AbortController();
    const c = Cancellation.fromSignal(ac.signal);
    expect(c.aborted).toBe(false);
    ac.abort();
    expect(c.aborted).toBe(true);
  });
});
