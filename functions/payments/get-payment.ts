import { getPayment } from '../../shared/commands/payments.ts';
import { paymentView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { PaymentIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.getPayment,
  params: PaymentIdParams,
  run: async ({ params, merchantId, deps }) => paymentView(await getPayment(deps, merchantId, params.id)),
});

export const handler = lambdaHandler(endpoint);
