/**
 * `npm run bench`: bundles every handler the stack deploys (the routes, the `$default` route,
 * the outbox workers) with the stack's esbuild settings (lib/aws/bundling.ts), twice: with the AWS SDK bundled, and with the SDK left external (as if
 * taken from the Lambda runtime; here it resolves from this project's node_modules). For each
 * bundle it prints the size and the time a fresh `node` takes to import it (the median of a few
 * cold runs, with --enable-source-maps as the functions run): the closest local proxy of a Lambda
 * cold start's init phase.
 *
 *   npm run bench -- --runs 7
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { BUNDLE_SIZE_BUDGET_BYTES, deployedHandlerEntries, esbuildRuns, LAMBDA_BUNDLING, PROJECT_ROOT, SERVICE_FREE_BUNDLE_BUDGET_BYTES, SERVICE_FREE_HANDLERS, type SdkVariant } from '../lib/aws/bundling.ts';
import { buildCheckoutAssets } from '../lib/checkout-build.ts';
import { openApiDocumentFromSources } from '../lib/openapi/document.ts';
import { buildDocsSite } from '../lib/docs-build.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

const VARIANTS: SdkVariant[] = ['bundled', 'external'];
const entries = deployedHandlerEntries();
const handlers = Object.keys(entries);
const workdir = mkdtempSync(join(tmpdir(), 'paygate-bench-'));

// The child measures only the import: Node's own start-up is the same for every bundle.
const IMPORT_ONCE = `
  const started = performance.now();
  const module = await import(process.argv[1]);
  const elapsed = performance.now() - started;
  if (typeof module.handler !== 'function') throw new Error('no handler export');
  process.stdout.write(String(elapsed));`;

function importMs(file: string): number {
  const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', IMPORT_ONCE, pathToFileURL(file).href], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '' },
  });
  return Number(out);
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

try {
  // What the stack bundles: the checkout-asset handler carries the page's assets, the OpenAPI handler the document (bin/cdk.ts builds both).
  const constants = { checkoutAssets: await buildCheckoutAssets(), openApiDocument: await openApiDocumentFromSources(), docsSite: await buildDocsSite() };
  const outdirs = {} as Record<SdkVariant, string>;
  for (const variant of VARIANTS) {
    outdirs[variant] = join(workdir, variant);
    mkdirSync(outdirs[variant]);
    const started = performance.now();
    for (const options of esbuildRuns(entries, outdirs[variant], constants, variant)) await build(options);
    console.log(`bundled ${handlers.length} handlers (${variant} SDK) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  // The external variant finds the SDK the way a bundle finds the runtime's: outside the bundle.
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(workdir, 'node_modules'), 'dir');

  const file = (variant: SdkVariant, handler: string) => join(outdirs[variant], `${handler}.mjs`);
  const samples = new Map<string, number[]>();
  console.log(`importing each bundle cold, ${runs} runs each (interleaved)...`);
  for (let run = 0; run < runs; run++) {
    for (const handler of handlers) {
      for (const variant of run % 2 ? [...VARIANTS].reverse() : VARIANTS) {
        const key = `${variant} ${handler}`;
        samples.set(key, [...(samples.get(key) ?? []), importMs(file(variant, handler))]);
      }
    }
  }

  const rows = handlers.map((handler) => {
    const row = { handler } as { handler: string } & Record<SdkVariant, { kib: number; ms: number }>;
    for (const variant of VARIANTS) {
      row[variant] = { kib: statSync(file(variant, handler)).size / 1024, ms: median(samples.get(`${variant} ${handler}`)!) };
    }
    return row;
  });

  const width = Math.max(...handlers.map((h) => h.length));
  console.log('');
  console.log(`${'handler'.padEnd(width)}  ${'SDK bundled'.padStart(22)}  ${'SDK external'.padStart(22)}`);
  console.log(`${''.padEnd(width)}  ${'size'.padStart(10)} ${'import'.padStart(11)}  ${'size'.padStart(10)} ${'import'.padStart(11)}`);
  const cell = (v: { kib: number; ms: number }) => `${v.kib.toFixed(0).padStart(6)} KiB ${v.ms.toFixed(0).padStart(8)} ms`;
  for (const row of rows) console.log(`${row.handler.padEnd(width)}  ${cell(row.bundled)}  ${cell(row.external)}`);

  const overall = (variant: SdkVariant) => median(rows.map((r) => r[variant].ms));
  const bundledMs = overall('bundled');
  const externalMs = overall('external');
  const faster: SdkVariant = bundledMs <= externalMs ? 'bundled' : 'external';
  const [fast, slow] = faster === 'bundled' ? [bundledMs, externalMs] : [externalMs, bundledMs];
  const chosen: SdkVariant = LAMBDA_BUNDLING.bundleAwsSdk ? 'bundled' : 'external';
  const largest = Math.max(...rows.map((r) => r[chosen].kib));
  console.log('');
  console.log(`median cold import: SDK bundled ${bundledMs.toFixed(0)} ms, SDK external ${externalMs.toFixed(0)} ms`);
  console.log(`faster: SDK ${faster}, by ${(slow - fast).toFixed(0)} ms (${((1 - fast / slow) * 100).toFixed(0)}% less time)`);
  console.log(
    `the stack uses: SDK ${chosen} (lib/aws/bundling.ts, LAMBDA_BUNDLING.bundleAwsSdk)` +
      (chosen === faster
        ? ': one minified, tree-shaken file loads faster than the same code split between the bundle and the SDK\'s CommonJS packages, and it pins the SDK version the tests ran against.'
        : ': NOT the faster variant on this run; rerun with more --runs, and switch LAMBDA_BUNDLING.bundleAwsSdk if it holds.'),
  );
  console.log(`largest bundle of the stack's variant: ${largest.toFixed(0)} KiB (budget ${(BUNDLE_SIZE_BUDGET_BYTES / 1024).toFixed(0)} KiB)`);
  for (const handler of SERVICE_FREE_HANDLERS) {
    const kib = rows.find((r) => r.handler === handler)![chosen].kib;
    console.log(`calls no AWS service: ${handler} ${kib.toFixed(0)} KiB (budget ${(SERVICE_FREE_BUNDLE_BUDGET_BYTES / 1024).toFixed(0)} KiB)`);
  }
} finally {
  rmSync(workdir, { recursive: true, force: true });
}
