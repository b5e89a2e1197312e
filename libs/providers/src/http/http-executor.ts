import { isAscii } from 'node:buffer';
import type { Dispatcher } from 'undici';
// The Pool alone: undici's entry point also loads fetch, WebSocket, EventSource, the cache
// stores and the mocks, which the gateway never uses and whose code would stay in the heap.
// Neither it nor undici/lib/core/util (parseHeaders, AnswerHead) is a public path: the
// executor's specs and test/deploy/loaded-modules fail if one moves.
import Pool from 'undici/lib/dispatcher/pool';
import { parseHeaders } from 'undici/lib/core/util';
import type { UpstreamRequest } from '../types';
import type { CancelListener, Cancellation } from './cancellation';
import { internalFailure, UpstreamFailure } from './upstream-failure';

export interface SendOptions {
  /** Fires when the client goes away: the upstream request is aborted. */
  cancel: Cancellation;
  /** Until the response headers arrive. */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks (the stream idle timeout). */
  bodyTimeoutMs: number;
  /** Called once when the exchange is over (body read, failed or destroyed): its connection is free. */
  onDone?: () => void;
}

/**
 * An upstream body, pulled by the gateway whole (`text`) or chunk by chunk (`next`), or pushed
 * to a consumer from the executor's own socket callbacks (`pipe`): no promise per chunk.
 */
export interface UpstreamBody extends AsyncIterable<Buffer> {
  /** The whole body as UTF-8; past `maxBytes` the rest is read and dropped. */
  text(maxBytes?: number): Promise<string>;
  /** The next chunk, or null at the end. Rejects with an UpstreamFailure. */
  next(): Promise<Buffer | null>;
  /**
   * From here on the body goes to `consumer`, in order: the chunks read but not pulled yet (within
   * `pipe`, until the consumer holds), then each as it arrives, then its end. Nothing is pulled after.
   */
  pipe(consumer: BodyConsumer): void;
  /** Delivers again after the consumer's `bodyChunk` returned false. */
  resume(): void;
  /** Stops reading, a consumer told nothing more: the upstream request is aborted if still running. */
  destroy(): void;
}

/**
 * Where `UpstreamBody.pipe` delivers: called from the executor's callbacks, never re-entered. Its
 * methods must not throw (they run inside undici's and the socket's callbacks): one that throws
 * from `bodyChunk` is ended with what it threw as the failure, the upstream request aborted.
 */
export interface BodyConsumer {
  /** The next chunk; false holds the rest (the upstream socket paused) until `UpstreamBody.resume`. */
  bodyChunk(chunk: Buffer): boolean;
  /**
   * Once, after the last chunk: null at the body's end, else why it broke off. A client that
   * leaves (the exchange's Cancellation) ends the body at once as aborted: while it is held,
   * before the chunks held back; while it flows, after the chunks already read.
   */
  bodyEnd(failure: UpstreamFailure | null): void;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
}

/** An answer read whole (HttpExecutor.fetch): a 2xx body entire, any other status's up to its limit. */
export interface UpstreamReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** UTF-8; empty when a body other than a 2xx's broke off (its status still says what happened). */
  text: string;
  /** The body is known to be ASCII: `text` is exactly its bytes, one character per byte. */
  ascii: boolean;
}

/**
 * An answer's headers, read from undici's raw name/value pairs only when something asks for them
 * (an error answer's). The raw Buffers are views of the socket read they came in, which a
 * stream's answer keeps for as long as it runs (a few KiB, at most one read of 64 KiB).
 */
class AnswerHead {
  private parsed: Record<string, string | string[] | undefined> | null = null;

  constructor(private readonly raw: Buffer[]) {}

  get headers(): Record<string, string | string[] | undefined> {
    return (this.parsed ??= parseHeaders(this.raw));
  }
}

/** `UpstreamResponse` with its headers parsed on first read. */
class StartedResponse implements UpstreamResponse {
  constructor(
    readonly status: number,
    private readonly head: AnswerHead,
    readonly body: UpstreamBody,
  ) {}

  get headers(): Record<string, string | string[] | undefined> {
    return this.head.headers;
  }
}

