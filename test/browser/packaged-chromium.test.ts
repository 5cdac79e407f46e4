/**
 * The packaged Chromium runs on the libraries the project brings, not the machine's: an HTTPS
 * page makes it load NSS's soft token, whose SQLite must then be the one linked into its cache
 * (test/browser/support.ts), since a machine with only Node and Java has none of its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support.ts';

let browser: Browser;
let server: Server;
let url: string;

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 });
  server = createServer({ key: pems.private, cert: pems.cert }, (_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end('<!doctype html><title>tls</title><p id="p">over TLS</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** What a machine with only Node and Java has for any program: the C library's own parts. */
const GLIBC = /\/(ld-linux[\w.-]*|lib(c|m|dl|pthread|rt|resolv|gcc_s|nss_\w+)\.so[\d.]*)$/;

/** The shared libraries the running packaged browser's processes have mapped. */
function mappedLibraries(): string[] {
  const libraries = new Set<string>();
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('paygate-chromium')) continue;
      for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
        const path = / (\/\S+\.so(\.[\d.]+)?)$/.exec(line)?.[1];
        if (path) libraries.add(path);
      }
    } catch {
      // A process that ended meanwhile.
    }
  }
  return [...libraries];
}

describe.skipIf(process.env['PAYGATE_CHROMIUM'] !== undefined)('the packaged Chromium', () => {
  it('opens an HTTPS page with NSS and SQLite from the project, not from the machine', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(url);
    expect(await page.textContent('#p')).toBe('over TLS');
    const libraries = mappedLibraries();
    const nss = libraries.filter((path) => /\/lib(softokn3|nss3|sqlite3)\.so/.test(path) || path.includes('sqlite'));
    expect(nss.some((path) => path.endsWith('libsoftokn3.so')), libraries.join('\n')).toBe(true);
    for (const path of nss) expect(path, 'a library of NSS from the machine').toContain('/node_modules/');
    // Nothing else from apt either: from the machine, only the C library's own parts (glibc and its libgcc_s), which every Linux has.
    const fromMachine = libraries.filter((path) => !path.includes('/node_modules/'));
    expect(fromMachine.filter((path) => !GLIBC.test(path)), 'libraries the browser took from the machine').toEqual([]);
    await context.close();
  });
});
