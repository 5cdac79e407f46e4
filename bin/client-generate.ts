/**
 * `npm run client:generate`: writes the typed client's generated sources (client/src/generated/)
 * from the OpenAPI document of the route table, so the client follows the zod schemas. Run it
 * after a schema or route change; test/unit/client-generated.test.ts fails until it is run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientSources } from '../lib/openapi/client-sources.ts';
import { openApiDocumentFromSources } from '../lib/openapi/document.ts';

const folder = join(import.meta.dirname, '..', 'client', 'src', 'generated');
for (const [file, text] of Object.entries(await clientSources(await openApiDocumentFromSources()))) {
  writeFileSync(join(folder, file), text);
  console.error(`wrote client/src/generated/${file}`);
}
