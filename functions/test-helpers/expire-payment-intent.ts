import { expireIntentNow, revealClientSecret } from '../../shared/commands/intents.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { presentIntent } from '../../shared/http/presenters.ts';
import { PaymentIntentIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.expirePaymentIntentNow,
  params: PaymentIntentIdParams,
  revealStoredAnswer: revealClientSecret,
  run: ({ params, merchantId, deps, idempotency }) => expireIntentNow(deps, merchantId, params.id, idempotency),
  present: (intent, deps) => presentIntent(deps, intent),
});

export const handler = lambdaHandler(endpoint);
