import { App, Stack } from 'aws-cdk-lib';
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
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { ensureTable, LOCAL_REGION, localClient } from '../../lib/local/dynamodb-local.ts';
import { buildCheckoutAssets } from '../../lib/checkout-build.ts';
import { openApiDocumentFromSources } from '../../lib/openapi/document.ts';
import { httpEvent } from '../support/events.ts';
import { CHECKOUT_PAGE_HEADERS } from '../../shared/checkout/page.ts';
import type { CheckoutAssets } from '../../shared/checkout/assets.ts';
import { documentServedFrom, type OpenApiDocument } from '../../shared/http/openapi-document.ts';
import { ROUTES } from '../../shared/routes.ts';
import { ROUTE_DOCS } from '../../lib/openapi/route-docs.ts';
import { WORKERS } from '../../shared/workers.ts';
import { NOT_FOUND_ROUTE } from '../../functions/health/not-found.ts';
import {
  BUNDLE_SIZE_BUDGET_BYTES,
  deployedHandlerEntries,
  esbuildRuns,
  LAMBDA_BUNDLING,
  OPENAPI_DOCUMENT_HANDLER,
  SERVICE_FREE_BUNDLE_BUDGET_BYTES,
  SERVICE_FREE_HANDLERS,
} from '../../lib/aws/bundling.ts';
import { PaygateFunction } from '../../lib/aws/paygate-function.ts';
import { stageConfig } from '../../lib/aws/stage.ts';

