import { getPublicIntent } from '../../shared/commands/intents.ts';
import { publicIntentView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { PaymentIntentIdParams, PublicIntentQuery } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.getPublicPaymentIntent,
  params: PaymentIntentIdParams,
  query: PublicIntentQuery,
  run: async ({ params, clientSecret, deps }) => {
    const { intent, merchantName } = await getPublicIntent(deps, params.id, clientSecret);
    return publicIntentView(intent, deps.clock.now(), merchantName);
  },
});

export const handler = lambdaHandler(endpoint);
