import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { openApiDocumentFromSources, loadRouteEndpoints, type BuiltDocument } from '../../lib/openapi/document.ts';
import type { AnyEndpoint } from '../../shared/http/endpoint.ts';
import { ROUTES, type RouteName, type RouteSpec } from '../../shared/routes.ts';

const PROJECT_ROOT = join(import.meta.dirname, '..', '..');
const ROUTE_ENTRIES = Object.entries(ROUTES) as Array<[RouteName, RouteSpec]>;

interface Operation {
  operationId: string;
  parameters?: Array<{ name: string; in: string; description?: string; example?: unknown }>;
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, unknown>;
}

let document: BuiltDocument;
let endpoints: Map<RouteName, AnyEndpoint>;
const operationOf = (route: RouteSpec) => (document.paths![route.path] as Record<string, Operation>)[route.method.toLowerCase()]!;

beforeAll(async () => {
  endpoints = await loadRouteEndpoints();
  document = await openApiDocumentFromSources();
}, 60_000);

/** `redocly lint` of one file, as the CLI in node_modules/.bin runs it, with this repository's rules: its problems, one line each. */
async function lint(file: string, home: string): Promise<{ exitCode: number; problems: string[]; stderr: string }> {
  const run = await promisify(execFile)(
    process.execPath,
    [join(PROJECT_ROOT, 'node_modules', '.bin', 'redocly'), 'lint', '--config', join(PROJECT_ROOT, 'redocly.yaml'), '--format', 'json', '--max-problems', '1000', file],
    {
      cwd: PROJECT_ROOT,
      // Offline: no telemetry, no update check against the registry, no announcement written to a home folder.
      env: { PATH: process.env['PATH'] ?? '', HOME: home, TMPDIR: home, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    },
  ).then(
    (done) => ({ ...done, exitCode: 0 }),
    (failed: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', exitCode: failed.code ?? -1 }),
  );
  const report = JSON.parse(run.stdout) as { problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }> };
  return { exitCode: run.exitCode, problems: report.problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`), stderr: run.stderr };
}

describe('the OpenAPI document', () => {
  it('describes exactly the routes of the route table: the same paths, with the same methods, and nothing else', () => {
    const documented = Object.entries(document.paths!).flatMap(([path, item]) =>
      Object.keys(item as object)
        .filter((key) => ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTE_ENTRIES.map(([, route]) => `${route.method} ${route.path}`).sort());
    expect(ROUTE_ENTRIES.map(([, route]) => operationOf(route).operationId)).toEqual(ROUTE_ENTRIES.map(([name]) => name));
  });

  it('describes itself, at /api/openapi.json', () => {
    expect(operationOf(ROUTES.openApiDocument).responses['200']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/OpenApiDocument' } } } });
  });

  it.each(ROUTE_ENTRIES)("%s answers its endpoint's success status, and 500 and 503 like every route", (name, route) => {
    const statuses = Object.keys(operationOf(route).responses).map(Number);
    const success = statuses.filter((status) => status < 400);
    // The one redirect (the checkout page's cancel link, a 303) is its success.
    expect(success).toEqual([name === 'checkoutCancel' ? 303 : (endpoints.get(name)!.successStatus ?? 200)]);
    expect(statuses).toEqual(expect.arrayContaining([500, 503]));
  });

  it.each(ROUTE_ENTRIES.filter(([name]) => !(['health', 'openApiDocument', 'docsReference'] as string[]).includes(name)))('%s lists the client errors of its input, its authentication and its limits', (name, route) => {
    const statuses = Object.keys(operationOf(route).responses).map(Number);
    expect(statuses.some((status) => status >= 400 && status < 500)).toBe(true);
    if (route.auth !== 'none') expect(statuses).toContain(401);
    if (route.rateLimit !== null) expect(statuses).toContain(429);
    if (endpoints.get(name)!.params) expect(statuses).toContain(404);
  });

  it.each(ROUTE_ENTRIES)('%s gives every parameter and request body an example', (_name, route) => {
    const operation = operationOf(route);
    for (const parameter of operation.parameters ?? []) expect(parameter.example, `${parameter.in} parameter ${parameter.name}`).toBeDefined();
    if (operation.requestBody) expect(operation.requestBody.content['application/json']!.example).toBeDefined();
  });

  it('has the relative server when built without a public URL, and the gateway as its server when given one', async () => {
    expect(document.servers).toEqual([{ url: '/', description: 'The gateway that serves this document' }]);
    expect((await openApiDocumentFromSources({ publicUrl: 'https://pay.example.com' })).servers).toEqual([{ url: 'https://pay.example.com', description: 'This gateway' }]);
  });

  it(
    "passes redocly lint with the repository's rules (redocly.yaml), offline, and the same lint fails a document with a wrong example",
    async () => {
      // Written to the run's scratch folder (removed at the end of the run), linted as `npm run openapi` writes it.
      const dir = mkdtempSync(join(inject('scratchDir'), 'openapi-'));
      const good = join(dir, 'openapi.json');
      writeFileSync(good, JSON.stringify(document, null, 2));
      // The control: the lint must see this one's amount that is no integer, or it checks nothing.
      const broken = join(dir, 'broken.json');
      const copy = JSON.parse(JSON.stringify(document)) as { paths: Record<string, Record<string, { requestBody: { content: Record<string, { example: Record<string, unknown> }> } }>> };
      copy.paths[ROUTES.authorizePayment.path]!['post']!.requestBody.content['application/json']!.example['amount'] = '99.99';
      writeFileSync(broken, JSON.stringify(copy));

      const [clean, control] = await Promise.all([lint(good, dir), lint(broken, dir)]);
      expect(clean.problems, clean.stderr).toEqual([]);
      expect(clean.exitCode).toBe(0);
      expect(control.problems).toEqual([expect.stringMatching(/^error no-invalid-media-type-examples #\/paths\/~1api~1v1~1payments~1authorize\/post\/requestBody\/.*amount/)]);
      expect(control.exitCode).toBe(1);
    },
    60_000,
  );
});
