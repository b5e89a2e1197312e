import type { Server } from 'node:http';

/** Runs `stop` once on the first SIGINT/SIGTERM and exits; a second signal exits at once. */
export function onShutdownSignal(
  stop: () => Promise<void>,
  log: (msg: string) => void = console.log,
  signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: finishing in-flight requests and flushing logs...`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`shutdown failed: ${(err as Error).stack ?? String(err)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, handler);
}

/** Counts requests in flight so that shutdown can wait for them. */
export function trackInFlight(server: Server): { active(): number; idle(timeoutMs: number): Promise<boolean> } {
  let active = 0;
  const waiters: (() => void)[] = [];
  // One listener function for every response ('close' comes once each): no closure per request.
  const closed = () => {
    active--;
    if (active === 0) waiters.splice(0).forEach((w) => w());
  };
  server.on('request', (_req, res) => {
    active++;
    res.on('close', closed);
  });
  return {
    active: () => active,
    idle(timeoutMs) {
      if (active === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}

export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      const actual = typeof addr === 'object' && addr !== null ? addr.port : port;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${actual}`);
    });
  });
}

/** Stops accepting, lets in-flight requests finish (up to graceMs), then closes what is left. */
export async function closeServer(server: Server, inFlight: { idle(ms: number): Promise<boolean> }, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await inFlight.idle(graceMs);
  server.closeAllConnections();
  await closed;
}
