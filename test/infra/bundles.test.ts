import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTable, localClient } from '../../lib/local/dynamodb-local.ts';
import { httpEvent } from '../support/events.ts';
import { ROUTES } from '../../shared/routes.ts';
import { BUNDLE_SIZE_BUDGET_BYTES, esbuildOptions, LAMBDA_BUNDLING, routeHandlerEntries } from '../../lib/aws/bundling.ts';
import { PaygateStack } from '../../lib/aws/paygate-stack.ts';
import { stageConfig } from '../../lib/aws/stage.ts';

const entries = routeHandlerEntries();
const HANDLERS = Object.keys(entries);
const NODE_BUILTINS = new Set(builtinModules);
const stripSourceMapComment = (code: string) => code.replace(/\/\/# sourceMappingURL=\S+\s*$/, '');

let outdir: string;
const bundle = (handler: string) => join(outdir, `${handler}.mjs`);
let imported: Record<string, string>;
let metafile: Metafile;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'paygate-bundles-'));
  // One esbuild run for every handler, with the settings the stack gives NodejsFunction.
  metafile = (await build(esbuildOptions(entries, outdir))).metafile!;
  // Each bundle imported by plain Node (no vitest, no TypeScript): what Lambda's runtime does.
  const script = `
    const result = {};
    for (const [name, url] of Object.entries(JSON.parse(process.argv[1]))) {
      try { const m = await import(url); result[name] = typeof m.handler; } catch (e) { result[name] = 'error: ' + e.message; }
    }
    console.log(JSON.stringify(result));`;
  const urls = Object.fromEntries(HANDLERS.map((h) => [h, pathToFileURL(bundle(h)).href]));
  imported = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(urls)], { encoding: 'utf8', cwd: outdir })) as Record<string, string>;
}, 120_000);

afterAll(() => {
  // The record of this run: each bundle's size against the budget (npm run bench adds load times).
  if (outdir) {
    const rows = HANDLERS.map((h) => `  ${h.padEnd(36)} ${(statSync(bundle(h)).size / 1024).toFixed(1).padStart(8)} KiB`);
    console.log(`handler bundles (budget ${BUNDLE_SIZE_BUDGET_BYTES / 1024} KiB each):\n${rows.join('\n')}`);
    rmSync(outdir, { recursive: true, force: true });
  }
});

