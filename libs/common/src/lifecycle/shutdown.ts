import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { errorText } from '../errors/error-text';

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
        log(`shutdown failed: ${errorText(err)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, handler);
}

/**
 * Counts requests in flight so that shutdown can wait for them. `track` each response from the
 * server's own request handler (a second 'request' listener would make Node copy the listener
 * array on every request); `onClose`, if given, runs from the same 'close' listener, so that a
 * response carries one listener, not one per concern.
 */
export class InFlightRequests {
  private count = 0;
  private readonly waiters: (() => void)[] = [];
  // One listener function for every response ('close' comes once each): no closure per request.
  private readonly closed: (this: ServerResponse) => void;

  constructor(onClose?: (res: ServerResponse) => void) {
    const tracker = this;
    // Kept in a variable first, as closures.spec asks of every function literal stored on an object.
    const closed = function (this: ServerResponse) {
      tracker.count--;
      if (tracker.count === 0) tracker.waiters.splice(0).forEach((w) => w());
      onClose?.(this);
    };
    this.closed = closed;
  }

  track(res: ServerResponse): void {
    this.count++;
    res.on('close', this.closed);
  }

  active(): number {
    return this.count;
  }

  /** Resolves true once no request is in flight, false if `timeoutMs` passes first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

/** Counts a server's requests in flight (a server whose request handler is not our own: Nest's). */
export function trackInFlight(server: Server): InFlightRequests {
  const inFlight = new InFlightRequests();
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => inFlight.track(res));
  return inFlight;
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
