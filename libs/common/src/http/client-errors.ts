import { type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode, GatewayError } from '../errors/gateway-error';

// After answering, what the client still sends is read and dropped for this long (or this much),
// so that it can finish writing and read the answer instead of a reset: a lingering close.
const LINGER_MS = 1_000;
const LINGER_BYTES = 1024 * 1024;

/**
 * Requests Node refuses before any app sees them (malformed HTTP, headers past the size limit,
 * headers or body too slow) get the apps' JSON error body instead of Node's empty one, so that
 * every 4xx a client can receive is a JSON error in the contract's shape. The connection closes.
 */
export function answerClientErrorsAsJson(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex & { _httpMessage?: { headersSent?: boolean } | null }) => {
    // Nothing to answer on a connection that is gone or is already sending a response (Node's own
    // check: a keep-alive connection has written earlier answers, which do not count).
    if (err.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    let error: GatewayError;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      error = new GatewayError(431, ErrorCode.InvalidRequest, 'The request line and headers are larger than the server accepts.');
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      error = new GatewayError(408, ErrorCode.RequestTimeout, 'The request did not arrive in time.');
    } else {
      error = GatewayError.invalidRequest('The request is not valid HTTP.');
    }
    const body = JSON.stringify(error.toBody());
    // The HTTP parser is done with this connection: what follows is only drained.
    socket.removeAllListeners('data');
    let drained = 0;
    socket.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > LINGER_BYTES) socket.destroy();
    });
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.end(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