const entries = deployedHandlerEntries();
const HANDLERS = Object.keys(entries);
const NODE_BUILTINS = new Set(builtinModules);
const stripSourceMapComment = (code: string) => code.replace(/\/\/# sourceMappingURL=\S+\s*$/, '');

let outdir: string;
const bundle = (handler: string) => join(outdir, `${handler}.mjs`);
let imported: Record<string, string>;
let metafile: Metafile;
let checkoutAssets: CheckoutAssets;
let openApiDocument: OpenApiDocument;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'paygate-bundles-'));
  // The page's assets and the OpenAPI document as bin/cdk.ts builds them, then the handlers with the settings the stack
  // gives NodejsFunction: one esbuild run per define (the checkout-asset and OpenAPI handlers have their own).
  checkoutAssets = await buildCheckoutAssets();
  openApiDocument = await openApiDocumentFromSources();
  const outputs: Metafile['outputs'] = {};
  for (const options of esbuildRuns(entries, outdir, { checkoutAssets, openApiDocument })) Object.assign(outputs, (await build(options)).metafile!.outputs);
  metafile = { inputs: {}, outputs };
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
  it('covers every route of the route table, the $default route and every worker', () => {
    expect(new Set([...Object.values(ROUTES), NOT_FOUND_ROUTE, ...Object.values(WORKERS)].map((r) => r.handler))).toEqual(new Set(HANDLERS));
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

  it.each(SERVICE_FREE_HANDLERS)('%s calls no AWS service: no SDK in its bundle, and under 64 KiB', (handler) => {
    const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith(`${handler}.mjs`))![1];
    expect(Object.keys(output.inputs).filter((input) => /node_modules\/@(aws-sdk|smithy)\//.test(input))).toEqual([]);
    expect(statSync(bundle(handler)).size).toBeLessThanOrEqual(SERVICE_FREE_BUNDLE_BUDGET_BYTES);
  });

  it(`${OPENAPI_DOCUMENT_HANDLER} calls no AWS service and carries the built document, not what builds it: no SDK, no full zod, no zod-openapi, no other endpoint, and the service-free budget plus the document`, () => {
    const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith(`${OPENAPI_DOCUMENT_HANDLER}.mjs`))![1];
    const inputs = Object.keys(output.inputs);
    // zod/mini reads the configuration, as in every function (shared/config.ts).
    expect(inputs.filter((input) => /node_modules\/(@aws-sdk\/|@smithy\/|zod-openapi\/|zod\/v4\/classic\/)/.test(input))).toEqual([]);
    expect(inputs.filter((input) => input.startsWith('functions/') || input.startsWith('lib/'))).toEqual([`functions/${OPENAPI_DOCUMENT_HANDLER}.ts`]);
    expect(statSync(bundle(OPENAPI_DOCUMENT_HANDLER)).size).toBeLessThanOrEqual(SERVICE_FREE_BUNDLE_BUDGET_BYTES + JSON.stringify(openApiDocument).length);
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

describe('the checkout page in its bundle', () => {
  // A run of the built script that esbuild prints back unchanged inside a string literal.
  const marker = () => [...checkoutAssets.script.matchAll(/[A-Za-z0-9_.(),=:;{}[\]+\-*/<>!?&|%#@^~ ]{24,}/g)].map((m) => m[0]).sort((a, b) => b.length - a.length)[0]!;

  it('is inlined (the esbuild define of __PAYGATE_CHECKOUT_ASSETS__) in the checkout-asset bundle, and in no other', () => {
    expect(marker().length).toBeGreaterThanOrEqual(24);
    // includes(), not toContain(): a failure would print the whole bundle.
    const carries = (handler: string) => readFileSync(bundle(handler), 'utf8').includes(marker());
    expect(carries(ROUTES.checkoutAsset.handler)).toBe(true);
    expect(HANDLERS.filter((h) => h !== ROUTES.checkoutAsset.handler && carries(h))).toEqual([]);
  });
});

describe('the OpenAPI document in its bundle', () => {
  it('is inlined (the esbuild define of __PAYGATE_OPENAPI_DOCUMENT__) in the OpenAPI handler\'s bundle, and in no other', () => {
    // A description only the document holds, as esbuild prints it back inside the object literal.
    const marker = JSON.stringify(ROUTE_DOCS.confirmPaymentIntent.description);
    const carries = (handler: string) => readFileSync(bundle(handler), 'utf8').includes(marker);
    expect(carries(OPENAPI_DOCUMENT_HANDLER)).toBe(true);
    expect(HANDLERS.filter((h) => h !== OPENAPI_DOCUMENT_HANDLER && carries(h))).toEqual([]);
  });
});

describe("the stack's NodejsFunction bundling", () => {
  it('produces the same code as the shared esbuild settings, define included (the checkout-asset function, bundled by cdk as in `cdk synth`)', () => {
    const app = new App();
    const stack = new Stack(app, 'bundling');
    const handler = ROUTES.checkoutAsset.handler;
    new PaygateFunction(stack, 'CheckoutAsset', {
      stage: stageConfig('test'),
      name: 'checkout-asset',
      handler,
      description: 'GET /checkout/assets/{file}',
      environment: {},
      logKey: new Key(stack, 'LogKey'),
      constants: { checkoutAssets, openApiDocument },
    });
    const fn = Template.fromStack(stack).toJSON()['Resources'] as Record<string, { Type: string; Properties: { Code?: { S3Key: string } } }>;
    const code = Object.values(fn).find((r) => r.Type === 'AWS::Lambda::Function')!.Properties.Code!;
    const cdkBundle = join(app.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs');
    const cdkCode = readFileSync(cdkBundle, 'utf8');
    expect(cdkCode).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(stripSourceMapComment(cdkCode)).toBe(stripSourceMapComment(readFileSync(bundle(handler), 'utf8')));
  }, 60_000);
});

describe('the bundles run as Lambda runs them', () => {
  // A fresh Node per stage, the stack's environment, the bundled SDK pointed at DynamoDB Local
  // (AWS_ENDPOINT_URL_DYNAMODB, as under sam local): the handlers are called as Lambda calls them.
  const INVOKE_ALL = `
    const calls = JSON.parse(process.argv[1]);
    const context = { awsRequestId: 'bundle-test', getRemainingTimeInMillis: () => 10000 };
    const parse = (text) => { try { return JSON.parse(text); } catch { return text; } };
    const answers = [];
    for (const call of calls) {
      const { handler } = await import(call.url);
      const event = JSON.parse(JSON.stringify(call.event).replaceAll('$API_KEY', answers.at(-1)?.body?.api_key ?? ''));
      const result = await handler(event, context);
      // HTTP answers with the body parsed when it is JSON; the workers' batch responses as they are.
      answers.push('statusCode' in result ? { statusCode: result.statusCode, headers: result.headers ?? {}, body: parse(result.body ?? '{}') } : result);
    }
    console.log(JSON.stringify(answers));`;

  interface Answer {
    statusCode?: number;
    headers?: Record<string, string>;
    body?: unknown;
    batchItemFailures?: { itemIdentifier: string }[];
  }

  async function newTable(): Promise<string> {
    const tableName = `bundles-${randomUUID()}`;
    const client = localClient(inject('dynamoEndpoint'), inject('dynamoCredentials'));
    await ensureTable(client, tableName);
    client.destroy();
    return tableName;
  }

  async function invoke(stage: 'test' | 'live', calls: { handler: string; event: unknown }[], tableName?: string): Promise<Answer[]> {
    const payload = calls.map((c) => ({ url: pathToFileURL(bundle(c.handler)).href, event: c.event }));
    const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', INVOKE_ALL, JSON.stringify(payload)], {
      encoding: 'utf8',
      env: {
        PATH: process.env['PATH'] ?? '',
        PAYGATE_TABLE_NAME: tableName ?? (await newTable()),
        PAYGATE_PUBLIC_URL: 'https://example.execute-api.eu-west-1.amazonaws.com',
        PAYGATE_STAGE: stage,
        AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: inject('dynamoCredentials').accessKeyId,
        AWS_SECRET_ACCESS_KEY: inject('dynamoCredentials').secretAccessKey,
      },
    });
    return JSON.parse(out.trim().split('\n').at(-1)!) as Answer[];
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
    expect(answers[0]).toMatchObject({ statusCode: 200, body: { status: 'ok' } });
    expect(answers[1]).toMatchObject({ statusCode: 201, body: { name: 'Acme', api_key: expect.stringMatching(/^sk_test_/) } });
    // The key is known (a 404 for the missing payment, not a 401): the bundled SDK read the table.
    expect(answers[2]).toMatchObject({ statusCode: 404, body: { error: { type: 'invalid_request_error' } } });
  }, 60_000);

  it('refuses the operator route without an IAM signature, and issues sk_live_ keys on the live stage', async () => {
    const answers = await invoke('live', [
      { handler: 'admin/create-merchant', event: createMerchant(false) },
      { handler: 'admin/create-merchant', event: createMerchant(true) },
    ]);
    expect([401, 403, 404]).toContain(answers[0]!.statusCode ?? 0);
    expect(answers[1]).toMatchObject({ statusCode: 201, body: { api_key: expect.stringMatching(/^sk_live_/) } });
  }, 60_000);

  it('answers the contract’s 404 for what no route matches ($default), whatever the method and body', async () => {
    const answers = await invoke('test', [
      { handler: NOT_FOUND_ROUTE.handler, event: httpEvent({ method: 'GET', path: '/nowhere', routePath: '$default' }) },
      { handler: NOT_FOUND_ROUTE.handler, event: httpEvent({ method: 'POST', path: '/api/v1/nowhere', routePath: '$default', body: { amount: 1 } }) },
    ]);
    for (const answer of answers) {
      expect(answer).toMatchObject({ statusCode: 404, headers: { 'content-type': expect.stringContaining('application/json') } });
      expect(answer.body).toMatchObject({ error: { type: 'invalid_request_error', code: 'route_not_found' } });
    }
    expect(answers[1]!.body).toMatchObject({ error: { message: 'No route for POST /api/v1/nowhere. The routes are listed in the API reference (/api/openapi.json).' } });
  }, 60_000);

  it('answers 405 with Allow from $default for a path whose route takes another method, and from the route API Gateway picked for a literal path', async () => {
    const [fromDefault, fromPaymentRoute] = await invoke('test', [
      { handler: NOT_FOUND_ROUTE.handler, event: httpEvent({ method: 'GET', path: '/api/v1/payments/pay_000000000000000000000000/capture', routePath: '$default' }) },
      // API Gateway hands GET /api/v1/payments/authorize to GET /api/v1/payments/{id}.
      {
        handler: ROUTES.getPayment.handler,
        event: httpEvent({ method: 'GET', path: '/api/v1/payments/authorize', routePath: ROUTES.getPayment.path, pathParameters: { id: 'authorize' } }),
      },
    ]);
    expect(fromDefault).toMatchObject({ statusCode: 405, headers: { allow: 'POST' }, body: { error: { code: 'method_not_allowed' } } });
    expect(fromPaymentRoute).toMatchObject({ statusCode: 405, headers: { allow: 'POST' }, body: { error: { code: 'method_not_allowed' } } });
  }, 60_000);

  it('serves the checkout page as HTML under its CSP, and the built script and style from the bundle', async () => {
    const intentId = 'pi_000000000000000000000000';
    const asset = (file: string) => ({
      handler: ROUTES.checkoutAsset.handler,
      event: httpEvent({ method: 'GET', path: `/checkout/assets/${file}`, routePath: ROUTES.checkoutAsset.path, pathParameters: { file } }),
    });
    const [page, script, style] = await invoke('test', [
      {
        handler: ROUTES.checkoutPage.handler,
        event: httpEvent({ method: 'GET', path: `/checkout/${intentId}`, routePath: ROUTES.checkoutPage.path, pathParameters: { id: intentId } }),
      },
      asset('checkout.js'),
      asset('checkout.css'),
    ]);
    expect(page).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8' } });
    expect(page!.headers!['content-security-policy']).toBe(CHECKOUT_PAGE_HEADERS['content-security-policy']);
    expect(page!.body).toContain('<script defer src="/checkout/assets/checkout.js"></script>');
    expect(page!.body).toContain(`data-intent-id="${intentId}"`);
    expect(script).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/javascript; charset=utf-8' } });
    expect(script!.body).toBe(checkoutAssets.script);
    expect(style).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/css; charset=utf-8' } });
    expect(style!.body).toBe(checkoutAssets.style);
  }, 60_000);

  it('serves the OpenAPI document from its bundle, public and cacheable, with the stage\'s public URL as its server', async () => {
    const [answer] = await invoke('test', [
      { handler: OPENAPI_DOCUMENT_HANDLER, event: httpEvent({ method: 'GET', path: ROUTES.openApiDocument.path, routePath: ROUTES.openApiDocument.path }) },
    ]);
    expect(answer).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' } });
    expect(answer!.body).toEqual(documentServedFrom(openApiDocument, 'https://example.execute-api.eu-west-1.amazonaws.com'));
  }, 60_000);

  it('runs the workers: the consumer completes its work in the table and reports the malformed message; the relay lets other records by', async () => {
    const tableName = await newTable();
    const doc = DynamoDBDocumentClient.from(localClient(inject('dynamoEndpoint'), inject('dynamoCredentials')));
    const work = { id: 'wrk_000000000000000000000001', kind: 'expire_authorization', ref: 'pay_000000000000000000000000', merchantId: 'mch_000000000000000000000000', runAt: new Date().toISOString() };
    const workKey = { pk: `WORK#${work.id}`, sk: 'WORK' };
    await doc.send(new PutCommand({ TableName: tableName, Item: { ...workKey, entity: 'work', ...work } }));
    const sqsEvent = { Records: [{ messageId: 'm1', body: JSON.stringify(work) }, { messageId: 'm2', body: 'not json' }] };
    // Not an inserted work item: the relay must not touch them (it has no queue or state machine here, so it would fail).
    const streamEvent = {
      Records: [
        { eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: marshall({ pk: 'PAYMENT#pay_x', entity: 'payment' }) } },
        { eventName: 'MODIFY', dynamodb: { SequenceNumber: '2', NewImage: marshall({ ...workKey, entity: 'work', ...work }) } },
      ],
    };

    const [consumer, relay] = await invoke(
      'test',
      [
        { handler: WORKERS.runWork.handler, event: sqsEvent },
        { handler: WORKERS.relayWork.handler, event: streamEvent },
      ],
      tableName,
    );

    expect(consumer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    // The expiry of an unknown payment is a no-op; the work item is then deleted from the table.
    expect((await doc.send(new GetCommand({ TableName: tableName, Key: workKey }))).Item).toBeUndefined();
    expect(relay).toEqual({ batchItemFailures: [] });
    doc.destroy();
  }, 60_000);
});
