import { defineEndpoint, RawAnswer } from '../../shared/http/endpoint.ts';
import { documentServedFrom, type OpenApiDocument } from '../../shared/http/openapi-document.ts';
import { ROUTES } from '../../shared/routes.ts';
import { serviceFreeLambdaHandler } from '../../shared/runtime/aws-service-free.ts';

/** The document holds no secret and changes only with a deploy: any cache may keep it a while. */
const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' };

/** Serialized once per document and public URL (both fixed for the life of a function instance). */
const serialized = new WeakMap<OpenApiDocument, { publicUrl: string; json: string }>();

/**
 * The OpenAPI document of every route, built from the zod schemas at build time
 * (lib/openapi/document.ts): the function carries it as data, with no endpoint module, zod or
 * zod-openapi in its bundle, and reads no table.
 */
export const endpoint = defineEndpoint({
  route: ROUTES.openApiDocument,
  run: async ({ deps }) => {
    const document = await deps.openApiDocument();
    // A bundle built without its document is a deploy mistake: a 500 that is logged, not a 404.
    if (!document) throw new Error('this function was built without its OpenAPI document');
    let cached = serialized.get(document);
    if (cached?.publicUrl !== deps.settings.publicUrl) {
      cached = { publicUrl: deps.settings.publicUrl, json: JSON.stringify(documentServedFrom(document, deps.settings.publicUrl)) };
      serialized.set(document, cached);
    }
    return new RawAnswer(200, HEADERS, cached.json);
  },
});

// It calls no AWS service: its bundle carries no SDK.
export const handler = serviceFreeLambdaHandler(endpoint);
