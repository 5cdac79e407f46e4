/**
 * The hosted checkout page in a headless Chromium, as a customer uses it: pay, be declined and try
 * again, make a typo the page catches, cancel, find the link expired, canceled or already paid,
 * with a keyboard only, and on a phone. Every session also checks that no request left 127.0.0.1
 * and that the Content-Security-Policy was never violated. Screenshots of each state go to
 * test-results/screenshots/ (`npm run screenshots` refreshes docs/screenshots/ instead).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { client, startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import {
  cspViolations,
  expectCleanSession,
  launchChromium,
  newContext,
  openPage,
  screenshot,
  startMerchantSite,
  type MerchantSite,
  type WatchedPage,
} from './support.ts';

const VISA = '4242424242424242';
const INSUFFICIENT_FUNDS = '4000000000009995';
const EXPIRY = `12/${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;
const ENV = { RATE_LIMIT_PUBLIC_PER_SECOND: '1000000', RATE_LIMIT_PAYMENT_PER_SECOND: '1000000' };
/** Long enough to open a page before its intent expires on a loaded 2-core machine, short enough to wait for. */
const SHORT_TTL_SECONDS = 4;

let gateway: GatewayProcess;
let shortLived: GatewayProcess;
let shop: MerchantSite;
let browser: Browser;
let context: BrowserContext;
/** Intents of the short-lived gateway, made at the start so they expire while the other tests run. */
let expiring: Intent;
let leftOpen: Intent;
let leftOpenPage: WatchedPage;

interface Intent {
  id: string;
  client_secret: string;
  checkout_url: string;
  expires_at: string;
}

/** What beforeAll starts, each with its stop, pushed as soon as its start is called. */
const started: Array<Promise<(() => Promise<unknown>) | undefined>> = [];

/** `start`, with its stop registered for afterAll: whatever came up is stopped, even when another start failed. */
function stopLater<T>(start: Promise<T>, stop: (it: T) => Promise<unknown>): Promise<T> {
  started.push(start.then((it) => () => stop(it), () => undefined));
  return start;
}

beforeAll(async () => {
  [gateway, shortLived, shop, browser] = await Promise.all([
    stopLater(startGatewayProcess(ENV), (it) => it.stop()),
    stopLater(startGatewayProcess({ ...ENV, INTENT_TTL_SECONDS: String(SHORT_TTL_SECONDS) }), (it) => it.stop()),
    stopLater(startMerchantSite(), (it) => it.close()),
    stopLater(launchChromium(), (it) => it.close()),
  ]);
  context = await newContext(browser);
  [expiring, leftOpen] = await Promise.all([
    createIntent({ amount: 2500, currency: 'USD', description: 'Expiring order' }, shortLived),
    createIntent({ amount: 1500, currency: 'MAD', description: 'Order left open' }, shortLived),
  ]);
  // A customer opens this one now and pays only after it has expired (the last test).
  leftOpenPage = await openPage(context);
  await leftOpenPage.page.goto(leftOpen.checkout_url);
  await leftOpenPage.page.locator('form').waitFor();
}, 90_000);

/** Runs even when beforeAll failed: waits for the starts still under way, then stops everything that started. */
afterAll(async () => {
  const stops = (await Promise.all(started)).filter((stop) => stop !== undefined);
  const failed = (await Promise.allSettled(stops.map((stop) => stop()))).filter((r) => r.status === 'rejected');
  if (failed.length > 0) throw new AggregateError(failed.map((r) => r.reason), 'stopping the browser, the gateways or the merchant site failed');
}, 90_000);

type Viewport = { width: number; height: number };
type OnTestFinished = TestContext['onTestFinished'];

/** When the test ends: the page closes, and nothing may have left 127.0.0.1 or violated the CSP. */
function watch(onTestFinished: OnTestFinished, watched: WatchedPage): WatchedPage {
  onTestFinished(async () => {
    await watched.page.close();
    expectCleanSession(watched);
  });
  return watched;
}

/** Opens intents' checkout_url, as the merchant hands it to the customer, in pages watched until the test ends. */
function opener(onTestFinished: OnTestFinished) {
  return async (intent: Intent, viewport?: Viewport): Promise<WatchedPage> => {
    const watched = watch(onTestFinished, await openPage(context, viewport));
    await watched.page.goto(intent.checkout_url);
    await watched.page.locator('#checkout :is(form, .state)').first().waitFor();
    return watched;
  };
}

