import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of a PostgreSQL server on this machine: the sum over its processes (postmaster,
 * backends, WAL writer, checkpointer...) read from /proc. With a server on the same cores the
 * database's work for request logs competes with the gateway; this puts a number on it.
 * Returns a function that starts a measurement and hands back its reading (µs so far); null
 * where it cannot be read (no /proc, or the server is on another host).
 */
export function localPostgresCpu(databaseUrl: string): (() => () => number) | null {
  const host = new URL(databaseUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(host)) return null;
  let ticksPerSecond: number;
  try {
    ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    readdirSync('/proc');
  } catch {
    return null;
  }
  // Per process, so that a backend exiting between two readings does not take its CPU out of the delta.
  const snapshot = (): Map<string, number> => {
    const ticks = new Map<string, number>();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12])); // utime, stime
    }
    return ticks;
  };
  return () => {
    const before = snapshot();
    return () => {
      let ticks = 0;
      for (const [pid, t] of snapshot()) ticks += t - (before.get(pid) ?? 0);
      return (ticks / ticksPerSecond) * 1e6;
    };
  };
}
