/**
 * The OpenAPI 3.1 document of every route of the route table, built from what the code itself
 * validates and answers: each endpoint's request schemas (shared/http/schemas.ts), its success
 * status, the route's authentication, rate limit and idempotency, the answers' schemas
 * (./answers.ts) and the error codes of the domain's error factory (./errors.ts). zod-openapi
 * renders the schemas: there is no hand-kept YAML to drift from the code. It runs at build time
 * (bin/cdk.ts, the local gateway on first use, `npm run openapi`), never in a Lambda function.
 */
import * as z from 'zod';
import {
  createDocument,
  type ZodOpenApiComponentsObject,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import type { AnyEndpoint } from '../../shared/http/endpoint.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../../shared/http/idempotency.ts';
import { MAX_BODY_BYTES } from '../../shared/http/middlewares.ts';
import { CODES_BY_PARAM } from '../../shared/http/validation-problems.ts';
import { ROUTES, type RouteName, type RouteSpec } from '../../shared/routes.ts';
import { ErrorAnswer } from './answers.ts';
import { ERROR_CODES } from './errors.ts';
import { ROUTE_DOCS, TAGS, type DocTag, type ParameterDoc, type RouteDoc } from './route-docs.ts';

/** What the API's version is called in the document (the paths' `v1`). */
export const API_VERSION = '1.0.0';

/** Where the document says the API is when it is not served by a gateway: relative to wherever it was read from. */
const RELATIVE_SERVER = { url: '/', description: 'The gateway that serves this document' };

/** `Idempotency-Key` is honoured on these: every POST under /api/v1/ (shared/http/middlewares.ts). */
const isIdempotent = (route: RouteSpec) => route.method === 'POST' && route.path.startsWith('/api/v1/');

/** The JSON Schema of a request body as a client writes it, to read which fields it has. */
function inputSchema(body: z.ZodType): { properties?: Record<string, unknown> } {
  return z.toJSONSchema(body, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
}

function hasField(schema: { properties?: Record<string, unknown> }, dottedPath: string): boolean {
  let node: unknown = schema;
  for (const name of dottedPath.split('.')) {
    const properties = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
    if (!properties || !(name in properties)) return false;
    node = properties[name];
  }
  return true;
}

/** The codes every route of a kind may answer (validation, authentication, limits, idempotency, the store), besides its endpoint's own. */
function routeErrorCodes(route: RouteSpec, endpoint: AnyEndpoint): string[] {
  const codes: string[] = [];
  if (route.method === 'POST') {
    // Any POST may be sent a body that is too large, not JSON, or has fields it does not take.
    codes.push('invalid_json', 'validation_error', 'payload_too_large', 'unsupported_media_type');
    // A field that fails its rule is answered with its own code (shared/http/validation-problems.ts).
    if (endpoint.body) {
      const body = inputSchema(endpoint.body as z.ZodType);
      codes.push(...Object.entries(CODES_BY_PARAM).filter(([param]) => hasField(body, param)).map(([, code]) => code));
    }
  }
  if (endpoint.query) codes.push('validation_error');
  if (route.auth === 'api_key') codes.push('missing_api_key', 'invalid_api_key', 'rate_limit_exceeded');
  // Operators are counted per client IP before their key is checked; the local gateway without PAYGATE_ADMIN_KEY has no such route.
  if (route.auth === 'admin') codes.push('invalid_api_key', 'rate_limit_exceeded', 'route_not_found');
  if (route.auth === 'client_secret') codes.push('invalid_client_secret');
  if (endpoint.params) codes.push('resource_not_found');
  if (isIdempotent(route)) codes.push('validation_error', 'idempotency_key_mismatch', 'idempotency_key_in_use');
  if (route.rateLimit !== null) codes.push('rate_limit_exceeded');
  codes.push('internal_error', 'service_unavailable');
  return codes;
}

const header = (name: string) => ({ $ref: `#/components/headers/${name}` });

const HEADERS: NonNullable<ZodOpenApiComponentsObject['headers']> = {
  'X-Request-Id': { description: "This request's id (`req_...`): also in an error's `request_id`.", schema: { type: 'string', pattern: '^req_[0-9A-Za-z]{20,64}$' } },
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
  'X-RateLimit-Limit': { description: "Requests allowed in the route's tightest window.", schema: { type: 'integer', minimum: 1 } },
  'X-RateLimit-Remaining': { description: 'Requests left in that window.', schema: { type: 'integer', minimum: 0 } },
  'X-RateLimit-Reset': { description: 'When that window ends, in epoch seconds.', schema: { type: 'integer' } },
  'Idempotent-Replayed': { description: '`true` when this is the remembered answer of an earlier request with the same `Idempotency-Key`.', schema: { type: 'string', enum: ['true'] } },
};

function errorResponses(codes: readonly string[]): ZodOpenApiResponsesObject {
  const byStatus = new Map<number, string[]>();
  for (const code of new Set(codes)) {
    const entry = ERROR_CODES.get(code);
    if (!entry) throw new Error(`the reference names an error code the error factory does not make: ${code}`);
    byStatus.set(entry.status, [...(byStatus.get(entry.status) ?? []), code]);
  }
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const types = [...new Set(statusCodes.map((code) => ERROR_CODES.get(code)!.type))];
    responses[String(status) as `4${string}`] = {
      description: statusCodes.map((code) => `\`${code}\``).join(', '),
      headers: { 'X-Request-Id': header('X-Request-Id'), ...(status === 429 || status === 503 ? { 'Retry-After': header('Retry-After') } : {}) },
      content: {
        'application/json': {
          // The one error shape, narrowed to this answer's codes (plain JSON Schema: one zod rendering of the shape is enough).
          schema: {
            allOf: [
              { $ref: '#/components/schemas/Error' },
              { type: 'object', properties: { error: { type: 'object', properties: { type: { type: 'string', enum: types }, code: { type: 'string', enum: statusCodes } } } } },
            ],
          },
          examples: Object.fromEntries(statusCodes.map((code) => [code, { $ref: `#/components/examples/${code}` }])),
        },
      },
    };
  }
  return responses;
}

const SECURITY_SCHEMES: NonNullable<ZodOpenApiComponentsObject['securitySchemes']> = {
  bearerApiKey: { type: 'http', scheme: 'bearer', description: 'Your secret key: `Authorization: Bearer sk_test_...`.' },
  headerApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'Your secret key in `X-API-Key`.' },
  basicApiKey: { type: 'http', scheme: 'basic', description: 'Your secret key as the user name and an empty password (`curl -u sk_test_...:`).' },
  clientSecretHeader: { type: 'apiKey', in: 'header', name: 'X-Client-Secret', description: "A payment intent's client secret (`pi_..._secret_...`)." },
  clientSecretQuery: { type: 'apiKey', in: 'query', name: 'client_secret', description: "A payment intent's client secret in the query." },
  operatorKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      "The operator's credentials. On the local gateway: `Authorization: Bearer <PAYGATE_ADMIN_KEY>`. In AWS: an IAM (SigV4) signature with `execute-api:Invoke`, which API Gateway checks (OpenAPI has no scheme for it).",
  },
};