/** Waits for a condition outside the page (the tests run concurrently: no expect.poll here). */
async function until(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The page's heading once it reads `text`. */
async function headingOnceIs(watched: WatchedPage, text: string): Promise<string | null> {
  const heading = watched.page.locator('h1', { hasText: text });
  await heading.waitFor();
  return heading.textContent();
}

async function createIntent(overrides: Record<string, unknown> = {}, on: GatewayProcess = gateway): Promise<Intent> {
  const answer = await client(on.url, on.apiKey)('POST', '/api/v1/payment-intents', {
    amount: 9999,
    currency: 'USD',
    description: 'Two concert tickets',
    success_url: `${shop.url}/success?order=42`,
    cancel_url: `${shop.url}/cancel`,
    customer_email: 'ada@example.com',
    ...overrides,
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as Intent;
}

async function intentStatus(intent: Intent, on: GatewayProcess = gateway): Promise<string> {
  return (await client(on.url, on.apiKey)('GET', `/api/v1/payment-intents/${intent.id}`)).body.status as string;
}

async function fillCard(watched: WatchedPage, number: string, expiry = EXPIRY, cvv = '123'): Promise<void> {
  const { page } = watched;
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel(/Expiry/).fill(expiry);
  await page.getByLabel('Security code').fill(cvv);
}

const payButton = (watched: WatchedPage) => watched.page.getByRole('button', { name: /^Pay / });

/** The focused element's id, or its tag name when it has none. */
const focused = (page: Page) => page.evaluate<string>('document.activeElement?.id || document.activeElement?.tagName || ""');

describe.concurrent('paying on the hosted checkout page', { timeout: 60_000 }, () => {
  it('shows the merchant, the description and the amount, takes 4242 and lands on the success URL with payment_intent', async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const intent = await createIntent();
    const watched = await openCheckout(intent);
    const { page } = watched;

    expect(await page.locator('.merchant').textContent()).toBe('Test Merchant');
    expect(await page.locator('h1').textContent()).toBe('$99.99');
    expect(await page.locator('.description').textContent()).toBe('Two concert tickets');
    expect(await payButton(watched).textContent()).toBe('Pay $99.99');
    expect(await page.title()).toContain('$99.99');
    await fillCard(watched, VISA);
    await page.getByLabel('Name on card').fill('Ada Lovelace');
    await page.locator(':focus').blur();
    await screenshot(page, 'form');

    // Hold the confirm on its way, to see the page while it waits.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/confirm', async (route) => {
      await held;
      await route.continue();
    });
    const idleBox = await payButton(watched).boundingBox();
    await payButton(watched).click();
    const busy = page.locator('button[aria-busy="true"]');
    await busy.waitFor();
    expect((await busy.boundingBox())?.height, 'the button keeps its size while busy').toBe(idleBox?.height);
    expect(await busy.isDisabled()).toBe(true);
    expect(await busy.locator('.spinner').count()).toBe(1);
    expect(await busy.textContent()).toContain('Processing');
    await screenshot(page, 'processing');
    // A second press of Enter or a click while it runs sends nothing more.
    await page.getByLabel('Card number').press('Enter');
    await busy.click({ force: true });
    release();

    await page.waitForURL((url) => url.pathname === '/success');
    const landed = new URL(page.url());
    expect(landed.origin).toBe(shop.url);
    expect(landed.searchParams.get('payment_intent')).toBe(intent.id);
    expect(landed.searchParams.get('order')).toBe('42');
    expect(page.url()).not.toContain('_secret_');
    expect(shop.referers.filter((r) => r.includes('/checkout/')), 'the checkout URL (and its secret) sent as Referer').toEqual([]);
    expect(watched.confirmRequests()).toBe(1);
    expect(await intentStatus(intent)).toBe('succeeded');
    await screenshot(page, 'success-redirect');
  });

  it('shows a decline in words ("insufficient funds"), and a second attempt with another card succeeds', async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const intent = await createIntent({ amount: 5000, currency: 'EUR' });
    const watched = await openCheckout(intent);
    const { page } = watched;

    await fillCard(watched, INSUFFICIENT_FUNDS);
    await payButton(watched).click();
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: /insufficient funds/i }).waitFor();
    expect(await alert.textContent()).toBe('Your card has insufficient funds. Try another card.');
    expect(await alert.isVisible()).toBe(true);
    expect(await payButton(watched).isEnabled()).toBe(true);
    expect(await payButton(watched).textContent()).toBe('Pay €50.00');
    // The customer is taken back to the card number, to type another card.
    expect(await focused(page)).toBe('card-number');
    await screenshot(page, 'declined');
    const afterDecline = await client(gateway.url, gateway.apiKey)('GET', `/api/v1/payment-intents/${intent.id}`);
    expect(afterDecline.body).toMatchObject({ status: 'created', attempts: 1, last_payment_error: { decline_code: 'insufficient_funds' } });

    await page.getByLabel('Card number').fill(VISA);
    await payButton(watched).click();
    await page.waitForURL((url) => url.pathname === '/success');
    expect(new URL(page.url()).searchParams.get('payment_intent')).toBe(intent.id);
    expect(watched.confirmRequests()).toBe(2);
    expect(await intentStatus(intent)).toBe('succeeded');
  });

  it('checks the card in the browser first: a bad Luhn number, a past expiry or a short CVV sends nothing', async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const intent = await createIntent({ customer_email: undefined });
    const watched = await openCheckout(intent);
    const { page } = watched;

    await fillCard(watched, '4242424242424241', '01/20', '12');
    await page.getByLabel('Email').fill('not-an-email');
    await payButton(watched).click();

    const number = page.getByLabel('Card number');
    await page.locator('#card-number[aria-invalid="true"]').waitFor();
    expect(await page.locator('#card-number-error').textContent()).toBe('Enter a valid card number.');
    expect(await page.locator('#card-expiry-error').textContent()).toMatch(/expiry/i);
    expect(await page.locator('#card-cvv-error').textContent()).toMatch(/3-digit/);
    expect(await page.locator('#email-error').textContent()).toMatch(/email/i);
    expect(await number.getAttribute('aria-describedby')).toBe('card-number-error');
    expect(await focused(page)).toBe('card-number');
    await screenshot(page, 'client-errors');
    expect(watched.confirmRequests()).toBe(0);

    // Fixed, one field at a time: still nothing sent until every field is right.
    await number.fill(VISA);
    await payButton(watched).click();
    expect(await number.getAttribute('aria-invalid')).toBe('false');
    expect(watched.confirmRequests()).toBe(0);

    await fillCard(watched, VISA);
    await page.getByLabel('Email').fill('ada@example.com');
    await payButton(watched).click();
    await page.waitForURL((url) => url.pathname === '/success');
    expect(watched.confirmRequests()).toBe(1);
    const paid = await client(gateway.url, gateway.apiKey)('GET', `/api/v1/payment-intents/${intent.id}`);
    expect(paid.body).toMatchObject({ status: 'succeeded', customer_email: 'ada@example.com' });
  });

  it("shows the server's verdict on a card the browser let through, at its field", async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const intent = await createIntent();
    const watched = await openCheckout(intent);
    const { page } = watched;

    // Luhn-valid and in the future, but more than 20 years ahead: only the server refuses it.
    await fillCard(watched, VISA, '12/75');
    await payButton(watched).click();
    const expiry = page.getByLabel(/Expiry/);
    await page.locator('#card-expiry[aria-invalid="true"]').waitFor();
    expect(await page.locator('#card-expiry-error').textContent()).not.toBe('');
    expect(watched.confirmRequests()).toBe(1);
    expect(await client(gateway.url, gateway.apiKey)('GET', `/api/v1/payment-intents/${intent.id}`)).toMatchObject({ body: { status: 'created', attempts: 0 } });

    await expiry.fill(EXPIRY);
    await payButton(watched).click();
    await page.waitForURL((url) => url.pathname === '/success');
  });

  it('takes the customer back to cancel_url with the cancel link, and leaves the intent open', async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const intent = await createIntent();
    const watched = await openCheckout(intent);
    const { page } = watched;

    const cancel = page.getByRole('link', { name: /cancel/i });
    expect(await cancel.getAttribute('href')).not.toContain('shop'); // the URL stays on the gateway
    await cancel.click();
    await page.waitForURL((url) => url.pathname === '/cancel');
    expect(new URL(page.url()).origin).toBe(shop.url);
    expect(shop.visits).toContain('/cancel');
    expect(page.url()).not.toContain('_secret_');
    expect(shop.referers.filter((r) => r.includes('/checkout/')), 'the checkout URL (and its secret) sent as Referer').toEqual([]);
    expect(watched.confirmRequests()).toBe(0);
    expect(await intentStatus(intent)).toBe('created');
  });
});