/** `UpstreamReply` with its headers parsed on first read. */
class WholeReply implements UpstreamReply {
  constructor(
    readonly status: number,
    private readonly head: AnswerHead | null,
    readonly text: string,
    readonly ascii: boolean,
  ) {}

  get headers(): Record<string, string | string[] | undefined> {
    return this.head === null ? {} : this.head.headers;
  }
}

/**
 * What UpstreamExchange tells undici through: pause, resume and abort, as undici's own controller
 * for a handler of its current interface does (UnwrapHandler), over the older interface's calls.
 */
class ExchangeControl {
  paused = false;
  aborted = false;
  /** undici's resume for this request, from its headers on. */
  resumeReading: (() => void) | null = null;

  constructor(private readonly abortRequest: (err: Error) => void) {}

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resumeReading?.();
  }

  abort(err: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortRequest(err);
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
// Chunks the gateway has not pulled yet, past which the upstream socket is paused.
const HIGH_WATER_BYTES = 64 * 1024;

/**
 * The one place that talks to providers: a keep-alive connection pool per upstream origin
 * (undici), timeouts, and aborts that reach the upstream socket when the client leaves.
 *
 * Requests go through undici's `dispatch` with a handler of our own rather than its
 * `request()`: that skips a Readable stream per response, its async iterator, and an
 * AbortSignal listener per request, which together cost more CPU than the rest of the
 * upstream call (measured in bench/PROFILE.md). Each origin's pool is dispatched to directly,
 * found with the request's path in one lookup by URL, where an Agent in front would look the
 * origin up again on every request. Origins must come from the configuration (a bounded set):
 * their pools are kept until `close`.
 */
export class HttpExecutor {
  private readonly pools = new Map<string, Pool>();
  private readonly targets = new Map<string, { pool: Pool; path: string }>();
  private readonly poolOptions: Pool.Options;
  /** After `close`, every request fails as an internal failure: no pool is made that nothing would close. */
  private closed = false;

  constructor(options: { connectionsPerOrigin?: number } = {}) {
    this.poolOptions = {
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connections: options.connectionsPerOrigin ?? 256,
      pipelining: 1,
      connect: { timeout: 10_000 },
    };
  }

  send(req: UpstreamRequest, opts: SendOptions): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      this.dispatch(req, opts, new UpstreamExchange(opts.cancel, resolve as (value: unknown) => void, reject, opts.onDone, null, 0));
    });
  }

  /**
   * Sends `req` and reads its answer whole: a 2xx body entire, any other status's first
   * `errorBodyBytes` (the rest read and dropped). `read` runs as the body ends and what it returns
   * (or throws) settles the call: one promise per call where `send` then `text()` take two, and
   * the async reader between them.
   */
  fetch<T>(req: UpstreamRequest, opts: SendOptions, errorBodyBytes: number, read: (reply: UpstreamReply) => T | Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.dispatch(req, opts, new UpstreamExchange(opts.cancel, resolve as (value: unknown) => void, reject, opts.onDone, read, errorBodyBytes));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }

  private dispatch(req: UpstreamRequest, opts: SendOptions, exchange: UpstreamExchange): void {
    try {
      const { pool, path } = this.target(req.url);
      pool.dispatch(
        {
          path, method: req.method ?? 'POST', headers: req.headers, body: req.method === 'GET' ? null : req.body,
          headersTimeout: opts.headersTimeoutMs, bodyTimeout: opts.bodyTimeoutMs,
        },
        exchange,
      );
    } catch (err) {
      exchange.onError(err as Error);
    }
  }

  /**
   * The pool and path of an upstream URL, parsed once per distinct URL (the set is small: one per
   * provider endpoint and model).
   */
  private target(url: string): { pool: Pool; path: string } {
    // The gateway's own state, not the upstream's: never retried or fallen back from.
    if (this.closed) throw internalFailure(new Error('the upstream connection pools are closed'));
    let t = this.targets.get(url);
    if (t === undefined) {
      const u = new URL(url);
      let pool = this.pools.get(u.origin);
      if (pool === undefined) this.pools.set(u.origin, (pool = new Pool(u.origin, this.poolOptions)));
      t = { pool, path: `${u.pathname}${u.search}` };
      if (this.targets.size >= 1024) this.targets.clear();
      this.targets.set(url, t);
    }
    return t;
  }
}

