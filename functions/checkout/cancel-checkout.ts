import { getPublicIntent } from '../../shared/commands/intents.ts';
import { defineEndpoint, RawAnswer } from '../../shared/http/endpoint.ts';
import { PaymentIntentIdParams, PublicIntentQuery } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

/**
 * The page's cancel link: the merchant's cancel_url never appears in the public API, so the
 * gateway checks the secret and redirects there itself. The intent stays open, as with Stripe.
 */
export const endpoint = defineEndpoint({
  route: ROUTES.checkoutCancel,
  params: PaymentIntentIdParams,
  query: PublicIntentQuery,
  run: async ({ params, clientSecret, deps }) => {
    const { intent } = await getPublicIntent(deps, params.id, clientSecret);
    return new RawAnswer(303, { location: intent.cancelUrl, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, '');
  },
});

export const handler = lambdaHandler(endpoint);
