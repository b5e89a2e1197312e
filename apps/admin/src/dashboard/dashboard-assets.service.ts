import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Injectable } from '@nestjs/common';

/** What `npm run build:dashboard` writes, relative to the repository (or image) root. */
const BUILD_DIR = path.join('dist', 'dashboard');

/**
 * Where the built dashboard lives. This file runs from `apps/admin/src/dashboard` (tests, ts sources)
 * or from `dist/apps/admin/src/dashboard` (npm start, Docker); both sit four levels below a root
 * that holds `dist/dashboard`, or, when compiled, below `dist` itself.
 */
export function findDashboardDir(from: string = __dirname): string | null {
  const root = path.resolve(from, '..', '..', '..', '..');
  const candidates = [path.join(root, BUILD_DIR), path.join(root, 'dashboard')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? null;
}

const IMPORT_MAP = /<script type="importmap">([\s\S]*?)<\/script>/;

export interface DashboardPage {
  html: string;
  contentSecurityPolicy: string;
}

/** Serves the static front-end built by apps/dashboard/build.mjs; no templating beyond the CSP. */
@Injectable()
export class DashboardAssets {
  private readonly dir = findDashboardDir();

  get assetsDir(): string | null {
    return this.dir && path.join(this.dir, 'assets');
  }

  /** Read per request: the file is a few hundred bytes and a rebuild shows up without a restart. */
  indexPage(): DashboardPage | null {
    if (!this.dir) return null;
    const html = readFileSync(path.join(this.dir, 'index.html'), 'utf8');
    // The inline import map is the only inline script; allowing exactly its hash keeps 'unsafe-inline' out.
    const importMap = IMPORT_MAP.exec(html)?.[1];
    const scriptHash = importMap === undefined ? '' : ` 'sha256-${createHash('sha256').update(importMap, 'utf8').digest('base64')}'`;
    return { html, contentSecurityPolicy: contentSecurityPolicy(scriptHash) };
  }

  /** An absolute path inside the assets folder, or null for anything outside it or missing. */
  assetPath(relative: string): string | null {
    const root = this.assetsDir;
    if (!root) return null;
    const resolved = path.resolve(root, relative);
    if (!resolved.startsWith(root + path.sep)) return null;
    if (path.basename(resolved).startsWith('.')) return null;
    try {
      return statSync(resolved).isFile() ? resolved : null;
    } catch {
      return null;
    }
  }
}

export function contentSecurityPolicy(extraScriptSources = ''): string {
  return [
    "default-src 'none'",
    `script-src 'self'${extraScriptSources}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
