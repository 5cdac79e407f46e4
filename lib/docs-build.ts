/**
 * Builds the pages of `/docs` and their assets: the reference page (a shell whose script renders
 * `/api/openapi.json` with Redoc's standalone bundle, served by us), and the guides, rendered from
 * docs/guides/*.md with `marked`; the errors guide gets one section per error code of
 * lib/openapi/errors.ts. Each asset's name carries its content's hash. Run at build time
 * (bin/cdk.ts) and by the local gateway on first use; no Lambda function builds it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Marked } from 'marked';
import { GUIDES, type DocsAssets, type DocsSite, type GuideName } from '../shared/docs/site.ts';
import { errorCodesMarkdown, headingSlug } from './openapi/markdown.ts';

const fromHere = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Redoc's standalone bundle (React and its other dependencies inside), as its package ships it. */
export const REDOC_BUNDLE = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `name.<12 hex of sha256>.ext` */
function hashedName(name: string, ext: string, body: string): string {
  return `${name}.${createHash('sha256').update(body).digest('hex').slice(0, 12)}.${ext}`;
}

/**
 * A link between the Markdown files, as GitHub follows it (`errors.md#card_declined`,
 * `../api-reference.md`), as the site serves it (`/docs/errors#card_declined`, `/docs`).
 */
export function siteHref(href: string): string {
  const guide = /^([a-z-]+)\.md(#.*)?$/.exec(href);
  if (guide && Object.hasOwn(GUIDES, guide[1]!)) return `/docs/${guide[1]}${guide[2] ?? ''}`;
  if (/^\.\.\/api-reference\.md(#.*)?$/.test(href)) return '/docs';
  return href;
}

/** Headings get GitHub's anchors, so a link into a guide works on GitHub and on `/docs` alike. */
function guideRenderer(): Marked {
  return new Marked({
    gfm: true,
    walkTokens(token) {
      if (token.type === 'link') token.href = siteHref(token.href);
    },
    renderer: {
      heading({ tokens, depth, text }) {
        return `<h${depth} id="${escapeHtml(headingSlug(text))}">${this.parser.parseInline(tokens)}</h${depth}>\n`;
      },
    },
  });
}

/** The Markdown of a guide as the site renders it: the errors guide gains its generated sections. */
export function guideMarkdown(name: GuideName): string {
  const markdown = readFileSync(fromHere(`../docs/guides/${name}.md`), 'utf8');
  return name === 'errors' ? `${markdown}\n## Error codes\n\n${errorCodesMarkdown(3)}` : markdown;
}

/**
 * The one address on another origin that Redoc's bundle loads by itself: the Redocly logo of the
 * side menu's "API docs by Redocly" link, an <img> it always renders (no option turns it off).
 */
export const REDOC_THIRD_PARTY_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';

/**
 * Redoc's standalone bundle as we serve it: its source map comment dropped (we do not serve the
 * map), and the logo's address replaced by an empty data: URL, which loads nothing from anywhere
 * (the image's error handler then hides it; the link stays). A Redoc whose bundle no longer has
 * that address exactly once fails the build, to be looked at again.
 */
export function servedRedocBundle(bundle: string): string {
  const uses = bundle.split(REDOC_THIRD_PARTY_LOGO).length - 1;
  if (uses !== 1) throw new Error(`expected Redoc's bundle to name ${REDOC_THIRD_PARTY_LOGO} once, found ${uses}: check what it loads from other origins`);
  return bundle.replace(REDOC_THIRD_PARTY_LOGO, 'data:,').replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

export async function buildDocsSite(): Promise<DocsSite> {
  const redoc = servedRedocBundle(readFileSync(REDOC_BUNDLE, 'utf8'));
  const reference = readFileSync(fromHere('docs-site/reference.js'), 'utf8');
  const style = readFileSync(fromHere('docs-site/docs.css'), 'utf8');
  const names = { redoc: hashedName('redoc.standalone', 'js', redoc), reference: hashedName('reference', 'js', reference), style: hashedName('docs', 'css', style) };
  const assets: DocsAssets = {
    [names.redoc]: { contentType: 'text/javascript; charset=utf-8', body: redoc },
    [names.reference]: { contentType: 'text/javascript; charset=utf-8', body: reference },
    [names.style]: { contentType: 'text/css; charset=utf-8', body: style },
  };

  const bar = (current: GuideName | 'reference') =>
    [
      '<header class="docs-bar"><nav aria-label="Documentation">',
      '<a class="brand" href="/docs">Paygate</a>',
      `<a href="/docs"${current === 'reference' ? ' aria-current="page"' : ''}>API reference</a>`,
      ...Object.entries(GUIDES).map(([name, title]) => `<a href="/docs/${name}"${current === name ? ' aria-current="page"' : ''}>${escapeHtml(title)}</a>`),
      '</nav></header>',
    ].join('');
  const page = (title: string, current: GuideName | 'reference', body: string, scripts: string[] = []) =>
    [
      '<!doctype html>',
      '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
      `<title>${escapeHtml(title)} · Paygate</title>`,
      `<link rel="stylesheet" href="/docs/assets/${names.style}">`,
      '</head><body>',
      bar(current),
      body,
      ...scripts.map((file) => `<script src="/docs/assets/${file}"></script>`),
      '</body></html>',
      '',
    ].join('\n');

  const marked = guideRenderer();
  const guides = Object.fromEntries(
    Object.entries(GUIDES).map(([name, title]) => [name, page(title, name as GuideName, `<main class="guide">\n${marked.parse(guideMarkdown(name as GuideName), { async: false })}</main>`)]),
  ) as Record<GuideName, string>;
  const referencePage = page(
    'API reference',
    'reference',
    '<main id="redoc"><noscript><p class="guide">The reference needs JavaScript. The same reference is in the repository as docs/api-reference.md, and the document itself at <a href="/api/openapi.json">/api/openapi.json</a>.</p></noscript></main>',
    [names.redoc, names.reference],
  );
  return { pages: { reference: referencePage, guides }, assets };
}
