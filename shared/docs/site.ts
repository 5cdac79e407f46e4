/**
 * The developer pages at `/docs`: the API reference (Redoc, rendering `/api/openapi.json` in the
 * browser) and the guides, rendered from docs/guides/*.md at build time (lib/docs-build.ts). The
 * pages and the assets are each a build-time constant of the function that serves them.
 */

/** The guides, by the last segment of their path (`/docs/errors`), in the order the menu shows them. */
export const GUIDES = {
  'quick-start': 'Quick start',
  idempotency: 'Idempotency and retries',
  webhooks: 'Webhooks and signatures',
  'test-cards': 'Test cards',
  errors: 'Errors',
} as const;
export type GuideName = keyof typeof GUIDES;

/** Every page's HTML: the reference (`/docs`) and each guide. */
export interface DocsPages {
  reference: string;
  guides: Record<GuideName, string>;
}

export interface DocsAsset {
  contentType: string;
  body: string;
}

/** The pages' scripts and styles, by file name; each name carries a hash of its content, so a cache may keep it for good. */
export type DocsAssets = Record<string, DocsAsset>;

/** What lib/docs-build.ts builds: the pages and the assets they name. */
export interface DocsSite {
  pages: DocsPages;
  assets: DocsAssets;
}

const SHARED_POLICY = ["default-src 'none'", "img-src 'self' data:", "form-action 'none'", "base-uri 'none'", "frame-ancestors 'none'"];

/**
 * The reference page: Redoc's script from us, the document from this origin. Its style-src allows
 * inline styles because Redoc's styled-components writes its CSS into <style> elements at run time
 * (no script may run inline); its search index runs in a Worker made from a blob: URL.
 */
export const REFERENCE_PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': [...SHARED_POLICY, "script-src 'self'", "style-src 'self' 'unsafe-inline'", "connect-src 'self'", "worker-src 'self' blob:"].join('; '),
  'cache-control': 'public, max-age=300',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** A guide: static HTML and our stylesheet, no script at all. */
export const GUIDE_PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': [...SHARED_POLICY, "style-src 'self'"].join('; '),
  'cache-control': 'public, max-age=300',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** An asset's name holds its content's hash: a new build is a new name, so it may be cached for a year. */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
