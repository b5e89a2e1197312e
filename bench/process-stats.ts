/**
 * The IPC protocol between the bench and the processes it measures: a child reports `ready`
 * with its URL, answers `stats` with its own CPU time and memory, and exits on `stop`.
 */
export interface ProcessStats {
  /** User + system CPU time since the process started, microseconds. */
  cpuUs: number;
  rssBytes: number;
  /** Peak resident set size since start (getrusage maxrss). */
  peakRssBytes: number;
  /** V8 heap in use; after a full collection when the parent asked for one (`gc`). */
  heapUsedBytes: number;
}

/** `gc: true` runs a full collection first (children started with `--expose-gc`): what is retained, not garbage. */
export type ParentMessage = { type: 'stats'; gc?: boolean } | { type: 'stop' };
export type ChildMessage = { type: 'ready'; url: string } | ({ type: 'stats' } & ProcessStats);

export function currentStats(): ProcessStats {
  const cpu = process.cpuUsage();
  return {
    cpuUs: cpu.user + cpu.system,
    rssBytes: process.memoryUsage.rss(),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: process.memoryUsage().heapUsed,
  };
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Call in a child once it serves: reports `ready`, then answers the parent until `stop`. */
export function serveParent(url: string, stop: () => Promise<void>): void {
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stats') {
      if (message.gc) globalThis.gc?.();
      send({ type: 'stats', ...currentStats() });
    }
    else if (message.type === 'stop') {
      // A normal exit, so that `--cpu-prof` writes its profile.
      void stop().finally(() => process.exit(0));
    }
  });
  // The parent dying must not leave servers behind.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url });
}

/** Children take one JSON argument. */
export function childArgument<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('expected one JSON argument');
  return JSON.parse(raw) as T;
}

export function failChild(name: string) {
  return (err: unknown): void => {
    process.stderr.write(`${name} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  };
}
