import { createPayment } from '../../shared/commands/payments.ts';
import { paymentView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { NewPaymentBody } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.authorizePayment,
  body: NewPaymentBody,
  successStatus: 201,
  run: async ({ body, merchantId, deps, idempotency }) =>
    paymentView(
      await createPayment(deps, merchantId, {
        amount: body.amount,
        currency: body.currency,
        card: body.card,
        customer: body.customer ?? null,
        description: body.description ?? null,
        metadata: body.metadata ?? {},
        capture: false,
      }, idempotency),
    ),
});

export const handler = lambdaHandler(endpoint);
