/**
 * The client's generated sources are what the schemas say now: change a zod schema or a route and
 * this fails until `npm run client:generate` is run (and the client's typecheck then sees the change).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientSources } from '../../lib/openapi/client-sources.ts';
import { openApiDocumentFromSources } from '../../lib/openapi/document.ts';

const GENERATED = join(import.meta.dirname, '..', '..', 'client', 'src', 'generated');

describe('the typed client’s generated sources', () => {
  it('are exactly what the OpenAPI document of the zod schemas makes today (else: npm run client:generate)', async () => {
    const sources = await clientSources(await openApiDocumentFromSources());
    for (const [file, text] of Object.entries(sources)) {
      expect(readFileSync(join(GENERATED, file), 'utf8'), `client/src/generated/${file} is stale: run npm run client:generate`).toBe(text);
    }
  });
});
