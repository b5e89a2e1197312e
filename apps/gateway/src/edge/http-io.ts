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
 * for `idleMs` mid-body gets a 408 and loses the connection: it cannot hold a socket by
 * dribbling (the server's request timeout bounds the whole upload too).
 */
export function readBody(req: IncomingMessage, limit: number, idleMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    new BodyReader(req as Reading, limit, idleMs, resolve, reject).start();
  });
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

function onBodyIdle(reader: BodyReader): void {
  reader.idle();
}

function armBodyIdle(reader: BodyReader): void {
  reader.armIdle();
}

/** One request body being read (see readBody). */
class BodyReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private tooLarge: boolean;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;

  constructor(
    private readonly req: Reading,
    private readonly limit: number,
    private readonly idleMs: number,
    private readonly resolve: (body: Buffer) => void,
    private readonly reject: (err: Error) => void,
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
    // Once the parser has had the bytes at hand: a body that came with its headers (most do) is
    // complete by then, and needs no timer.
    setImmediate(armBodyIdle, this);
  }

  armIdle(): void {
    if (!this.settled && !this.req.complete) this.timer = setTimeout(onBodyIdle, this.idleMs, this);
  }

  data(chunk: Buffer): void {
    this.timer?.refresh();
    this.size += chunk.length;
    if (this.tooLarge || this.size > this.limit) {
      this.tooLarge = true;
      this.chunks.length = 0;
      if (this.size > this.limit + MAX_DRAIN_BYTES) this.req.destroy();
      return;
    }
    this.chunks.push(chunk);
  }

  end(): void {
    this.cleanup();
    const chunks = this.chunks;
    if (this.tooLarge) this.reject(new GatewayError(413, ErrorCode.PayloadTooLarge, `Request body is larger than the limit of ${this.limit} bytes.`));
    else this.resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.size));
    // The request outlives its body's reading: its chunks are not kept with it.
    chunks.length = 0;
  }

  error(err: Error): void {
    this.cleanup();
    this.reject(err);
  }

  idle(): void {
    this.cleanup();
    this.reject(new GatewayError(408, ErrorCode.RequestTimeout, `The request body stalled for ${this.idleMs} ms.`));
  }

  private cleanup(): void {
    this.settled = true;
    clearTimeout(this.timer);
    const req = this.req;
    req.off('data', onBodyData);
    req.off('end', onBodyEnd);
    req.off('error', onBodyError);
  }
}

/** `headers`: the answer's own, a fresh object this adds the content type and length to. */
export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string | number> = {}): void {
  if (res.headersSent || res.destroyed) return;
  headers['content-type'] ??= 'application/json';
  headers['content-length'] ??= Buffer.byteLength(body);
  res.writeHead(status, headers);
  res.end(body);
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
  (res as Watched)[CLIENT_CANCEL] = cancel;
}

/** Call as the response closes (see cancelOnClientClose). */
export function clientClosed(res: ServerResponse): void {
  const cancel = (res as Watched)[CLIENT_CANCEL];
  if (cancel !== undefined && !res.writableFinished) cancel.cancel();
}

/** Resolves when a full socket buffer has drained, or the connection closed. */
export function waitForDrain(res: ServerResponse): Promise<void> {
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