function security(route: RouteSpec, bodyTakesClientSecret: boolean): NonNullable<ZodOpenApiOperationObject['security']> {
  switch (route.auth) {
    case 'api_key':
      return [{ bearerApiKey: [] }, { headerApiKey: [] }, { basicApiKey: [] }];
    // A client secret in the body (`client_secret`) is no security scheme: the empty requirement stands for it.
    case 'client_secret':
      return [{ clientSecretHeader: [] }, { clientSecretQuery: [] }, ...(bodyTakesClientSecret ? [{}] : [])];
    case 'admin':
      return [{ operatorKey: [] }];
    case 'none':
      return [];
  }
}

/** The endpoint's own parameter schema, each field carrying what the route's doc says of it; a field without a doc (or a doc without a field) is a build error. */
function documented(name: RouteName, where: 'path' | 'query', schema: z.ZodObject, docs: Readonly<Record<string, ParameterDoc>>, seen: Set<string>): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [field, fieldSchema] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const doc = docs[field];
    if (!doc) throw new Error(`route ${name}: the ${where} parameter ${field} has no description in lib/openapi/route-docs.ts`);
    seen.add(field);
    shape[field] = fieldSchema.meta({ param: { description: doc.description, example: doc.example } });
  }
  return z.object(shape);
}

