import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import type { ChildMessage, ParentMessage, ProcessStats } from './process-stats';

const START_TIMEOUT_MS = 60_000;

/** One measured process (a compiled `*.process.js` next to this file, or an absolute path), driven over IPC. */
export class BenchChild {
  private readonly pendingStats: Array<(stats: ProcessStats) => void> = [];

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly proc: ChildProcess,
  ) {
    proc.on('message', (message: ChildMessage) => {
      if (message.type === 'stats') this.pendingStats.shift()?.(message);
    });
  }

  /** `env`: variables set for the child on top of this process's own. */
  static start(name: string, script: string, argument: unknown = {}, execArgv: string[] = [], env: Record<string, string> = {}): Promise<BenchChild> {
    const file = path.isAbsolute(script) ? script : path.join(__dirname, `${script}.js`);
    const proc = fork(file, [JSON.stringify(argument)], {
      execArgv,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill();
        reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with code ${code} before it was ready`));
      };
      proc.once('exit', onExit);
      proc.once('message', (message: ChildMessage) => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        proc.off('exit', onExit);
        resolve(new BenchChild(name, message.url, proc));
      });
    });
  }

  /** `gc`: after a full collection, if the child was started with `--expose-gc`. */
  stats(gc = false): Promise<ProcessStats> {
    return new Promise((resolve) => {
      this.pendingStats.push(resolve);
      this.send({ type: 'stats', gc });
    });
  }

  /** Asks the child to close its servers and exit; kills it if it does not within 15 s. */
  stop(): Promise<void> {
    if (this.proc.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
      this.proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.send({ type: 'stop' });
    });
  }

  private send(message: ParentMessage): void {
    this.proc.send(message);
  }
}
