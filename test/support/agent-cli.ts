import { execFile } from 'node:child_process';
import { testEnv } from './test-env.config';

/** Nothing listens there: a request that would leave the machine fails at once, locally. */
export const NOWHERE = 'http://127.0.0.1:9';

export interface CliRun {
  code: number | null;
  /** Each stdout line that is a JSON object, parsed. */
  jsonLines: unknown[];
  stdout: string;
  stderr: string;
}

/**
 * Runs an agent CLI (Codex, Claude Code) as a user would in a script: stdin closed (else they wait
 * for more prompt), only the environment given plus PATH, every proxy variable pointing nowhere
 * so nothing leaves the machine, no colours.
 */
export function runAgentCli(bin: string, args: string[], opts: { cwd: string; timeoutMs: number; env: Record<string, string> }): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      bin,
      args,
      {
        cwd: opts.cwd,
        timeout: opts.timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: testEnv.path,
          ...opts.env,
          HTTP_PROXY: NOWHERE,
          HTTPS_PROXY: NOWHERE,
          ALL_PROXY: NOWHERE,
          NO_PROXY: '127.0.0.1,localhost',
          NO_COLOR: '1',
        },
      },
      (err, stdout, stderr) => {
        const jsonLines: unknown[] = [];
        for (const line of stdout.split('\n')) {
          if (!line.startsWith('{')) continue;
          try {
            jsonLines.push(JSON.parse(line));
          } catch {
            // not a JSON line
          }
        }
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, jsonLines, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}
