/**
 * The pages of /docs as lib/docs-build.ts builds them, and the Markdown reference in the
 * repository: current with the document, one anchor per error code, links that lead somewhere,
 * and nothing that would load from another origin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDocsSite, guideMarkdown, REDOC_BUNDLE, REDOC_THIRD_PARTY_LOGO, servedRedocBundle, siteHref } from '../../lib/docs-build.ts';
import { openApiDocumentFromSources } from '../../lib/openapi/document.ts';
import { ERROR_CODES } from '../../lib/openapi/errors.ts';
import { apiReferenceMarkdown, headingSlug, type OpenApiJson } from '../../lib/openapi/markdown.ts';
import { GUIDES, type DocsSite, type GuideName } from '../../shared/docs/site.ts';
import { errorDocUrl } from '../../shared/domain/errors.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const GUIDE_NAMES = Object.keys(GUIDES) as GuideName[];
let site: DocsSite;

beforeAll(async () => {
  site = await buildDocsSite();
});

const allPages = () => [site.pages.reference, ...Object.values(site.pages.guides)];

describe('docs/api-reference.md', () => {
  it('is what `npm run docs` makes of the current OpenAPI document (run it after changing a route, a schema or an error)', async () => {
    const expected = apiReferenceMarkdown((await openApiDocumentFromSources()) as unknown as OpenApiJson);
    // A boolean, not toBe(): a failure would print two 1,700-line files.
    expect(readFileSync(join(ROOT, 'docs', 'api-reference.md'), 'utf8') === expected, 'docs/api-reference.md is stale: run npm run docs').toBe(true);
  });

  it('has a section for every operation of the document and every error code', async () => {
    const markdown = readFileSync(join(ROOT, 'docs', 'api-reference.md'), 'utf8');
    const document = (await openApiDocumentFromSources()) as unknown as OpenApiJson;
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const method of Object.keys(methods)) expect(markdown, `${method} ${path}`).toContain(`\`${method.toUpperCase()} ${path}\``);
    }
    for (const code of ERROR_CODES.keys()) expect(markdown).toContain(`\n### ${code}\n`);
  });
});

describe('the errors guide', () => {
  it.each([...ERROR_CODES.keys()])("has the anchor %s's doc_url points at", (code) => {
    const anchor = new URL(errorDocUrl('https://gateway.example', code)).hash.slice(1);
    expect(anchor).toBe(code);
    expect(site.pages.guides.errors).toContain(`<h3 id="${anchor}">${code}</h3>`);
  });

  it('has no section that is not an error code (the list is generated, not kept by hand)', () => {
    const sections = [...site.pages.guides.errors.matchAll(/<h3 id="([^"]+)">/g)].map((m) => m[1]);
    expect(sections.sort()).toEqual([...ERROR_CODES.keys()].sort());
  });
});

describe('the pages', () => {
  it('name only assets the site serves, under names that carry their content hash', () => {
    for (const page of allPages()) {
      for (const [, file] of page.matchAll(/(?:src|href)="\/docs\/assets\/([^"]+)"/g)) expect(Object.keys(site.assets)).toContain(file);
    }
    expect(Object.keys(site.assets).every((name) => /\.[0-9a-f]{12}\.(js|css)$/.test(name))).toBe(true);
    expect(site.pages.reference).toMatch(/<script src="\/docs\/assets\/redoc\.standalone\.[0-9a-f]{12}\.js"><\/script>/);
  });

  it('load nothing from another origin: every script, style and image is a path of this gateway, and no script is inline', () => {
    for (const page of allPages()) {
      expect([...page.matchAll(/<(?:script|img|link)\b[^>]*\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]).filter((url) => !url!.startsWith('/'))).toEqual([]);
      expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(page).not.toMatch(/<style\b|\bstyle="/);
    }
  });

  it("serve Redoc's bundle without the one address it would load from another origin, and refuse a bundle that changed there", () => {
    const served = Object.entries(site.assets).find(([name]) => name.startsWith('redoc.standalone.'))![1].body;
    expect(readFileSync(REDOC_BUNDLE, 'utf8')).toContain(REDOC_THIRD_PARTY_LOGO);
    expect(served.includes(REDOC_THIRD_PARTY_LOGO)).toBe(false);
    expect(served.includes('sourceMappingURL=redoc.standalone.js.map')).toBe(false);
    expect(() => servedRedocBundle('no logo here')).toThrow(/once, found 0/);
  });

  it('link every guide from every page, and each guide has its title as its heading', () => {
    for (const page of allPages()) for (const name of GUIDE_NAMES) expect(page).toContain(`href="/docs/${name}"`);
    for (const name of GUIDE_NAMES) expect(site.pages.guides[name]).toContain(`<h1 id="${headingSlug(GUIDES[name])}">${GUIDES[name]}</h1>`);
  });
});

describe('the guides in the repository', () => {
  it.each(GUIDE_NAMES)('%s.md links only to files that exist and to sections that exist, and each becomes a path of /docs', (name) => {
    const markdown = guideMarkdown(name);
    for (const [, href] of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(href!)) continue;
      const [file, section] = href!.split('#');
      const target = join(ROOT, 'docs', 'guides', file!);
      expect(existsSync(target), href).toBe(true);
      expect(siteHref(href!)).toMatch(/^\/docs(\/[a-z-]+)?(#.+)?$/);
      if (section) expect(guideMarkdown(file!.replace(/\.md$/, '') as GuideName)).toMatch(new RegExp(`^#+ .*`, 'm'));
      expect(dirname(target).startsWith(join(ROOT, 'docs'))).toBe(true);
    }
  });

  it('maps Markdown links to the paths of /docs', () => {
    expect(siteHref('errors.md#card_declined')).toBe('/docs/errors#card_declined');
    expect(siteHref('../api-reference.md')).toBe('/docs');
    expect(siteHref('https://www.standardwebhooks.com/')).toBe('https://www.standardwebhooks.com/');
    expect(siteHref('elsewhere.md')).toBe('elsewhere.md');
  });
});
