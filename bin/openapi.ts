/**
 * `npm run openapi`: the OpenAPI document of the route table, built from the sources as the stack
 * and the local gateway build it, printed as JSON, or written to a file:
 *
 *   npm run openapi -- --out openapi.json
 *   npm run openapi -- --server https://pay.example.com > openapi.json
 *
 * Its server is `--server` (or PAYGATE_PUBLIC_URL) when given, else relative (`/`): a gateway
 * serves it at /api/openapi.json with its own public URL.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openApiDocumentFromSources } from '../lib/openapi/document.ts';

const { values } = parseArgs({ options: { out: { type: 'string' }, server: { type: 'string' } } });
const publicUrl = values.server ?? (process.env['PAYGATE_PUBLIC_URL'] || undefined);
const json = `${JSON.stringify(await openApiDocumentFromSources(publicUrl === undefined ? {} : { publicUrl }), null, 2)}\n`;
if (values.out === undefined) process.stdout.write(json);
else {
  writeFileSync(values.out, json);
  console.error(`wrote ${values.out}`);
}
