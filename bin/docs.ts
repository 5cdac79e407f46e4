/**
 * `npm run docs`: writes docs/api-reference.md, the API reference in Markdown, from the OpenAPI
 * document built from the sources (its server relative), for reading in the repository.
 * `npm run docs -- --check` only says whether the committed file is current (exit 1 if not).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocumentFromSources } from '../lib/openapi/document.ts';
import { apiReferenceMarkdown, type OpenApiJson } from '../lib/openapi/markdown.ts';

const target = fileURLToPath(new URL('../docs/api-reference.md', import.meta.url));
const markdown = apiReferenceMarkdown((await openApiDocumentFromSources()) as unknown as OpenApiJson);
if (process.argv.includes('--check')) {
  const current = readFileSync(target, 'utf8') === markdown;
  console.log(current ? 'docs/api-reference.md is current' : 'docs/api-reference.md is stale: run npm run docs');
  process.exitCode = current ? 0 : 1;
} else {
  writeFileSync(target, markdown);
  console.log(`wrote ${target}`);
}
