import { listDeliveries } from '../../shared/commands/webhooks.ts';
import { deliveryView, listView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { ListDeliveriesQuery, listRequest } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.listWebhookDeliveries,
  query: ListDeliveriesQuery,
  run: async ({ query, merchantId, deps }) => {
    const page = await listDeliveries(deps, merchantId, {
      ...listRequest(query),
      eventId: query.event_id,
      endpointId: query.endpoint_id,
      status: query.status,
    });
    return listView(page, query, deliveryView);
  },
});

export const handler = lambdaHandler(endpoint);
