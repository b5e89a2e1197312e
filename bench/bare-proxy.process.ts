import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Dispatcher, Pool } from 'undici';
import { childArgument, failChild, serveParent } from './process-stats';

export interface BareProxyOptions {
  upstreamUrl: string;
}

// Hop-by-hop headers belong to one connection, never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade', 'proxy-connection', 'te', 'trailer']);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/**
 * Writes the upstream's answer straight into the client's response, chunk by chunk, as undici
 * hands them over: no Readable, no pipeline, no AbortSignal. The upstream socket pauses while
 * the client's is full; a client that leaves aborts the upstream request.
 */
class RelayHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;

  constructor(private readonly res: ServerResponse) {
    res.once('close', () => {
      if (!res.writableFinished) this.controller?.abort(new Error('client closed'));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    this.res.writeHead(status, forwardable(headers));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, _err: Error): void {
    if (this.res.headersSent) this.res.destroy();
    else this.res.writeHead(502).end();
  }
}

/**
 * The floor for any Node gateway, as lean as a correct proxy gets: node:http in, the request
 * body read whole (as the gateway reads it), an undici keep-alive pool out (the gateway's
 * settings) through `dispatch()`, the answer written straight into the response. No auth, no
 * parsing, no logging.
 */
async function main(): Promise<void> {
  const { upstreamUrl } = childArgument<BareProxyOptions>();
  const pool = new Pool(upstreamUrl, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    pool.dispatch({ path: req.url ?? '/', method: req.method as Dispatcher.HttpMethod, headers: forwardable(req.headers), body }, new RelayHandler(res));
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  serveParent(`http://127.0.0.1:${port}`, async () => {
    server.close();
    server.closeAllConnections();
    await pool.close();
  });
}

main().catch(failChild('bare proxy'));
