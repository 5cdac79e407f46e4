import { listPayments } from '../../shared/commands/payments.ts';
import { listView, paymentView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { listRequest, ListPaymentsQuery } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.listPayments,
  query: ListPaymentsQuery,
  run: async ({ query, merchantId, deps }) => {
    const page = await listPayments(deps, merchantId, {
      ...listRequest(query),
      status: query.status,
      customerEmail: query.customer_email,
      paymentIntentId: query.payment_intent,
    });
    return listView(page, query, paymentView);
  },
});

export const handler = lambdaHandler(endpoint);
