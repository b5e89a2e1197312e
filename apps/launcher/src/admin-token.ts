import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export interface AdminTokenChoice {
  token: string;
  /** env: ADMIN_TOKEN; kept: read from the file; generated: new, now in the file. */
  source: 'env' | 'kept' | 'generated';
  file: string;
}

/**
 * `npm start` without ADMIN_TOKEN: the token generated on the first start is kept beside the
 * embedded data, so a restart keeps the dashboard signed in. A set ADMIN_TOKEN always wins and
 * leaves the file alone.
 */
export function chooseAdminToken(fromEnv: string | undefined, dataDir: string): AdminTokenChoice {
  const file = path.join(dataDir, 'admin-token');
  if (fromEnv) return { token: fromEnv, source: 'env', file };
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept !== '') return { token: kept, source: 'kept', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = `bf-admin-${randomBytes(24).toString('base64url')}`;
  mkdirSync(dataDir, { recursive: true });
  // Owner-only: it opens the admin API.
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, source: 'generated', file };
}
