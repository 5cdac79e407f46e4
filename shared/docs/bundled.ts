import type { DocsAssets, DocsPages } from './site.ts';

/** Set at bundle time in AWS (esbuild `define`, lib/aws/bundling.ts); absent when the source runs directly (local gateway). */
declare const __PAYGATE_DOCS_PAGES__: DocsPages | undefined;
declare const __PAYGATE_DOCS_ASSETS__: DocsAssets | undefined;

export function bundledDocsPages(): DocsPages | null {
  return typeof __PAYGATE_DOCS_PAGES__ === 'undefined' ? null : __PAYGATE_DOCS_PAGES__;
}

export function bundledDocsAssets(): DocsAssets | null {
  return typeof __PAYGATE_DOCS_ASSETS__ === 'undefined' ? null : __PAYGATE_DOCS_ASSETS__;
}
