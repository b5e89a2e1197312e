import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runAgentCli } from './agent-cli';

/**
 * OpenAI's Codex CLI (the `@openai/codex` devDependency, its own binary) run non-interactively
 * against the gateway, as a user would configure it: a custom model provider speaking the
 * Responses API, the virtual key in an environment variable.
 *
 * Everything it writes lives in a scratch CODEX_HOME; it is pointed at loopback only: update
 * checks, analytics and feedback are off, and any other HTTP(S) it might attempt goes to a
 * closed local port through the proxy variables it honours. `codex exec` never asks for
 * approval; the sandbox is off (`danger-full-access`) because the commands are the fake
 * model's own harmless script and a sandbox (bubblewrap) is not available in every CI container.
 * What only costs time here is off too: the login-shell snapshot, memories, session files
 * (unless a run is to be resumed).
 */

const CODEX_BIN = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'codex');

export interface CodexEvent {
  type: string;
  thread_id?: string;
  item?: { id: string; type: string; text?: string; command?: string; aggregated_output?: string; exit_code?: number | null; status?: string; message?: string };
  usage?: Record<string, number>;
  error?: { message: string };
}

export interface CodexRun {
  code: number | null;
  events: CodexEvent[];
  stderr: string;
  threadId: string | null;
  /** The agent's last message of the turn (what `codex exec` prints last). */
  answer: string | null;
}

export class CodexHome {
  readonly home: string;
  readonly workdir: string;

  constructor(gatewayUrl: string, config: string[] = []) {
    this.home = mkdtempSync(path.join(tmpdir(), 'codex-home-'));
    this.workdir = mkdtempSync(path.join(tmpdir(), 'codex-work-'));
    writeFileSync(
      path.join(this.home, 'config.toml'),
      [
        'model_provider = "gw"',
        'approval_policy = "never"',
        'sandbox_mode = "danger-full-access"',
        'check_for_update_on_startup = false',
        'allow_login_shell = false',
        ...config,
        '[features]',
        'shell_snapshot = false',
        'memories = false',
        '[analytics]',
        'enabled = false',
        '[feedback]',
        'enabled = false',
        '[model_providers.gw]',
        'name = "gateway"',
        `base_url = "${gatewayUrl}/v1"`,
        'env_key = "GW_KEY"',
        'wire_api = "responses"',
        // A failure is the test's answer: no retries hiding it.
        'request_max_retries = 0',
        'stream_max_retries = 0',
        'stream_idle_timeout_ms = 30000',
        '',
      ].join('\n'),
    );
  }

  /**
   * `codex exec` with `prompt` (or `exec resume <thread>` to continue a thread); stdin closed.
   * `keep`: write the session, so that the thread can be resumed.
   */
  async run(virtualKey: string, model: string, prompt: string, opts: { resume?: string; keep?: boolean; timeoutMs?: number } = {}): Promise<CodexRun> {
    const args = ['exec'];
    if (opts.resume !== undefined) args.push('resume', opts.resume);
    args.push('--json', '--skip-git-repo-check', '-m', model);
    if (opts.resume === undefined && opts.keep !== true) args.push('--ephemeral');
    if (opts.resume === undefined) args.push('-C', this.workdir);
    args.push(prompt);
    const run = await runAgentCli(CODEX_BIN, args, {
      cwd: this.workdir,
      timeoutMs: opts.timeoutMs ?? 80_000,
      env: { HOME: this.home, CODEX_HOME: this.home, GW_KEY: virtualKey },
    });
    const events = run.jsonLines as CodexEvent[];
    const messages = events.filter((e) => e.type === 'item.completed' && e.item?.type === 'agent_message');
    return {
      code: run.code,
      events,
      stderr: run.stderr,
      threadId: events.find((e) => e.type === 'thread.started')?.thread_id ?? null,
      answer: messages.at(-1)?.item?.text ?? null,
    };
  }

  /** The items of one type that `codex exec --json` reported completed. */
  static items(run: CodexRun, type: string): NonNullable<CodexEvent['item']>[] {
    return run.events.filter((e) => e.type === 'item.completed' && e.item?.type === type).map((e) => e.item!);
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
    rmSync(this.workdir, { recursive: true, force: true });
  }
}
