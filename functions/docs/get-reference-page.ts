import { REFERENCE_PAGE_HEADERS } from '../../shared/docs/site.ts';
import { defineEndpoint, RawAnswer } from '../../shared/http/endpoint.ts';
import { ROUTES } from '../../shared/routes.ts';
import { docsLambdaHandler } from '../../shared/runtime/aws-docs.ts';

/**
 * The API reference page: a static shell, built with the guides (lib/docs-build.ts), whose script
 * renders `/api/openapi.json` with Redoc in the browser. It reads no table.
 */
export const endpoint = defineEndpoint({
  route: ROUTES.docsReference,
  run: async ({ deps }) => {
    const pages = await deps.docsPages?.();
    // A bundle built without its pages is a deploy mistake: a 500 that is logged, not a 404.
    if (!pages) throw new Error('this function was built without the docs pages');
    return new RawAnswer(200, REFERENCE_PAGE_HEADERS, pages.reference);
  },
});

// It calls no AWS service: its bundle carries no SDK.
export const handler = docsLambdaHandler(endpoint);
