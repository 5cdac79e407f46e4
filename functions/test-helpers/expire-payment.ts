import { expireAuthorizationNow } from '../../shared/commands/payments.ts';
import { paymentView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { PaymentIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.expirePaymentNow,
  params: PaymentIdParams,
  run: ({ params, merchantId, deps, idempotency }) => expireAuthorizationNow(deps, merchantId, params.id, idempotency),
  present: paymentView,
});

export const handler = lambdaHandler(endpoint);
