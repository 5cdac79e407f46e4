import { clientSecretFor, getIntent } from '../../shared/commands/intents.ts';
import { intentView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { PaymentIntentIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.getPaymentIntent,
  params: PaymentIntentIdParams,
  run: async ({ params, merchantId, deps }) => {
    const intent = await getIntent(deps, merchantId, params.id);
    return intentView(intent, deps.clock.now(), await clientSecretFor(deps, intent), deps.settings.publicUrl);
  },
});

export const handler = lambdaHandler(endpoint);
