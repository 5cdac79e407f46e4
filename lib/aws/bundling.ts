import type { BuildOptions } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROUTES } from '../../shared/routes.ts';

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
export const BUNDLE_SIZE_BUDGET_BYTES = 1.25 * 1024 * 1024;

/**
 * The same settings as esbuild API options, for the test and the bench: every handler of
 * `entries` (name -> entry file) becomes `<outdir>/<name>.mjs` with its `.map`.
 */
export function esbuildOptions(entries: Record<string, string>, outdir: string, sdk: SdkVariant = LAMBDA_BUNDLING.bundleAwsSdk ? 'bundled' : 'external'): BuildOptions {
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
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
    logLevel: 'silent',
  };
}

/** Every handler module of the route table, by handler name (`payments/authorize-payment`). */
export function routeHandlerEntries(routes: Record<string, { handler: string }> = ROUTES): Record<string, string> {
  return Object.fromEntries(Object.values(routes).map((route) => [route.handler, handlerEntry(route.handler)]));
}
