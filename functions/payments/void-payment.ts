import { voidPayment } from '../../shared/commands/payments.ts';
import { paymentView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { PaymentIdParams, VoidBody } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.voidPayment,
  body: VoidBody,
  params: PaymentIdParams,
  run: ({ body, params, merchantId, deps, idempotency }) => voidPayment(deps, merchantId, params.id, body.reason ?? null, idempotency),
  present: paymentView,
});

export const handler = lambdaHandler(endpoint);
