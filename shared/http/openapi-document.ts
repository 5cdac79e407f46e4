/**
 * The OpenAPI document as the function of `GET /api/openapi.json` serves it. It is built from the
 * zod schemas at build time (lib/openapi/document.ts), never in a Lambda function: building it
 * there would bundle every endpoint module, zod and zod-openapi into that one function.
 */

/** The document as JSON: only what serving it touches is typed here. */
export interface OpenApiDocument {
  openapi: string;
  servers?: Array<{ url: string; description?: string }>;
}

/** Set at bundle time in AWS (esbuild `define`, lib/aws/bundling.ts); absent when the source runs directly (local gateway). */
declare const __PAYGATE_OPENAPI_DOCUMENT__: OpenApiDocument | undefined;

export function bundledOpenApiDocument(): OpenApiDocument | null {
  return typeof __PAYGATE_OPENAPI_DOCUMENT__ === 'undefined' ? null : __PAYGATE_OPENAPI_DOCUMENT__;
}

/** The document with this gateway as its server: the public URL is known only where it runs (a CloudFormation attribute in AWS). */
export function documentServedFrom(document: OpenApiDocument, publicUrl: string): OpenApiDocument {
  return { ...document, servers: [{ url: publicUrl, description: 'This gateway' }] };
}
