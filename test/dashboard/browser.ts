import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (see DEVELOPERS.md); Playwright's own browser download is not available here. */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', 'test-artifacts', 'screenshots');

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Errors the page logged or threw: a test fails on any it did not expect. */
  consoleErrors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'dashboard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: LAPTOP,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  return {
    context,
    page,
    consoleErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Full-page screenshots at laptop and phone widths (`<name>-laptop.png`, `<name>-phone.png`), or at phone width only. */
export async function screenshots(page: Page, name: string, options: { phoneOnly?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const sizes = options.phoneOnly ? ([['phone', PHONE]] as const) : ([['laptop', LAPTOP], ['phone', PHONE]] as const);
  for (const [label, size] of sizes) {
    await page.setViewportSize(size);
    // Charts follow their container through a ResizeObserver: let them redraw first.
    // A string: this code runs in the page, whose DOM types the Node-side tsconfig does not load.
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-${label}.png`), fullPage: true });
    // Nothing may stick out sideways: at phone width that means a page that scrolls horizontally.
    const overflow = await page.evaluate(`document.documentElement.scrollWidth - document.documentElement.clientWidth`);
    if (overflow !== 0) throw new Error(`${name} is ${String(overflow)}px wider than the ${label} viewport`);
  }
  if (!options.phoneOnly) await page.setViewportSize(LAPTOP);
}
