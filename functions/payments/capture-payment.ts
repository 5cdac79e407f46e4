import { capturePayment } from '../../shared/commands/payments.ts';
import { paymentView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { CaptureBody, PaymentIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.capturePayment,
  body: CaptureBody,
  params: PaymentIdParams,
  run: ({ body, params, merchantId, deps, idempotency }) => capturePayment(deps, merchantId, params.id, body.amount, idempotency),
  present: paymentView,
});

export const handler = lambdaHandler(endpoint);
