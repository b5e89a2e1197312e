import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { testEnv } from './test-env.config';

/** The built production entry points (`npm test` builds before running Jest). */
export const GATEWAY_MAIN = path.resolve(__dirname, '../../dist/apps/gateway/src/main.js');
export const ADMIN_MAIN = path.resolve(__dirname, '../../dist/apps/admin/src/main.js');
export const MIGRATE_MAIN = path.resolve(__dirname, '../../dist/apps/launcher/src/migrate.js');

export interface AppProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
}
export type GatewayProcess = AppProcess;

/**
 * An app in its own process, as deployed (for real signals, replicas sharing only Redis and
 * Postgres, concurrent start-ups). Resolves with the URL from its "listening on" line; rejects
 * with its output if it exits first. `args` replaces the plain `node <main>` command line.
 */
export function startAppProcess(main: string, env: Record<string, string>, args: string[] = [main]): Promise<AppProcess> {
  const child = spawn(process.execPath, args, { env: { PATH: testEnv.path, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) resolve({ child, url: m[1], exited, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`${path.basename(main)} exited early (${code}): ${output}`)));
  });
}

export function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  return startAppProcess(GATEWAY_MAIN, env);
}

export function startAdminProcess(env: Record<string, string>): Promise<AppProcess> {
  return startAppProcess(ADMIN_MAIN, env);
}

/** SIGTERM to each (a graceful stop), SIGKILL to any still running after `graceMs`; resolves when all have exited. */
export async function stopProcesses(processes: { child: ChildProcess; exited: Promise<number | null> }[], graceMs = 10_000): Promise<void> {
  await Promise.all(
    processes.map(async (p) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
      await p.exited;
      clearTimeout(timer);
    }),
  );
}