type Settle<T> = { resolve: (value: T) => void; reject: (err: unknown) => void };

/**
 * One request's undici handler, and its response body for the gateway to pull or to have pushed
 * to it; or, with `read` (HttpExecutor.fetch), the whole answer collected and handed to `read` as
 * it ends.
 *
 * It takes undici's older handler interface (onConnect, onHeaders, onData, onComplete, onError),
 * still the one undici 7's client calls: a handler of the current one (onRequestStart, ...) is
 * wrapped by undici in one that parses every answer's headers into an object before handing them
 * over, where the gateway reads an answer's headers only when it failed (AnswerHead).
 * undici 8 removed the older interface (nodejs/undici#4786, in 8.0.1; undici 8 also needs
 * Node >= 22.19): upgrading means going back to onRequestStart, onResponseStart, onResponseData,
 * onResponseEnd and onResponseError, the controller undici's own. A spec fails on any other major.
 */
class UpstreamExchange implements Dispatcher.DispatchHandler, UpstreamBody, CancelListener {
  private controller: ExchangeControl | null = null;
  /** `send`'s promise (the response at its headers), or `fetch`'s (what `read` made of the whole answer). */
  private started: Settle<unknown> | null;
  private chunks: Buffer[] = [];
  private queuedBytes = 0;
  private ended = false;
  private failure: UpstreamFailure | null = null;
  private destroyed = false;
  /** A pending `next()`. */
  private reader: Settle<Buffer | null> | null = null;
  /** A pending `text()`: bytes kept so far and the limit. */
  private collector: (Settle<string> & { bytes: number; max: number }) | null = null;
  /** Where the body is pushed (`pipe`), until its end is delivered or the body destroyed. */
  private consumer: BodyConsumer | null = null;
  /** The consumer asked for nothing more until `resume`. */
  private held = false;
  /** Inside `flush`: what happens during a delivery is left to its loop. */
  private delivering = false;
  /** With `read`: the answer's status and headers, and the body's bytes kept so far and their limit. */
  private status = 0;
  private head: AnswerHead | null = null;
  private wholeBytes = 0;
  private wholeMax = Infinity;

  constructor(
    private readonly cancel: Cancellation,
    resolve: (value: unknown) => void,
    reject: (err: unknown) => void,
    private onDone: (() => void) | undefined,
    private readonly read: ((reply: UpstreamReply) => unknown) | null,
    private readonly errorBodyBytes: number,
  ) {
    this.started = { resolve, reject };
    cancel.listen(this);
  }

  /** The client left: the upstream request is aborted. */
  cancelled(): void {
    this.abort();
    // A consumer still there hears it now: one holding the rest of a body already over (ended or
    // broken off), or one the body still flows to.
    if (this.consumer !== null && (this.failure === null || this.failure.kind !== 'aborted')) {
      this.failure = toFailure(abortError(), this.cancel);
      this.flush();
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    const controller = new ExchangeControl(abort);
    this.controller = controller;
    if (this.destroyed || this.cancel.aborted) controller.abort(abortError());
  }

  /** False: undici stops reading the answer until the controller resumes. */
  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    const controller = this.controller!;
    controller.resumeReading = resume;
    if (status < 200) return !controller.paused; // 1xx: the real answer follows
    if (this.read !== null) {
      this.status = status;
      this.head = new AnswerHead(rawHeaders);
      if (status >= 300) this.wholeMax = this.errorBodyBytes;
      return !controller.paused;
    }
    const started = this.started;
    this.started = null;
    started?.resolve(new StartedResponse(status, new AnswerHead(rawHeaders), this));
    return !controller.paused;
  }

  /** False: undici stops reading the answer until the controller resumes. */
  onData(chunk: Buffer): boolean {
    const controller = this.controller!;
    this.receive(controller, chunk);
    return !controller.paused;
  }

