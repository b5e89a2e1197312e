import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, GatewayError, internalErrorBody, type ErrorBody } from '@app/common';

// A client that keeps uploading past the limit is cut off after this much more.
const MAX_DRAIN_BYTES = 256 * 1024 * 1024;

/**
 * Reads a request body up to `limit` bytes. Past the limit the rest is drained (so the
 * client can read the 413 instead of a reset connection) and a 413 is thrown.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    const fail = () =>
      reject(new GatewayError(413, ErrorCode.PayloadTooLarge, `Request body is larger than the limit of ${limit} bytes.`));
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge || size > limit) {
        tooLarge = true;
        chunks.length = 0;
        if (size > limit + MAX_DRAIN_BYTES) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? fail() : resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size))));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Errors on the hot path in the contract's shape; anything unexpected is a 500 that hides internals. */
export function sendError(res: ServerResponse, err: unknown, requestId: string): void {
  let status: number;
  let body: ErrorBody;
  let headers: Record<string, string> = { 'x-request-id': requestId };
  if (err instanceof GatewayError) {
    status = err.status;
    body = err.toBody();
    headers = { ...headers, ...err.headers };
    if (status === 413) headers.connection = 'close';
  } else {
    status = 500;
    body = internalErrorBody(requestId);
  }
  sendJson(res, status, JSON.stringify(body), headers);
}
