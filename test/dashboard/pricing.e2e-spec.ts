import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { ADMIN_TOKEN, eventually, type GatewayHarness, startGatewayHarness } from '../support/gateway-harness';
import { type Browser, launchBrowser, screenshots } from './browser';
import { buildDashboard } from './build-dashboard';
import { Story } from '../support/story';

// A model no catalog knows, served by the fake behind `backup`; unique per run (the embedded database is shared).
const MODEL = `backup/house-${randomUUID().slice(0, 8)}`;
// 100,000 input and 20,000 output tokens at $0.25 / $1.25 per 1M.
const PROMPT = 'what does this cost? [[usage:100000,20000]]';
const EXPECTED = '0.0500000000';

/**
 * An unpriced model seen in traffic, priced from the dashboard in a real Chromium, and the next
 * request charged by the gateway with no restart (the admin app and the gateway share this process,
 * as under `npm start`; gateway polls are a minute apart, so nothing but the hand-over applies it).
 */
describe('pricing an unpriced model from the dashboard (e2e)', () => {
  let h: GatewayHarness;
  let browser: Browser;
  let page: Page;
  let client: OpenAI;

  beforeAll(async () => {
    const [harness, b] = await Promise.all([startGatewayHarness({ admin: true, server: { key_refresh_ms: 60_000 } }), launchBrowser(), buildDashboard()]);
    h = harness;
    browser = b;
    page = browser.page;
    page.setDefaultTimeout(5_000);
    const { key } = await h.createKey({ name: 'dashboard-pricing' });
    client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  // One admin's path through the pricing page, in order: each step builds on the one before
  // (the price it set), so they run as one test, which `jest --randomize` cannot reorder.
  const story = new Story();
  const step = story.step.bind(story);

  const charged = async (): Promise<string | null> => {
    const { response } = await client.responses.create({ model: MODEL, input: PROMPT }).withResponse();
    return response.headers.get('x-bf-cost-usd');
  };
  const openPricing = async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Providers & pricing' }).click();
    await page.getByRole('heading', { name: 'Providers & pricing' }).waitFor();
  };

  step('lists the model served without a price', async () => {
    expect(await charged()).toBeNull();
    await page.goto(h.adminUrl!);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await openPricing();
    const row = page.locator(`[data-testid="unpriced-models"] tr[data-unpriced="${MODEL}"]`);
    await row.waitFor();
    await row.getByText('1', { exact: true }).waitFor();
    await page.getByTestId('catalog-info').getByText(/@pydantic\/genai-prices \d+\.\d+\.\d+, published \d{4}-\d{2}-\d{2}/).waitFor();
    // The whole catalog is listed, a page at a time; the filter narrows it (and keeps the screenshots short).
    await page.getByTestId('pricing-truncated').waitFor();
    await page.getByLabel('Filter models').fill('gpt-4o-mini');
    await page.locator('[data-testid="pricing-table"] tr[data-price="openai/gpt-4o-mini"]').getByText('catalog', { exact: true }).waitFor();
    await screenshots(page, 'pricing-unpriced');
  });

  step('prices it through the form, and the next request is charged with no restart', async () => {
    const row = page.locator(`[data-testid="unpriced-models"] tr[data-unpriced="${MODEL}"]`);
    await row.getByRole('button', { name: 'Set price' }).click();
    const form = page.getByTestId('price-form');
    expect(await form.getByLabel('Model').inputValue()).toBe(MODEL);
    // Checked in the browser before anything is sent.
    await form.getByLabel('Input', { exact: true }).fill('0.25');
    await form.getByLabel('Output', { exact: true }).fill('-1');
    await form.getByRole('button', { name: 'Save price' }).click();
    await form.getByText('A decimal amount from 0 to 100,000').waitFor();
    await form.getByLabel('Output', { exact: true }).fill('1.25');
    await screenshots(page, 'pricing-form');
    await form.getByRole('button', { name: 'Save price' }).click();
    await page.getByText(`${MODEL} priced at $0.25 / $1.25 per 1M tokens`).waitFor();
    await row.waitFor({ state: 'detached' });

    // The gateway charges the very next request.
    expect(await charged()).toBe(EXPECTED);

    await page.getByLabel('Filter models').fill(MODEL);
    const price = page.locator(`[data-testid="pricing-table"] tr[data-price="${MODEL}"]`);
    await price.getByText('admin', { exact: true }).waitFor();
    await price.getByText('$0.25', { exact: true }).first().waitFor();
    await screenshots(page, 'pricing-admin-price');
  });

  step('edits and removes the price from the table, each in force at once', async () => {
    const price = page.locator(`[data-testid="pricing-table"] tr[data-price="${MODEL}"]`);
    await price.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByTestId('price-form');
    await form.getByLabel('Output', { exact: true }).fill('2.25');
    await form.getByRole('button', { name: 'Save price' }).click();
    await price.getByText('$2.25', { exact: true }).waitFor();
    // 100,000 x 0.25 + 20,000 x 2.25 per 1M.
    expect(await charged()).toBe('0.0700000000');

    await price.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove price' }).click();
    await price.waitFor({ state: 'detached' });
    expect(await charged()).toBeNull();
    // Seen unpriced again: back on the list.
    await page.reload();
    await openPricing();
    await eventually(async () => (await page.locator(`tr[data-unpriced="${MODEL}"]`).count()) === 1, 5_000);
    expect(browser.consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
  });

  it('an unpriced model, priced, edited and unpriced from the dashboard: every step in order', () => story.run(), 120_000);
});
