import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runAgentCli } from './agent-cli';

/**
 * Anthropic's Claude Code (the `@anthropic-ai/claude-code` devDependency, its native binary) run
 * non-interactively (`claude -p`) against the gateway, as a user would point it there:
 * ANTHROPIC_BASE_URL is the gateway, ANTHROPIC_API_KEY a virtual key (sent as `x-api-key`).
 *
 * HOME and its config dir are a scratch folder; stdin is closed. Telemetry, error reports, the
 * auto-updater and other nonessential traffic are off, and any HTTP(S) it might still attempt
 * goes to a closed local port through the proxy variables it honours.
 */

const CLAUDE_BIN = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'claude');

/** `claude -p --output-format json`'s result line. */
export interface ClaudeResult {
  type: string;
  subtype: string;
  is_error: boolean;
  result?: string;
  num_turns?: number;
  usage?: Record<string, unknown>;
}

export interface ClaudeRun {
  code: number | null;
  result: ClaudeResult | null;
  stdout: string;
  stderr: string;
}

export class ClaudeCodeHome {
  readonly home: string;
  readonly workdir: string;

  constructor(private readonly gatewayUrl: string) {
    this.home = mkdtempSync(path.join(tmpdir(), 'claude-home-'));
    this.workdir = mkdtempSync(path.join(tmpdir(), 'claude-work-'));
    mkdirSync(path.join(this.home, '.claude'));
  }

  /**
   * `claude -p <prompt> --model <model>`. Its side tasks (titles, summaries) use the "haiku"
   * model, pointed at `model` too (ANTHROPIC_DEFAULT_HAIKU_MODEL), so one provider answers all.
   */
  async run(virtualKey: string, model: string, prompt: string, opts: { timeoutMs?: number; args?: string[] } = {}): Promise<ClaudeRun> {
    const args = ['-p', prompt, '--model', model, '--output-format', 'json', ...(opts.args ?? [])];
    const run = await runAgentCli(CLAUDE_BIN, args, {
      cwd: this.workdir,
      timeoutMs: opts.timeoutMs ?? 40_000,
      env: {
        HOME: this.home,
        CLAUDE_CONFIG_DIR: path.join(this.home, '.claude'),
        ANTHROPIC_BASE_URL: this.gatewayUrl,
        ANTHROPIC_API_KEY: virtualKey,
        ANTHROPIC_DEFAULT_HAIKU_MODEL: model,
        ANTHROPIC_SMALL_FAST_MODEL: model,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_AUTOUPDATER: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
      },
    });
    const result = (run.jsonLines as ClaudeResult[]).findLast((line) => line.type === 'result') ?? null;
    return { code: run.code, result, stdout: run.stdout, stderr: run.stderr };
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
    rmSync(this.workdir, { recursive: true, force: true });
  }
}
