import { defineEndpoint, RawAnswer } from '../../shared/http/endpoint.ts';
import { PaymentIntentIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';
import { checkoutPageHtml, CHECKOUT_PAGE_HEADERS } from '../../shared/checkout/page.ts';

/**
 * The hosted checkout page: a static shell; its script reads the client secret from the URL
 * and talks to the public API. Nothing about the intent is rendered on the server, so the page
 * itself reveals nothing without the secret.
 */
export const endpoint = defineEndpoint({
  route: ROUTES.checkoutPage,
  params: PaymentIntentIdParams,
  run: async ({ params }) => new RawAnswer(200, CHECKOUT_PAGE_HEADERS, checkoutPageHtml(params.id)),
});

export const handler = lambdaHandler(endpoint);