describe.concurrent('the states of an intent that cannot be paid', { timeout: 60_000 }, () => {
  it('shows a canceled intent as canceled, with no card form', async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const intent = await createIntent();
    expect((await client(gateway.url, gateway.apiKey)('POST', `/api/v1/payment-intents/${intent.id}/cancel`)).status).toBe(200);
    const watched = await openCheckout(intent);

    expect(await watched.page.locator('h1').textContent()).toBe('Checkout canceled');
    expect(await watched.page.locator('form').count()).toBe(0);
    expect(await focused(watched.page)).toBe('H1');
    await screenshot(watched.page, 'canceled');
  });

  it('shows a paid intent as already paid, also when it gets paid elsewhere while the page is open', async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const intent = await createIntent();
    const watched = await openCheckout(intent);
    const paid = await client(gateway.url)('POST', `/api/public/payment-intents/${intent.id}/confirm`, {
      client_secret: intent.client_secret,
      card: { number: VISA, exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, cvv: '123' },
    });
    expect(paid.status).toBe(200);

    await fillCard(watched, VISA);
    await payButton(watched).click();
    expect(await headingOnceIs(watched, 'Already paid')).toBe('Already paid');
    expect(await intentStatus(intent)).toBe('succeeded');

    const reopened = await openCheckout(intent);
    expect(await reopened.page.locator('h1').textContent()).toBe('Already paid');
    expect(await reopened.page.locator('form').count()).toBe(0);
    await screenshot(reopened.page, 'already-paid');
  });

  it('shows an intent whose attempts are used up as not payable', async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const intent = await createIntent();
    const publicApi = client(gateway.url);
    for (let i = 0; i < 5; i++) {
      await publicApi('POST', `/api/public/payment-intents/${intent.id}/confirm`, {
        client_secret: intent.client_secret,
        card: { number: INSUFFICIENT_FUNDS, exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, cvv: '123' },
      });
    }
    const watched = await openCheckout(intent);
    expect(await watched.page.locator('h1').textContent()).toBe('Payment not possible');
  });

  it('shows a link with a wrong client secret as not valid', async ({ onTestFinished }) => {
    const intent = await createIntent();
    const watched = watch(onTestFinished, await openPage(context));
    await watched.page.goto(`${gateway.url}/checkout/${intent.id}?client_secret=${intent.id}_secret_wrong`);
    expect(await headingOnceIs(watched, 'Link not valid')).toBe('Link not valid');
  });

  it(`shows an expired intent as expired (INTENT_TTL_SECONDS=${SHORT_TTL_SECONDS}) with a way back, and a page left open past expiry turns expired on submit`, async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const expiredAt = Math.max(Date.parse(expiring.expires_at), Date.parse(leftOpen.expires_at));
    await new Promise((r) => setTimeout(r, Math.max(0, expiredAt + 250 - Date.now())));

    const stale = watch(onTestFinished, leftOpenPage);
    expect(await payButton(stale).textContent()).toBe('Pay 15.00 MAD');
    await fillCard(stale, VISA);
    await payButton(stale).click();
    expect(await headingOnceIs(stale, 'Checkout expired')).toBe('Checkout expired');
    expect(stale.confirmRequests()).toBe(1);
    expect(await intentStatus(leftOpen, shortLived)).toBe('expired');

    const watched = await openCheckout(expiring);
    const { page } = watched;
    expect(await page.locator('h1').textContent()).toBe('Checkout expired');
    expect(await page.locator('form').count()).toBe(0);
    expect(await focused(page)).toBe('H1');
    await screenshot(page, 'expired');
    await page.getByRole('link', { name: 'Return to Test Merchant' }).click();
    await page.waitForURL((url) => url.pathname === '/cancel');
    expect(await intentStatus(expiring, shortLived)).toBe('expired');
  });
});