  private receive(controller: ExchangeControl, chunk: Buffer): void {
    if (this.destroyed) return;
    if (this.read !== null) {
      if (this.wholeBytes < this.wholeMax) {
        const room = this.wholeMax - this.wholeBytes;
        this.chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      }
      this.wholeBytes += chunk.length;
      return;
    }
    const collector = this.collector;
    if (collector !== null) {
      if (collector.bytes < collector.max) {
        const room = collector.max - collector.bytes;
        this.chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      }
      collector.bytes += chunk.length;
      return;
    }
    const reader = this.reader;
    if (reader !== null) {
      this.reader = null;
      reader.resolve(chunk);
      return;
    }
    const consumer = this.consumer;
    // The usual push: a flowing consumer with nothing queued before this chunk has it at once.
    if (consumer !== null && !this.held && !this.delivering && this.chunks.length === 0) return this.deliver(consumer, chunk);
    this.chunks.push(chunk);
    this.queuedBytes += chunk.length;
    if (consumer !== null) this.flush();
    else if (this.queuedBytes >= HIGH_WATER_BYTES && !controller.paused) controller.pause();
  }

  onComplete(): void {
    this.ended = true;
    // A consumer still to be given the rest hears of a client that leaves until then.
    if (this.consumer === null) this.cancel.unlisten(this);
    this.done();
    if (this.read !== null) {
      // An ASCII body is read as Latin-1 (a copy of its bytes, where UTF-8 decoding looks at
      // each), and said to be ASCII: its answer can then be written as Latin-1 too (the same
      // bytes, not encoded) and its length taken as its size.
      const body = this.takeBytes();
      const ascii = isAscii(body);
      this.settleWhole(body.toString(ascii ? 'latin1' : 'utf8'), ascii);
      return;
    }
    const collector = this.collector;
    if (collector !== null) {
      this.collector = null;
      collector.resolve(this.takeText());
    }
    const reader = this.reader;
    if (reader !== null) {
      this.reader = null;
      reader.resolve(null);
    }
    if (this.consumer !== null) this.flush();
  }

  onError(err: Error): void {
    const failure = toFailure(err, this.cancel);
    this.failure = failure;
    if (this.consumer === null) this.cancel.unlisten(this);
    this.done();
    // An error answer whose body broke off: its status still says what happened.
    if (this.read !== null && this.status >= 300) {
      this.chunks = [];
      this.settleWhole('', true);
      return;
    }
    const pending = [this.started, this.reader, this.collector];
    this.started = this.reader = this.collector = null;
    for (const p of pending) p?.reject(failure);
    if (this.consumer !== null) this.flush();
  }

