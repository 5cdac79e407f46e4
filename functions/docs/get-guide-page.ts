import * as z from 'zod';
import { GUIDE_PAGE_HEADERS, GUIDES, type GuideName } from '../../shared/docs/site.ts';
import { defineEndpoint, RawAnswer } from '../../shared/http/endpoint.ts';
import { ROUTES } from '../../shared/routes.ts';
import { docsLambdaHandler } from '../../shared/runtime/aws-docs.ts';

const GuideParams = z.object({ page: z.enum(Object.keys(GUIDES) as [GuideName, ...GuideName[]]) });

/** A guide beside the reference (`/docs/errors` is where every error's `doc_url` points), rendered from Markdown at build time. */
export const endpoint = defineEndpoint({
  route: ROUTES.docsGuide,
  params: GuideParams,
  run: async ({ params, deps }) => {
    const pages = await deps.docsPages?.();
    if (!pages) throw new Error('this function was built without the docs pages');
    return new RawAnswer(200, GUIDE_PAGE_HEADERS, pages.guides[params.page]);
  },
});

export const handler = docsLambdaHandler(endpoint);