describe('every handler bundle', () => {
  it('covers every route of the route table', () => {
    expect(new Set(Object.values(ROUTES).map((r) => r.handler))).toEqual(new Set(HANDLERS));
  });

  it.each(HANDLERS)('%s builds into one ES module with the require banner and a linked source map', (handler) => {
    const code = readFileSync(bundle(handler), 'utf8');
    expect(code.startsWith(LAMBDA_BUNDLING.banner)).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
    expect(code).not.toMatch(/\bmodule\.exports\s*=/);
    expect(code).toMatch(/\/\/# sourceMappingURL=\S+\.mjs\.map\s*$/);
    expect(statSync(`${bundle(handler)}.map`).size).toBeGreaterThan(0);
  });

  it.each(HANDLERS)('%s stays under the size budget', (handler) => {
    expect(statSync(bundle(handler)).size).toBeLessThanOrEqual(BUNDLE_SIZE_BUDGET_BYTES);
  });

  it.each(HANDLERS)('%s imports in plain Node and exports its handler function', (handler) => {
    expect(imported[handler]).toBe('function');
  });

  it('carries the AWS SDK inside (the variant the bench measured faster): a bundle imports nothing but Node built-ins', () => {
    expect(LAMBDA_BUNDLING.bundleAwsSdk).toBe(true);
    const externals = Object.entries(metafile.outputs)
      .filter(([file]) => file.endsWith('.mjs'))
      .flatMap(([, output]) => output.imports.filter((i) => i.external).map((i) => i.path));
    expect(externals.length).toBeGreaterThan(0);
    expect(externals.filter((path) => !path.startsWith('node:') && !NODE_BUILTINS.has(path))).toEqual([]);
  });
});

describe("the stack's NodejsFunction bundling", () => {
  it('produces the same code as the shared esbuild settings (one function, bundled by cdk as in `cdk synth`)', () => {
    const app = new App();
    const stack = new PaygateStack(app, 'paygate-test', { stage: stageConfig('test'), routes: { health: ROUTES.health } });
    const fn = Template.fromStack(stack).toJSON()['Resources'] as Record<string, { Type: string; Properties: { Code?: { S3Key: string } } }>;
    const code = Object.values(fn).find((r) => r.Type === 'AWS::Lambda::Function')!.Properties.Code!;
    const cdkBundle = join(app.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs');
    const cdkCode = readFileSync(cdkBundle, 'utf8');
    expect(cdkCode).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(stripSourceMapComment(cdkCode)).toBe(stripSourceMapComment(readFileSync(bundle('health/get-health'), 'utf8')));
  }, 60_000);
});

describe('the bundles run as Lambda runs them', () => {
  // A fresh Node per stage, the stack's environment, the bundled SDK pointed at DynamoDB Local
  // (AWS_ENDPOINT_URL_DYNAMODB, as under sam local): the handlers are called as Lambda calls them.
  const INVOKE_ALL = `
    const calls = JSON.parse(process.argv[1]);
    const context = { awsRequestId: 'bundle-test', getRemainingTimeInMillis: () => 10000 };
    const answers = [];
    for (const call of calls) {
      const { handler } = await import(call.url);
      const event = JSON.parse(JSON.stringify(call.event).replaceAll('$API_KEY', answers.at(-1)?.body?.api_key ?? ''));
      const result = await handler(event, context);
      answers.push({ statusCode: result.statusCode, body: JSON.parse(result.body ?? '{}') });
    }
    console.log(JSON.stringify(answers));`;

  async function invoke(stage: 'test' | 'live', calls: { handler: string; event: unknown }[]): Promise<{ statusCode: number; body: Record<string, unknown> }[]> {
    const endpoint = inject('dynamoEndpoint');
    const tableName = `bundles-${randomUUID()}`;
    const client = localClient(endpoint);
    await ensureTable(client, tableName);
    client.destroy();
    const payload = calls.map((c) => ({ url: pathToFileURL(bundle(c.handler)).href, event: c.event }));
    const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', INVOKE_ALL, JSON.stringify(payload)], {
      encoding: 'utf8',
      env: {
        PATH: process.env['PATH'] ?? '',
        PAYGATE_TABLE_NAME: tableName,
        PAYGATE_PUBLIC_URL: 'https://example.execute-api.eu-west-1.amazonaws.com',
        PAYGATE_STAGE: stage,
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    });
    return JSON.parse(out.trim().split('\n').at(-1)!) as { statusCode: number; body: Record<string, unknown> }[];
  }

  const iamCaller = { iam: { accessKey: 'AKIA', accountId: '123456789012', callerId: 'AIDA', userArn: 'arn:aws:iam::123456789012:user/operator', userId: 'AIDA' } };
  const createMerchant = (signed: boolean) => {
    const event = httpEvent({ method: 'POST', path: '/api/admin/merchants', body: { name: 'Acme' } });
    return signed ? { ...event, requestContext: { ...event.requestContext, authorizer: iamCaller } } : event;
  };

  it('answers health, onboards a merchant through the IAM route, and knows its key on a payment route', async () => {
    const answers = await invoke('test', [
      { handler: 'health/get-health', event: httpEvent({ method: 'GET', path: '/health' }) },
      { handler: 'admin/create-merchant', event: createMerchant(true) },
      {
        handler: 'payments/get-payment',
        event: httpEvent({
          method: 'GET',
          path: '/api/v1/payments/pay_000000000000000000000000',
          routePath: '/api/v1/payments/{id}',
          pathParameters: { id: 'pay_000000000000000000000000' },
          headers: { authorization: 'Bearer $API_KEY' },
        }),
      },
    ]);
    expect(answers[0]).toEqual({ statusCode: 200, body: { status: 'ok' } });
    expect(answers[1]).toMatchObject({ statusCode: 201, body: { name: 'Acme', api_key: expect.stringMatching(/^sk_test_/) } });
    // The key is known (a 404 for the missing payment, not a 401): the bundled SDK read the table.
    expect(answers[2]).toMatchObject({ statusCode: 404, body: { error: { type: 'invalid_request_error' } } });
  }, 60_000);

  it('refuses the operator route without an IAM signature, and issues sk_live_ keys on the live stage', async () => {
    const answers = await invoke('live', [
      { handler: 'admin/create-merchant', event: createMerchant(false) },
      { handler: 'admin/create-merchant', event: createMerchant(true) },
    ]);
    expect([401, 403, 404]).toContain(answers[0]!.statusCode);
    expect(answers[1]).toMatchObject({ statusCode: 201, body: { api_key: expect.stringMatching(/^sk_live_/) } });
  }, 60_000);
});
