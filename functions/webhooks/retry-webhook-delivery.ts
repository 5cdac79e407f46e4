import { retryDelivery } from '../../shared/commands/webhooks.ts';
import { deliveryView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { DeliveryIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.retryWebhookDelivery,
  params: DeliveryIdParams,
  run: ({ params, merchantId, deps, idempotency }) => retryDelivery(deps, merchantId, params.id, idempotency),
  present: deliveryView,
});

export const handler = lambdaHandler(endpoint);
