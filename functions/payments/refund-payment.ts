import { refundPayment } from '../../shared/commands/payments.ts';
import { paymentView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { PaymentIdParams, RefundBody } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.refundPayment,
  body: RefundBody,
  params: PaymentIdParams,
  run: ({ body, params, merchantId, deps, idempotency }) => refundPayment(deps, merchantId, params.id, body.amount, body.reason ?? null, idempotency),
  present: paymentView,
});

export const handler = lambdaHandler(endpoint);
