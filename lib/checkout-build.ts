import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { CheckoutAssets } from '../shared/checkout/assets.ts';

const source = (file: string) => fileURLToPath(new URL(`../checkout/src/${file}`, import.meta.url));

/** Bundles the checkout page's browser code (minified, no third-party requests) and reads its style. */
export async function buildCheckoutAssets(): Promise<CheckoutAssets> {
  const out = await build({
    entryPoints: [source('checkout.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    platform: 'browser',
    write: false,
    legalComments: 'none',
  });
  const script = out.outputFiles[0]?.text;
  if (script === undefined) throw new Error('esbuild produced no checkout bundle');
  return { script, style: readFileSync(source('checkout.css'), 'utf8') };
}
