import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, GatewayError } from '@app/common';
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
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    let timer: NodeJS.Timeout | undefined;
    const idle = () => {
      cleanup();
      reject(new GatewayError(408, ErrorCode.RequestTimeout, `The request body stalled for ${idleMs} ms.`));
    };
    const arm = () => {
      if (timer) timer.refresh();
      else timer = setTimeout(idle, idleMs);
    };
    const onData = (chunk: Buffer) => {
      arm();
      size += chunk.length;
      if (tooLarge || size > limit) {
        tooLarge = true;
        chunks.length = 0;
        if (size > limit + MAX_DRAIN_BYTES) req.destroy();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (tooLarge) reject(new GatewayError(413, ErrorCode.PayloadTooLarge, `Request body is larger than the limit of ${limit} bytes.`));
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    arm();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
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
