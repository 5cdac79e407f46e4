import { cancelIntent, clientSecretFor, CLIENT_SECRET_PLACEHOLDER, revealClientSecret } from '../../shared/commands/intents.ts';
import { intentView } from '../../shared/domain/views.ts';
import { AnswerWithSecret, defineEndpoint } from '../../shared/http/endpoint.ts';
import { PaymentIntentIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.cancelPaymentIntent,
  params: PaymentIntentIdParams,
  revealStoredAnswer: revealClientSecret,
  run: async ({ params, merchantId, deps }) => {
    const intent = await cancelIntent(deps, merchantId, params.id);
    const now = deps.clock.now();
    return new AnswerWithSecret(
      intentView(intent, now, await clientSecretFor(deps, intent), deps.settings.publicUrl),
      intentView(intent, now, CLIENT_SECRET_PLACEHOLDER, deps.settings.publicUrl),
    );
  },
});

export const handler = lambdaHandler(endpoint);
