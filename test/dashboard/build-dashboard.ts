import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Builds the dashboard into dist/dashboard from the current sources (a few hundred ms), so tests
 * never run against a stale build. Safe to call from parallel test files: the build replaces
 * files atomically.
 */
export async function buildDashboard(): Promise<void> {
  await run(process.execPath, [path.join(ROOT, 'apps', 'dashboard', 'build.mjs'), '--quiet'], { cwd: ROOT });
}
