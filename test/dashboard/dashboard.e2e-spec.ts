import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { loadConfig } from '@app/config';
import { formatUsd } from '../../apps/dashboard/src/format';
import { type RunningAdmin, startAdmin } from '../../apps/admin/src/admin.bootstrap';
import { RequestLogWriter } from '../../apps/gateway/src/request-log/request-log.writer';
import { CLOSED_PORT_URL, eventually, type GatewayHarness, startGatewayHarness } from '../support/gateway-harness';
import { type Browser, LAPTOP, launchBrowser, PHONE, screenshots } from './browser';
import { buildDashboard } from './build-dashboard';
import { Story } from '../support/story';

const TOKEN = `admin-${randomUUID()}`;
// Unique names, so that what the pages show can only come from this file.
const KEY_NAME = `dash-app-${randomUUID().slice(0, 8)}`;
const POLICY_NAME = `dash-policy-${randomUUID().slice(0, 8)}`;
const POLICY_MODEL = `openai/dashboard-e2e-${randomUUID().slice(0, 8)}`;

/**
 * The dashboard in a real Chromium against the real admin app and gateway on one database:
 * what an admin does on first use, end to end, with screenshots of every page at both widths.
 */
describe('admin dashboard in a browser (e2e)', () => {
  let harness: GatewayHarness;
  let admin: RunningAdmin;
  let browser: Browser;
  let page: Page;
  let secret: string;

  beforeAll(async () => {
    // Independent start-ups overlap: Chromium takes a second or two to launch on a busy machine.
    const [h, b] = await Promise.all([startGatewayHarness(), launchBrowser(), buildDashboard()]);
    harness = h;
    browser = b;
    // The admin app sees the same providers as the gateway (for the providers page).
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dash-')), 'gateway.json');
    const keys = [{ value: 'sk-upstream' }];
    writeFileSync(
      file,
      JSON.stringify({
        providers: {
          openai: { base_url: `${harness.upstream.url}/v1`, keys, models: ['gpt-4o-mini'] },
          backup: { kind: 'openai-compatible', base_url: `${harness.backup.url}/v1`, keys },
          dead: { kind: 'openai-compatible', base_url: CLOSED_PORT_URL, keys },
        },
      }),
    );
    const config = loadConfig({ ...harness.db.appEnv, GATEWAY_CONFIG: file, DATABASE_URL: harness.db.url, ADMIN_TOKEN: TOKEN, ADMIN_PORT: '0', HOST: '127.0.0.1' });
    admin = await startAdmin(config, { logger: false });
    page = browser.page;
    page.setDefaultTimeout(5_000);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await admin?.close();
    await harness?.close();
  });

  // One admin's first use, in order: each step builds on the one before (the key it created,
  // the session it signed in), so they run as one test, which `jest --randomize` cannot reorder.
  const story = new Story();
  const step = story.step.bind(story);

  const nav = (label: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
  const gateway = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${harness.url}/v1`, maxRetries: 0 });
  const flushLogs = () => harness.gateway.app.get(RequestLogWriter).flush();

  step('asks for the admin token, refuses a wrong one, and signs in with the right one', async () => {
    await page.goto(admin.url);
    await page.getByLabel('Admin token').waitFor();
    await screenshots(page, 'sign-in');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was not accepted').waitFor();
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // Never in the URL; kept for this tab only.
    expect(page.url()).not.toContain(TOKEN);
    expect(await page.evaluate("sessionStorage.getItem('bf-admin-token')")).toBe(TOKEN);
  });

  step('creates a key after validating the form, and shows its secret exactly once', async () => {
    await nav('Virtual keys');
    await page.getByRole('heading', { name: 'Virtual keys' }).waitFor();
    await page.getByRole('button', { name: 'Create key' }).first().click();
    const form = page.getByTestId('key-form');

    // Checked in the browser before anything is sent.
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.getByText('A name is required').waitFor();
    await form.getByLabel('Name').fill(KEY_NAME);
    await form.getByLabel('Allowed models').fill('openai/gpt-4o-mini, not a model');
    await form.getByLabel('Budget (USD)').fill('-3');
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.getByText('Use "provider/model" or "provider/*" (not: not a model)').waitFor();
    await form.getByText('A positive amount in USD').waitFor();

    // The server's own field errors land on their field: one reply replaced to show it.
    await page.route('**/api/virtual-keys', (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: { message: 'budget.max_usd is too large for this deployment', type: 'invalid_request_error', param: 'budget.max_usd', code: 'invalid_request' } }) })
        : route.fallback(),
    );
    await form.getByLabel('Allowed models').fill('');
    await form.getByLabel('Budget (USD)').fill('5');
    await form.getByRole('button', { name: 'Create key' }).click();
    await page.locator('[data-field="budget.max_usd"] .field-error').getByText('too large for this deployment').waitFor();
    await page.unroute('**/api/virtual-keys');

    await form.getByLabel('Requests per minute').fill('600');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secretBox = page.getByTestId('secret');
    await secretBox.waitFor();
    secret = (await secretBox.textContent()) ?? '';
    expect(secret).toMatch(/^sk-bf-/);
    await page.getByText('It will not be shown again').waitFor();
    await page.getByRole('button', { name: 'Copy secret' }).waitFor();
    await screenshots(page, 'key-created');
    await page.getByRole('button', { name: 'I have stored it' }).click();

    const row = page.locator(`tr[data-key-name="${KEY_NAME}"]`);
    await row.waitFor();
    await row.getByText('600 req/min').waitFor();
    await row.getByText('active').waitFor();
    await screenshots(page, 'keys');
    expect(await page.content()).not.toContain(secret);
  });

  step('shows requests made with the key in the logs, with a detail view of a fallback', async () => {
    const client = gateway(secret);
    for (let i = 0; i < 3; i++) await client.responses.create({ model: 'openai/gpt-4o-mini', input: `hello ${i}` });
    // The primary is unreachable: the request falls back, and both attempts are logged.
    await client.responses.create({ model: 'dead/gpt-4o-mini', input: 'hello fallback', fallbacks: ['openai/gpt-4o-mini'] } as never);
    await flushLogs();

    await nav('Logs');
    const filters = page.getByTestId('log-filters');
    await filters.getByLabel('Key').selectOption({ label: KEY_NAME });
    await filters.getByRole('button', { name: 'Apply' }).click();
    const rows = page.getByTestId('logs-table').locator('tbody tr');
    await eventually(async () => (await rows.count()) === 5, 5_000);
    await page.getByText('fallback #1').waitFor();
    expect(await page.getByTestId('logs-table').getByText('error').count()).toBe(1);
    await screenshots(page, 'logs');

    await page.getByTestId('logs-table').locator('tbody tr', { hasText: 'fallback #1' }).getByRole('link').click();
    const detail = page.getByTestId('log-detail');
    await detail.waitFor();
    await detail.getByRole('heading', { name: 'Attempts' }).waitFor();
    expect(await page.getByTestId('attempts-table').locator('tbody tr').count()).toBe(2);
    await detail.getByText('Input tokens').waitFor();
    // The page shows what the API recorded (null until a price was known when the request ran).
    const logId = decodeURIComponent(new URL(page.url()).hash.replace('#/logs/', ''));
    const row = (await (await fetch(`${admin.url}/api/logs/${logId}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { cost_usd: number | null; output_tokens: number };
    expect(await page.getByTestId('log-cost').textContent()).toMatch(row.cost_usd === null ? /^—$/ : /^\$\d/);
    // The breakdown comes from the price list, which knows openai/gpt-4o-mini.
    await detail.getByRole('cell', { name: 'Output', exact: true }).waitFor();
    await detail.getByRole('cell', { name: String(row.output_tokens), exact: true }).first().waitFor();
    await screenshots(page, 'log-detail');
    // Back to the list it came from, filters included.
    await page.getByRole('link', { name: '← Back to logs' }).click();
    await page.getByTestId('logs-table').waitFor();
    expect(new URL(page.url()).hash).toMatch(/^#\/logs\?virtual_key_id=/);
  });

  step('charts the requests on the overview', async () => {
    await nav('Overview');
    const chart = page.getByTestId('requests-chart');
    await chart.locator('canvas').waitFor();
    // Narrowed to this key: other test files share the embedded database and its traffic.
    await page.getByLabel('Virtual key').selectOption({ label: KEY_NAME });
    // Four requests; the fallback's failed primary attempt does not count as a request of its own.
    await page.locator('[data-testid="requests-chart"][data-total="4"]').waitFor();
    await page.getByTestId('stat-requests').getByText('4', { exact: true }).waitFor();
    await page.getByTestId('top-keys').getByText(KEY_NAME).waitFor();
    await page.getByTestId('top-models').getByText('openai/gpt-4o-mini').waitFor();
    await page.getByTestId('stat-latency').getByText(/ms|s \//).waitFor();
    await screenshots(page, 'overview');
  });

  step('shows the endpoint each request came through, and filters the logs by it', async () => {
    await gateway(secret).chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hello chat' }] });
    await flushLogs();
    await nav('Logs');
    const filters = page.getByTestId('log-filters');
    await filters.getByLabel('Key').selectOption({ label: KEY_NAME });
    await filters.getByLabel('Endpoint').selectOption({ label: '/v1/chat/completions' });
    await filters.getByRole('button', { name: 'Apply' }).click();
    const rows = page.getByTestId('logs-table').locator('tbody tr');
    await eventually(async () => (await rows.count()) === 1 && (await rows.first().locator('[data-request-type]').getAttribute('data-request-type')) === 'chat_completions', 5_000);
    await rows.first().getByText('/v1/chat/completions').waitFor();
    expect(new URL(page.url()).hash).toContain('request_type=chat_completions');
    await filters.getByLabel('Endpoint').selectOption({ label: '/v1/responses' });
    await filters.getByRole('button', { name: 'Apply' }).click();
    // The four Responses requests, the fallback's two attempts as two rows.
    await eventually(async () => (await rows.count()) === 5, 5_000);
  });

  step('creates a fallback policy with an ordered chain, reorders it and deletes it', async () => {
    await nav('Fallback policies');
    await page.getByRole('heading', { name: 'Fallback policies' }).waitFor();
    await page.getByRole('button', { name: 'Create policy' }).first().click();
    const form = page.getByTestId('policy-form');
    await form.getByRole('button', { name: 'Create policy' }).click();
    await form.getByText('Add at least one fallback model').waitFor();
    await form.getByLabel('Name').fill(POLICY_NAME);
    // A model no other test calls: a policy applies to every request for its model, and the embedded database is shared.
    await form.getByLabel('Applies to model').fill(POLICY_MODEL);
    await form.getByLabel('Fallback 1', { exact: true }).fill('backup/gpt-4o-mini');
    await form.getByRole('button', { name: 'Add fallback' }).click();
    await form.getByLabel('Fallback 2', { exact: true }).fill('dead/gpt-4o-mini');
    await form.getByRole('button', { name: 'Move fallback 2 up' }).click();
    await screenshots(page, 'policy-form');
    await form.getByRole('button', { name: 'Create policy' }).click();
    const row = page.locator(`tr[data-policy-name="${POLICY_NAME}"]`);
    await row.waitFor();
    expect(await row.locator('.chain .chip').allTextContents()).toEqual([POLICY_MODEL, 'dead/gpt-4o-mini', 'backup/gpt-4o-mini']);
    await screenshots(page, 'policies');

    // Reordered through the edit form: the chain is saved in its new order.
    await row.getByRole('button', { name: 'Edit' }).click();
    await form.getByRole('button', { name: 'Move fallback 1 down' }).click();
    await form.getByRole('button', { name: 'Save changes' }).click();
    await row.locator('.chain .chip').nth(1).getByText('backup/gpt-4o-mini').waitFor();
    const policies = (await (await fetch(`${admin.url}/api/fallback-policies`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      data: { name: string; fallbacks: string[] }[];
    };
    expect(policies.data.find((p) => p.name === POLICY_NAME)?.fallbacks).toEqual(['backup/gpt-4o-mini', 'dead/gpt-4o-mini']);

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete policy' }).click();
    await row.waitFor({ state: 'detached' });
  });

  step('lists providers and prices, reached through the phone menu', async () => {
    await page.setViewportSize(PHONE);
    await page.getByRole('button', { name: 'Menu' }).click();
    await screenshots(page, 'phone-menu', { phoneOnly: true });
    await nav('Providers & pricing');
    await page.getByRole('heading', { name: 'Providers & pricing' }).waitFor();
    // The menu closes once a page is chosen (an effect of the route change, after the page renders).
    await page.getByRole('navigation', { name: 'Main' }).waitFor({ state: 'hidden' });
    await page.setViewportSize(LAPTOP);
    await page.locator('[data-provider="openai"]').waitFor();
    await page.locator('[data-provider="backup"]').waitFor();
    await page.getByTestId('pricing-table').getByText('openai/gpt-4o-mini', { exact: true }).waitFor();
    expect(await page.content()).not.toContain('sk-upstream');
    // The filter narrows the price list (and keeps the screenshot short).
    await page.getByLabel('Filter models').fill('gpt-4o');
    await page.getByTestId('pricing-table').getByText('anthropic/', { exact: false }).first().waitFor({ state: 'detached' });
    await screenshots(page, 'providers');
  });

  step('edits limits and allowlist, deactivates and rotates the key, each taking effect at the gateway', async () => {
    await nav('Virtual keys');
    const row = page.locator(`tr[data-key-name="${KEY_NAME}"]`);
    const status = (apiKey: string, model = 'openai/gpt-4o-mini') =>
      gateway(apiKey)
        .responses.create({ model, input: 'check' })
        .then(() => 200, (err: unknown) => (err instanceof OpenAI.APIError ? (err.status ?? 0) : -1));
    const gatewaySays = async (expected: number, apiKey: string, model?: string) => {
      let last = 0;
      await eventually(async () => (last = await status(apiKey, model)) === expected, 3_000).catch(() => undefined);
      expect(last).toBe(expected);
    };

    await row.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByTestId('key-form');
    expect(await form.getByLabel('Requests per minute').inputValue()).toBe('600');
    await form.getByLabel('Allowed models').fill('openai/*');
    await form.getByLabel('Tokens per minute').fill('100000');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await row.getByText('600 req/min · 100,000 tok/min').waitFor();
    await row.getByText('openai/*').waitFor();
    await gatewaySays(403, secret, 'backup/gpt-4o-mini');

    await row.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
    await row.getByText('inactive', { exact: true }).waitFor();
    await gatewaySays(403, secret);
    await row.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Activate' }).click();
    await row.getByText('active', { exact: true }).waitFor();
    await gatewaySays(200, secret);

    await row.getByRole('button', { name: 'Rotate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await page.getByTestId('secret').textContent()) ?? '';
    expect(rotated).toMatch(/^sk-bf-/);
    expect(rotated).not.toBe(secret);
    await page.getByText('The previous secret has stopped working').waitFor();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await gatewaySays(401, secret);
    await gatewaySays(200, rotated);
    secret = rotated;
  });

  step('revokes the key after confirmation, and the gateway refuses it', async () => {
    // A reload: the list on screen predates the last requests' spend (and the token survives it).
    await page.reload();
    await nav('Virtual keys');
    const row = page.locator(`tr[data-key-name="${KEY_NAME}"]`);
    // The spend bar shows the API's current-period spend against the $5 monthly budget.
    const keys = (await (await fetch(`${admin.url}/api/virtual-keys`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      data: { name: string; spend?: { spent_usd: number } }[];
    };
    const spent = keys.data.find((k) => k.name === KEY_NAME)?.spend?.spent_usd ?? null;
    await row.locator('.spend-text').getByText(`${formatUsd(spent)} / $5.00 per month`).waitFor();
    await row.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('This cannot be undone').waitFor();
    await screenshots(page, 'key-revoke-confirm');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText(`${KEY_NAME} revoked`).waitFor();
    await page.getByLabel('Show revoked').check();
    await row.getByText('revoked', { exact: true }).waitFor();
    await screenshots(page, 'keys-revoked');

    let status = 0;
    await eventually(async () => {
      status = await gateway(secret)
        .responses.create({ model: 'openai/gpt-4o-mini', input: 'after revoke' })
        .then(() => 200, (err: unknown) => (err instanceof OpenAI.APIError ? (err.status ?? 0) : -1));
      return status === 401;
    }, 3_000);
    expect(status).toBe(401);
  });

  step('shows empty and error states instead of blank pages', async () => {
    // Replies replaced in the browser: a fresh install has no keys, and a failing route must not blank the page.
    await page.route('**/api/virtual-keys?*', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"data":[]}' }));
    await page.route('**/api/virtual-keys', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"data":[]}' }));
    await page.route('**/api/usage?*', (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { message: 'Internal error (request id 42)', type: 'server_error', param: null, code: 'internal_error' } }) }),
    );
    try {
      await page.reload();
      await nav('Virtual keys');
      await page.getByText('No virtual keys yet').waitFor();
      await screenshots(page, 'keys-empty');
      await nav('Overview');
      await page.getByText('Usage is unavailable').waitFor();
      await page.getByText('Internal error (request id 42)').first().waitFor();
      await page.getByRole('button', { name: 'Try again' }).first().waitFor();
      await screenshots(page, 'overview-error');
    } finally {
      await page.unrouteAll();
    }
  });

  step('returns to sign-in when the token stops working', async () => {
    await page.evaluate("sessionStorage.setItem('bf-admin-token', 'a-token-that-was-changed')");
    await page.reload();
    await page.getByText('Your session ended').waitFor();
    await page.getByLabel('Admin token').waitFor();
    // HTTP errors the pages handled (the wrong tokens, the replaced 400) are logged by Chromium itself.
    expect(browser.consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
  });

  it('serves the API documentation under its Content-Security-Policy, working in full', async () => {
    const before = browser.consoleErrors.length;
    await page.goto(`${admin.url}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
    // A script or style the policy blocked would show here.
    expect(browser.consoleErrors.slice(before)).toEqual([]);
  });
  it('first use, end to end: every step in order', () => story.run(), 240_000);
});