describe.concurrent('amounts, keyboard, phone and page security', { timeout: 60_000 }, () => {
  it('formats amounts for their currency: $99.99, €50.00, 99.99 MAD', async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const cases = [[9999, 'USD', '$99.99'], [5000, 'EUR', '€50.00'], [9999, 'MAD', '99.99 MAD'], [5, 'USD', '$0.05']] as const;
    await Promise.all(cases.map(async ([amount, currency, shown]) => {
      const watched = await openCheckout(await createIntent({ amount, currency }));
      expect(await watched.page.locator('h1').textContent(), `${amount} ${currency}`).toBe(shown);
      expect(await payButton(watched).textContent()).toBe(`Pay ${shown}`);
    }));
  });

  it('works with the keyboard alone: Tab reaches every field, the button and the cancel link; Enter submits', async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const intent = await createIntent({ customer_email: undefined });
    const watched = await openCheckout(intent);
    const { page } = watched;

    // Every field has a label.
    const unlabeled = await page.evaluate<string[]>("[...document.querySelectorAll('input')].filter((i) => i.labels?.length !== 1).map((i) => i.id)");
    expect(unlabeled).toEqual([]);

    expect(await focused(page)).toBe('card-number');
    await page.keyboard.type(VISA);
    const order = ['card-number'];
    for (const text of [EXPIRY, '123', 'Ada Lovelace', 'ada@example.com']) {
      await page.keyboard.press('Tab');
      order.push(await focused(page));
      await page.keyboard.type(text);
    }
    await page.keyboard.press('Tab');
    order.push(await focused(page));
    await page.keyboard.press('Tab');
    order.push(await focused(page));
    expect(order).toEqual(['card-number', 'card-expiry', 'card-cvv', 'card-name', 'email', 'BUTTON', 'A']);
    expect(await page.locator(':focus').getAttribute('href')).toContain('/cancel');

    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('email');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/success');
    expect(await intentStatus(intent)).toBe('succeeded');
  });

  it('fits a phone-sized screen (390x844) without horizontal scrolling, field errors shown or not', async ({ onTestFinished }) => {
    const openCheckout = opener(onTestFinished);
    const intent = await createIntent({ customer_email: undefined, description: 'A rather long description of two concert tickets, row 12, seats 7 and 8' });
    for (const viewport of [{ width: 390, height: 844 }, { width: 320, height: 640 }]) {
      const watched = await openCheckout(intent, viewport);
      const { page } = watched;
      const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(await overflow(), `${viewport.width}px wide`).toBeLessThanOrEqual(0);
      if (viewport.width === 390) {
        // The form fits the screen's height too: nothing to scroll before the button.
        expect(await page.evaluate<number>('document.documentElement.scrollHeight - document.documentElement.clientHeight')).toBeLessThanOrEqual(0);
      }
      const box = await payButton(watched).boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width);
      expect(box!.height).toBeGreaterThanOrEqual(44); // a comfortable touch target
      if (viewport.width === 390) {
        await page.locator(':focus').blur();
        await screenshot(page, 'phone');
      }

      await payButton(watched).click(); // every field error shown: the widest and tallest the form gets
      await page.locator('#card-number-error:not(:empty)').waitFor();
      expect(await overflow(), `${viewport.width}px wide, with errors`).toBeLessThanOrEqual(0);
    }
  });

  it('loads everything from the gateway under its CSP, and the watcher does see a violation when one happens', async () => {
    const intent = await createIntent();
    const fresh = await newContext(browser); // nothing cached: every asset is requested
    try {
      const watched = await openPage(fresh);
      await watched.page.goto(intent.checkout_url);
      await watched.page.locator('form').waitFor();
      const paths = watched.requests.map((r) => new URL(r.url).pathname);
      expect(paths).toEqual(expect.arrayContaining([`/checkout/${intent.id}`, '/checkout/assets/checkout.css', '/checkout/assets/checkout.js', `/api/public/payment-intents/${intent.id}`]));
      expectCleanSession(watched);

      // The check is live: an image from elsewhere is refused by the CSP before any connection.
      await watched.page.evaluate("document.body.append(Object.assign(document.createElement('img'), { src: 'https://tracker.example/pixel.png' }))");
      await until('the CSP violation report', () => cspViolations(watched).length > 0);
      await until('the blocked request', () => watched.failures.some((f) => f.url.includes('tracker.example')));
      expect(watched.failures.find((f) => f.url.includes('tracker.example'))?.reason).toMatch(/csp/i);
    } finally {
      await fresh.close();
    }
  });
});