  next(): Promise<Buffer | null> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.queuedBytes -= chunk.length;
      const controller = this.controller;
      if (controller !== null && controller.paused && this.queuedBytes < HIGH_WATER_BYTES) controller.resume();
      return Promise.resolve(chunk);
    }
    if (this.destroyed || this.ended) return Promise.resolve(null);
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
    });
  }

  text(maxBytes = Infinity): Promise<string> {
    if (this.failure !== null) return Promise.reject(this.failure);
    let bytes = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const room = maxBytes - bytes;
      if (room <= 0) {
        this.chunks.length = i;
        break;
      }
      if (this.chunks[i].length > room) this.chunks[i] = this.chunks[i].subarray(0, room);
      bytes += this.chunks[i].length;
    }
    if (this.ended) return Promise.resolve(this.takeText());
    this.queuedBytes = 0;
    const text = new Promise<string>((resolve, reject) => {
      this.collector = { resolve, reject, bytes, max: maxBytes };
    });
    // Collecting before resuming: undici's resume runs its parser at once, which may hand over
    // the rest of the body and its end before it returns.
    const controller = this.controller;
    if (controller !== null && controller.paused) controller.resume();
    return text;
  }

  pipe(consumer: BodyConsumer): void {
    this.consumer = consumer;
    // Over already, so no longer listening: a client that leaves while the rest is held is heard.
    if (this.ended || this.failure !== null) this.cancel.listen(this);
    this.flush();
  }

  resume(): void {
    if (!this.held) return;
    this.held = false;
    this.flush();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.consumer = null;
    this.cancel.unlisten(this);
    this.chunks = [];
    this.queuedBytes = 0;
    if (!this.ended && this.failure === null) this.abort();
    this.done();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (let chunk = await this.next(); chunk !== null; chunk = await this.next()) yield chunk;
  }

  /**
   * Pushes what the consumer may have now: the queued chunks in order while it takes them, then
   * the end; the upstream socket paused while it holds. A client that left ends a held body at
   * once. Not re-entered (a consumer's write can end the exchange): its loop sees what changed.
   */
  private flush(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let consumer = this.consumer; consumer !== null; consumer = this.consumer) {
        const failure = this.failure;
        if (this.held) {
          if (failure !== null && failure.kind === 'aborted') this.endConsumer(consumer, failure);
          break;
        }
        const chunk = this.chunks.shift();
        if (chunk === undefined) {
          if (this.ended || this.destroyed || failure !== null) this.endConsumer(consumer, failure);
          break;
        }
        this.queuedBytes -= chunk.length;
        if (!consumer.bodyChunk(chunk)) this.held = true;
      }
    } catch (err) {
      this.consumerThrew(err);
    } finally {
      // Else every later delivery, its end included, would be left to a loop that is gone.
      this.delivering = false;
    }
    const controller = this.controller;
    if (controller === null || this.consumer === null || this.ended || this.failure !== null) return;
    // Paused here, undici stops after the chunk it delivers; resumed, it may deliver at once.
    if (this.held) {
      if (!controller.paused) controller.pause();
    } else if (controller.paused) {
      controller.resume();
    }
  }

  /**
   * One chunk to a flowing consumer, not queued: as `flush` would deliver it. What the delivery
   * changed (the consumer holding, the client leaving meanwhile) is then left to `flush`.
   */
  private deliver(consumer: BodyConsumer, chunk: Buffer): void {
    this.delivering = true;
    try {
      if (!consumer.bodyChunk(chunk)) this.held = true;
    } catch (err) {
      this.consumerThrew(err);
    } finally {
      this.delivering = false;
    }
    if (this.held || this.failure !== null || this.chunks.length !== 0) this.flush();
  }

  private endConsumer(consumer: BodyConsumer, failure: UpstreamFailure | null): void {
    this.consumer = null;
    this.cancel.unlisten(this);
    consumer.bodyEnd(failure);
  }

  /**
   * A consumer threw, which it must not: the body is destroyed and the consumer ended with what
   * it threw, as the gateway's own failure (not the upstream's). One with nothing more to be told
   * (it threw from its end, or after destroying the body) has it thrown back to whoever delivered
   * (undici then aborts the request).
   */
  private consumerThrew(err: unknown): void {
    const consumer = this.consumer;
    this.destroy();
    if (consumer === null) throw err;
    consumer.bodyEnd(internalFailure(err));
  }

  /** `fetch`'s promise, with what `read` makes of the answer (or the error it throws). */
  private settleWhole(text: string, ascii: boolean): void {
    const started = this.started;
    this.started = null;
    if (started === null) return;
    let value: unknown;
    try {
      value = this.read?.(new WholeReply(this.status, this.head, text, ascii));
    } catch (err) {
      started.reject(err);
      return;
    }
    started.resolve(value);
  }

  private done(): void {
    const onDone = this.onDone;
    this.onDone = undefined;
    onDone?.();
  }

  private abort(): void {
    // Before the request reached a socket there is no controller yet: onConnect aborts it.
    this.controller?.abort(abortError());
  }

  private takeText(): string {
    return this.takeBytes().toString('utf8');
  }

  private takeBytes(): Buffer {
    const chunks = this.chunks;
    this.chunks = [];
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }
}

function abortError(): Error {
  const err = new Error('request aborted');
  err.name = 'AbortError';
  return err;
}

/** Network-level errors as failures; anything after the request was cancelled is the client leaving. */
export function toFailure(err: unknown, cancel?: Cancellation): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err;
  if (cancel?.aborted) return new UpstreamFailure('aborted', 0, 'client closed the connection');
  // Anything may be thrown, `undefined` and `null` included.
  const e = (err ?? {}) as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (code && TIMEOUT_CODES.has(code)) {
    return new UpstreamFailure('timeout', 0, code === 'UND_ERR_BODY_TIMEOUT' ? 'upstream went silent (stream idle timeout)' : 'upstream request timed out');
  }
  return new UpstreamFailure('network', 0, `network error: ${code ?? e.message ?? 'unknown'}`);
}
