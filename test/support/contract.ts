/**
 * The contract test of the suites that speak HTTP to a gateway: every answer the merchant's
 * client (./gateway.ts) gets is checked, as it arrives, against the OpenAPI document built from
 * the sources (what the gateway serves at /api/openapi.json). The status must be one the
 * operation lists, the media type one listed for that status, and a JSON body must validate
 * against the schema listed for it (ajv, JSON Schema 2020-12, the dialect of OpenAPI 3.1). So an
 * answer the document does not describe fails the test that got it. Requests that match no
 * operation (unknown routes, CORS preflights) are not the document's business.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { openApiDocumentFromSources, type BuiltDocument } from '../../lib/openapi/document.ts';
import { resolveRoute } from '../../shared/http/route-resolution.ts';
import { ROUTES, type RouteSpec } from '../../shared/routes.ts';

interface DocumentedResponse {
  content?: Record<string, unknown>;
}

interface Contract {
  document: BuiltDocument;
  ajv: Ajv2020;
  validators: Map<string, ValidateFunction>;
}

const DOCUMENT_ID = 'paygate-openapi.json';

const ROUTE_LIST = Object.values(ROUTES) as RouteSpec[];

let contract: Promise<Contract> | undefined;

function loadContract(): Promise<Contract> {
  return (contract ??= openApiDocumentFromSources().then((document) => {
    // Formats are not checked: zod writes a `pattern` beside every format it emits, and ajv checks that.
    const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: false });
    // `example`: the one schema keyword of OpenAPI 3.1 that JSON Schema 2020-12 lacks and zod-openapi writes; the
    // others are the document's own fields around its schemas (ajv compiles the document's root once, as a schema).
    ajv.addVocabulary(['example', 'openapi', 'info', 'servers', 'tags', 'paths', 'components']);
    ajv.addSchema(document as object, DOCUMENT_ID);
    return { document, ajv, validators: new Map() };
  }));
}

const pointer = (...segments: string[]) => segments.map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** Fails (throws) when an answer is not one the document describes for its operation. */
export async function expectDocumentedAnswer(method: string, url: string, status: number, headers: Headers, text: string): Promise<void> {
  const path = new URL(url).pathname;
  // The operation the gateway itself resolves the request to (a literal segment beats a parameter: GET /payments/authorize is no getPayment).
  const resolution = resolveRoute(ROUTE_LIST, method.toUpperCase(), path);
  if (resolution.kind !== 'route') return;
  const match = { route: resolution.route };
  const { document, ajv, validators } = await loadContract();
  const operationKey = method.toLowerCase();
  const operation = (document.paths?.[match.route.path] as Record<string, { operationId: string; responses: Record<string, DocumentedResponse> }> | undefined)?.[operationKey];
  const what = `${method.toUpperCase()} ${match.route.path} (${path})`;
  if (!operation) throw new Error(`the document has no operation for ${what}`);
  const response = operation.responses[String(status)];
  if (!response) {
    throw new Error(`${what} answered ${status}, which the document does not list for ${operation.operationId} (it lists ${Object.keys(operation.responses).join(', ')}): ${text.slice(0, 300)}`);
  }
  const mediaType = (headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (!response.content) {
    if (text !== '') throw new Error(`${what} answered ${status} with a body, where the document lists none`);
    return;
  }
  if (!(mediaType in response.content)) {
    throw new Error(`${what} answered ${status} as ${mediaType || 'no content type'}, where the document lists ${Object.keys(response.content).join(', ')}`);
  }
  if (mediaType !== 'application/json') return;
  const ref = `${DOCUMENT_ID}#/${pointer('paths', match.route.path, operationKey, 'responses', String(status), 'content', mediaType, 'schema')}`;
  let validate = validators.get(ref);
  if (!validate) validators.set(ref, (validate = ajv.compile({ $ref: ref })));
  const body: unknown = JSON.parse(text);
  if (!validate(body)) {
    throw new Error(`${what} answered ${status} with a body its schema refuses: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`);
  }
}
