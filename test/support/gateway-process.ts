import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { testEnv } from './test-env.config';

/** The built production entry point (`npm test` builds before running Jest). */
export const GATEWAY_MAIN = path.resolve(__dirname, '../../dist/apps/gateway/src/main.js');

/** The gateway in its own process, as deployed: for real signals and for replicas that share only Redis and Postgres. */
export function startGatewayProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [GATEWAY_MAIN], { env: { PATH: testEnv.path, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /gateway listening on (http:\/\/\S+)/.exec(output);
      if (m) resolve({ child, url: m[1], exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`gateway exited early (${code}): ${output}`)));
  });
}
