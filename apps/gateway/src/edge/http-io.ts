import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, GatewayError } from '@app/common';
import type { Cancellation } from '@app/providers/http/cancellation';
import type { RenderedError } from './error-render';

// A client that keeps uploading past the limit is cut off after this much more.
const MAX_DRAIN_BYTES = 256 * 1024 * 1024;
// How long the rest of a refused request's body is discarded before its connection is closed.
const LINGER_MS = 1_000;

/**
 * Reads a request body up to `limit` bytes. Past the limit the rest is drained (so the client
 * can read the 413 instead of a reset connection) and a 413 is thrown. A client that goes silent
 * for `idleMs` mid-body (IdleSweep: at most a quarter more) gets a 408 and loses the connection:
 * it cannot hold a socket by dribbling (the server's request timeout bounds the whole upload too).
 */
export function readBody(req: IncomingMessage, limit: number, idleMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => receiveBody(req, limit, idleMs, resolve, reject));
}

/**
 * readBody with the body handed to `onBody` (or the error to `onError`) as it ends, in the
 * request's own event, where a promise would take a microtask turn more. Neither may throw.
 */
export function receiveBody(req: IncomingMessage, limit: number, idleMs: number, onBody: (body: Buffer) => void, onError: (err: Error) => void): void {
  new BodyReader(req as Reading, limit, idleSweep(idleMs), onBody, onError).start();
}

const BODY_READER = Symbol('bodyReader');

type Reading = IncomingMessage & { [BODY_READER]: BodyReader };

// The listeners are shared: each finds its reader on the request, where every request made a closure per listener.
function onBodyData(this: Reading, chunk: Buffer): void {
  this[BODY_READER].data(chunk);
}

function onBodyEnd(this: Reading): void {
  this[BODY_READER].end();
}

function onBodyError(this: Reading, err: Error): void {
  this[BODY_READER].error(err);
}

// Sweeps per idle limit: a body is refused at the first sweep after this many without a chunk.
const SWEEPS_PER_IDLE = 4;

// A reader's sweepIndex when it is in no sweep's list.
const NOT_SWEPT = -1;

/**
 * The bodies still being read with one idle limit, checked together every quarter of it: one
 * interval for them all rather than a timer per request (most bodies come whole with their
 * headers and never need one). A body is refused at the fifth sweep after its last chunk, once
 * four whole quiet intervals have passed: silent for between idleMs and 1.25 × idleMs.
 */
class IdleSweep {
  /**
   * In no order: each reader knows its place (`sweepIndex`), and leaves by the last taking it.
   * A Set's add and delete are hash-table work on every request.
   */
  private readonly readers: BodyReader[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly idleMs: number) {}

  add(reader: BodyReader): void {
    reader.sweepIndex = this.readers.length;
    this.readers.push(reader);
    if (this.timer === null) {
      this.timer = setInterval(sweepIdle, Math.ceil(this.idleMs / SWEEPS_PER_IDLE), this);
      this.timer.unref();
    }
  }

  delete(reader: BodyReader): void {
    const at = reader.sweepIndex;
    // A second delete is a no-op, so every way a reader settles may call it; `add` has no such
    // guard and relies on start() running once per reader.
    if (at === NOT_SWEPT) return;
    reader.sweepIndex = NOT_SWEPT;
    const last = this.readers.pop()!;
    if (last !== reader) {
      this.readers[at] = last;
      last.sweepIndex = at;
    }
  }

  sweep(): void {
    if (this.readers.length === 0) {
      clearInterval(this.timer ?? undefined);
      this.timer = null;
      return;
    }
    // A copy: a refused body leaves the list while it is walked, and a body another's refusal
    // settled is skipped.
    for (const reader of this.readers.slice()) {
      if (reader.sweepIndex !== NOT_SWEPT && reader.quietSweeps++ >= SWEEPS_PER_IDLE) reader.idle();
    }
  }
}

function sweepIdle(sweep: IdleSweep): void {
  sweep.sweep();
}

const sweeps = new Map<number, IdleSweep>();

function idleSweep(idleMs: number): IdleSweep {
  let sweep = sweeps.get(idleMs);
  if (sweep === undefined) sweeps.set(idleMs, (sweep = new IdleSweep(idleMs)));
  return sweep;
}

/** One request body being read (see readBody). */
class BodyReader {
  /** Sweeps since the last chunk (IdleSweep). */
  quietSweeps = 0;
  /** Its place in its IdleSweep's list. */
  sweepIndex = NOT_SWEPT;
  private chunks: Buffer[] = [];
  private size = 0;
  private tooLarge: boolean;
  private settled = false;