function successResponse(route: RouteSpec, endpoint: AnyEndpoint, doc: RouteDoc): ZodOpenApiResponsesObject {
  const limited = route.rateLimit !== null;
  const headers = {
    'X-Request-Id': header('X-Request-Id'),
    ...(limited ? { 'X-RateLimit-Limit': header('X-RateLimit-Limit'), 'X-RateLimit-Remaining': header('X-RateLimit-Remaining'), 'X-RateLimit-Reset': header('X-RateLimit-Reset') } : {}),
    ...(isIdempotent(route) ? { 'Idempotent-Replayed': header('Idempotent-Replayed') } : {}),
  };
  const answer = doc.answer;
  if (answer instanceof z.ZodType) {
    const status = String(endpoint.successStatus ?? 200) as `2${string}`;
    return { [status]: { description: doc.summary, headers, content: { 'application/json': { schema: answer } } } };
  }
  const status = String(answer.status ?? endpoint.successStatus ?? 200) as `2${string}`;
  return {
    [status]: {
      description: answer.description,
      headers: { ...headers, ...Object.fromEntries(Object.entries(answer.headers ?? {}).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) },
      ...(answer.mediaTypes ? { content: Object.fromEntries(answer.mediaTypes.map((type) => [type, { schema: { type: 'string' } }])) } : {}),
    },
  };
}

function operation(name: RouteName, route: RouteSpec, endpoint: AnyEndpoint): ZodOpenApiOperationObject {
  const doc = ROUTE_DOCS[name];
  const parameterDocs = doc.parameters ?? {};
  const seen = new Set<string>();
  const path = endpoint.params ? documented(name, 'path', endpoint.params as z.ZodObject, parameterDocs, seen) : undefined;
  const query = endpoint.query ? documented(name, 'query', endpoint.query as z.ZodObject, parameterDocs, seen) : undefined;
  const unknown = Object.keys(parameterDocs).filter((field) => !seen.has(field));
  if (unknown.length) throw new Error(`route ${name}: lib/openapi/route-docs.ts describes parameters the endpoint does not take: ${unknown.join(', ')}`);

  const body = endpoint.body as z.ZodType | undefined;
  if (body && doc.requestExample === undefined) throw new Error(`route ${name}: its request body has no example in lib/openapi/route-docs.ts`);
  if (!body && doc.requestExample !== undefined) throw new Error(`route ${name}: an example request body, but the endpoint takes none`);
  // An example the endpoint would refuse teaches the wrong thing.
  if (body && !body.safeParse(doc.requestExample).success) throw new Error(`route ${name}: its example request body fails the endpoint's own schema`);

  return {
    operationId: name,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    security: security(route, body !== undefined && hasField(inputSchema(body), 'client_secret')),
    requestParams: {
      ...(path ? { path } : {}),
      ...(query ? { query } : {}),
      ...(isIdempotent(route)
        ? {
            header: z.object({
              'Idempotency-Key': z
                .string()
                .regex(IDEMPOTENCY_KEY_PATTERN)
                .optional()
                .meta({
                  param: {
                    description: 'Makes a retry safe: the same key with the same body answers the first answer again (for 24 hours), and runs nothing twice.',
                    example: 'order-12345-capture',
                  },
                }),
            }),
          }
        : {}),
    },
    ...(body
      ? {
          requestBody: {
            // Bodies whose every field is optional may be left out.
            required: !body.safeParse({}).success,
            description: `JSON, at most ${MAX_BODY_BYTES / 1024} KiB; unknown fields are refused.`,
            content: { 'application/json': { schema: body, example: doc.requestExample } },
          },
        }
      : {}),
    responses: { ...successResponse(route, endpoint, doc), ...errorResponses([...routeErrorCodes(route, endpoint), ...(doc.errors ?? [])]) },
  };
}

