import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import { childArgument, failChild, serveParent } from './process-stats';

export interface BareProxyOptions {
  upstreamUrl: string;
}

// Hop-by-hop headers belong to one connection, never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade', 'proxy-connection', 'te', 'trailer']);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/**
 * The floor for any Node gateway: node:http in, an undici keep-alive pool out (the gateway's
 * settings), bodies streamed through untouched. No auth, no parsing, no logging.
 */
async function main(): Promise<void> {
  const { upstreamUrl } = childArgument<BareProxyOptions>();
  const pool = new Pool(upstreamUrl, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
  const server = createServer((req, res) => {
    pool
      .request({ path: req.url ?? '/', method: req.method as 'POST', headers: forwardable(req.headers), body: req })
      .then(async (up) => {
        res.writeHead(up.statusCode, forwardable(up.headers));
        await pipeline(up.body, res);
      })
      .catch(() => {
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end();
      });
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
