/**
 * The API reference at /docs and the errors guide in a headless Chromium, as a merchant's
 * developer reads them: Redoc renders the gateway's own OpenAPI document, every request the pages
 * make goes to the gateway and succeeds, and the Content-Security-Policy is never violated.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { expectCleanSession, launchChromium, newContext, openPage, screenshot, type WatchedPage } from './support.ts';

let gateway: GatewayProcess | undefined;
let browser: Browser | undefined;
let context: BrowserContext;

beforeAll(async () => {
  const [started, launched] = await Promise.allSettled([startGatewayProcess(), launchChromium()]);
  if (started.status === 'fulfilled') gateway = started.value;
  if (launched.status === 'fulfilled') browser = launched.value;
  if (started.status === 'rejected') throw started.reason;
  if (launched.status === 'rejected') throw launched.reason;
  context = await newContext(browser!);
}, 90_000);

afterAll(async () => {
  await Promise.all([browser?.close(), gateway?.stop()]);
}, 60_000);

/** A watched page that also records every answer of 400 or more (a failed request the browser still got an answer to). */
async function openDocsPage(): Promise<WatchedPage & { errorAnswers: string[] }> {
  const watched = await openPage(context, { width: 1280, height: 900 });
  const errorAnswers: string[] = [];
  watched.page.on('response', (response) => {
    if (response.status() >= 400) errorAnswers.push(`${response.status()} ${response.url()}`);
  });
  return { ...watched, errorAnswers };
}

function expectNothingFailed(watched: WatchedPage & { errorAnswers: string[] }): void {
  expectCleanSession(watched);
  expect(watched.failures, 'requests that failed').toEqual([]);
  expect(watched.errorAnswers, 'answers of 400 or more').toEqual([]);
  expect(watched.problems, 'console errors and warnings').toEqual([]);
}

describe('the API reference page', () => {
  it("renders the gateway's own OpenAPI document with Redoc: real operations, their paths and error codes, all from 127.0.0.1", async () => {
    const watched = await openDocsPage();
    const { page } = watched;
    await page.goto(`${gateway!.url}/docs`);
    // Redoc has rendered the document once an operation's heading is on the page.
    await page.locator('h2', { hasText: 'Authorize a card' }).waitFor({ timeout: 30_000 });
    await expect(page.locator('h2', { hasText: 'Refund a payment' }).count()).resolves.toBe(1);
    await expect(page.getByText('/api/v1/payments/authorize', { exact: true }).first().isVisible()).resolves.toBe(true);
    await expect(page.locator('body').innerText()).resolves.toContain('card_declined');
    // The side menu lists the sections of the document.
    await expect(page.locator('[role="menuitem"], li[data-item-id]', { hasText: 'Payments' }).count()).resolves.toBeGreaterThan(0);
    const urls = watched.requests.map((r) => new URL(r.url).pathname);
    expect(urls).toContain('/api/openapi.json');
    expect(urls.some((path) => /^\/docs\/assets\/redoc\.standalone\.[0-9a-f]{12}\.js$/.test(path))).toBe(true);
    await screenshot(page, 'docs-reference');
    await page.close();
    expectNothingFailed(watched);
  }, 60_000);
});

describe('the errors guide', () => {
  it("lands an error's doc_url on its code's section: /docs/errors#card_declined", async () => {
    const watched = await openDocsPage();
    const { page } = watched;
    await page.goto(`${gateway!.url}/docs/errors#card_declined`);
    const section = page.locator('h3#card_declined');
    await section.waitFor();
    await expect(section.textContent()).resolves.toBe('card_declined');
    await expect(page.locator(':target').getAttribute('id')).resolves.toBe('card_declined');
    await expect(page.locator('h3#card_declined + p').textContent()).resolves.toContain('402');
    // The menu leads back to the reference.
    await expect(page.locator('.docs-bar a[href="/docs"]').count()).resolves.toBeGreaterThan(0);
    await screenshot(page, 'docs-errors');
    await page.close();
    expectNothingFailed(watched);
  }, 60_000);
});