export interface DocumentOptions {
  /** The gateway's public URL, the document's server; without it, the server is relative (`/`). */
  publicUrl?: string;
}

export type BuiltDocument = ReturnType<typeof createDocument>;

/** The document. `endpoints` holds the endpoint of every route of the table (`loadRouteEndpoints`). */
export function buildOpenApiDocument(endpoints: ReadonlyMap<RouteName, AnyEndpoint>, options: DocumentOptions = {}): BuiltDocument {
  const paths: ZodOpenApiPathsObject = {};
  const tags = new Set<DocTag>();
  for (const [name, route] of Object.entries(ROUTES) as Array<[RouteName, RouteSpec]>) {
    const endpoint = endpoints.get(name);
    if (!endpoint) throw new Error(`no endpoint for route ${name}`);
    if (endpoint.route !== route) throw new Error(`the endpoint loaded for ${name} serves ${endpoint.route.method} ${endpoint.route.path}`);
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase() as 'get' | 'post' | 'delete'] = operation(name, route, endpoint);
    tags.add(ROUTE_DOCS[name].tag);
  }
  // The examples of the codes some operation answers: route_not_found and method_not_allowed answer none (no operation matched).
  const answered = new Set([...JSON.stringify(paths).matchAll(/#\/components\/examples\/(\w+)/g)].map((m) => m[1]!));
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Paygate API',
        version: API_VERSION,
        summary: 'Card payments: authorize, capture, void, refund, hosted checkout, signed webhooks.',
        description: [
          'Amounts are integers in minor units (`9999` is 99.99 USD); timestamps are ISO-8601 UTC; ids are prefixed random strings (`pay_...`).',
          'Every error has the shape `{"error": {"type", "code", "message", "doc_url", ...}}`; each operation lists the codes it may answer. A path no route has is answered 404 `route_not_found` (with the nearest route when one is close), a method a path does not take 405 `method_not_allowed` with an `Allow` header.',
          'Send an `Idempotency-Key` with any POST under `/api/v1/` to retry it safely.',
          'Test cards: `4242424242424242` is approved, `4000000000000002` declined (`do_not_honor`), `4000000000009995` declined (`insufficient_funds`), `4000000000000259` a fraud decline.',
        ].join('\n\n'),
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [options.publicUrl ? { url: options.publicUrl, description: 'This gateway' } : RELATIVE_SERVER],
      tags: (Object.keys(TAGS) as DocTag[]).filter((tag) => tags.has(tag)).map((tag) => ({ name: tag, description: TAGS[tag] })),
      paths,
      components: {
        schemas: { Error: ErrorAnswer },
        headers: HEADERS,
        examples: Object.fromEntries([...ERROR_CODES].filter(([code]) => answered.has(code)).map(([code, entry]) => [code, { summary: code, value: entry.example }])),
        securitySchemes: SECURITY_SCHEMES,
      },
    },
    { reused: 'inline' },
  );
}

/** Every endpoint of the route table, loaded from its module under functions/. */
export async function loadRouteEndpoints(): Promise<Map<RouteName, AnyEndpoint>> {
  const endpoints = new Map<RouteName, AnyEndpoint>();
  for (const [name, route] of Object.entries(ROUTES) as Array<[RouteName, RouteSpec]>) {
    // A URL, not a template literal: vitest's bundler would only resolve a template one folder deep.
    const entry = new URL(`../../functions/${route.handler}.ts`, import.meta.url).href;
    const module = (await import(/* @vite-ignore */ entry)) as { endpoint: AnyEndpoint };
    endpoints.set(name, module.endpoint);
  }
  return endpoints;
}

/** The document from the sources: what the stack bundles, the local gateway serves and `npm run openapi` prints. */
export async function openApiDocumentFromSources(options: DocumentOptions = {}): Promise<BuiltDocument> {
  return buildOpenApiDocument(await loadRouteEndpoints(), options);
}