  constructor(
    private readonly req: Reading,
    private readonly limit: number,
    private readonly sweep: IdleSweep,
    private readonly onBody: (body: Buffer) => void,
    private readonly onError: (err: Error) => void,
  ) {
    const declared = Number(req.headers['content-length']);
    this.tooLarge = Number.isFinite(declared) && declared > limit;
  }

  start(): void {
    const req = this.req;
    req[BODY_READER] = this;
    req.on('data', onBodyData);
    req.on('end', onBodyEnd);
    req.on('error', onBodyError);
    this.sweep.add(this);
  }

  data(chunk: Buffer): void {
    this.quietSweeps = 0;
    this.size += chunk.length;
    if (this.tooLarge || this.size > this.limit) {
      // Let go of what was read once, when the body turns out too large; drained chunks are not kept.
      if (!this.tooLarge) {
        this.tooLarge = true;
        this.chunks = [];
      }
      if (this.size > this.limit + MAX_DRAIN_BYTES) this.req.destroy();
      return;
    }
    this.chunks.push(chunk);
  }

  end(): void {
    // The listeners stay: after 'end' no chunk comes, and a later error finds the reader settled.
    this.settled = true;
    this.sweep.delete(this);
    const chunks = this.chunks;
    // The request outlives its body's reading: its chunks are not kept with it. A new array
    // rather than `length = 0`, which optimised code leaves to a generic store, a call per request.
    this.chunks = [];
    if (this.tooLarge) this.onError(new GatewayError(413, ErrorCode.PayloadTooLarge, `Request body is larger than the limit of ${this.limit} bytes.`));
    else this.onBody(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.size));
  }

  error(err: Error): void {
    if (this.settled) return;
    this.stop();
    this.onError(err);
  }

  idle(): void {
    this.stop();
    this.onError(new GatewayError(408, ErrorCode.RequestTimeout, `No part of the request body came for at least ${this.sweep.idleMs} ms.`));
  }

  /** Settled before the body ended: what still comes of it is not read here. */
  private stop(): void {
    this.settled = true;
    this.sweep.delete(this);
    // As in end(): the request outlives the reading, and a refused body's chunks are not kept.
    this.chunks = [];
    const req = this.req;
    req.off('data', onBodyData);
    req.off('end', onBodyEnd);
    req.off('error', onBodyError);
  }
}

/**
 * `headers`: the answer's own, a fresh object this adds the content type and length to. The
 * length goes in as a string: node:http checks every header value with a regular expression,
 * which takes its slow path (a runtime call) for a number. `ascii`: the body and headers are
 * known to be ASCII (node writes the head in the body's encoding), so the body's length is its
 * size and it is written as Latin-1: the same bytes as UTF-8, copied rather than encoded.
 */
export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string | number> = {}, ascii = false): void {
  if (res.headersSent || res.destroyed) return;
  headers['content-type'] ??= 'application/json';
  headers['content-length'] ??= String(ascii ? body.length : Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body, ascii ? 'latin1' : 'utf8');
}

/**
 * An error answered on the hot path. A refusal sent before the body was read (no key, a bad
 * header, a stalled upload) leaves the rest of the body to be discarded as it arrives, so the
 * client can finish sending and read the answer instead of a reset; but only for a moment: a
 * client that is still sending after LINGER_MS loses the connection, and cannot hold it by
 * dribbling.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, error: RenderedError, headers: Record<string, string> = {}): void {
  if (!req.complete) {
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
    timer.unref();
    req.once('end', () => clearTimeout(timer));
    req.once('close', () => clearTimeout(timer));
  }
  sendJson(res, error.status, error.body, { ...headers, ...error.headers });
}

/** A header value any client accepts: printable ASCII as it is, anything else percent-encoded. */
export function headerValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

const CLIENT_CANCEL = Symbol('clientCancel');

type Watched = ServerResponse & { [CLIENT_CANCEL]?: Cancellation };

/**
 * `cancel` fires if the client leaves before its answer is complete. Nothing is added to the
 * response: the server's one 'close' listener per response (its in-flight count) calls
 * clientClosed, where a listener of our own would be a closure and a second listener per request.
 */
export function cancelOnClientClose(res: ServerResponse, cancel: Cancellation): void {
  // A client that left during the awaits before this (stored conversation, admission) has had
  // its one 'close' already: cancelled now, the upstream call is aborted as it starts.
  if (res.destroyed && !res.writableFinished) cancel.cancel();
  else (res as Watched)[CLIENT_CANCEL] = cancel;
}

/** Call as the response closes (see cancelOnClientClose). */
export function clientClosed(res: ServerResponse): void {
  const cancel = (res as Watched)[CLIENT_CANCEL];
  if (cancel !== undefined && !res.writableFinished) cancel.cancel();
}

/** Resolves when a full socket buffer has drained, or the connection closed. */
export function waitForDrain(res: ServerResponse): Promise<void> {
  // Closed already: neither 'drain' nor 'close' comes again.
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
