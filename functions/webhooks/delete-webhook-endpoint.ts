import { deleteWebhookEndpoint } from '../../shared/commands/webhooks.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { WebhookEndpointIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.deleteWebhookEndpoint,
  params: WebhookEndpointIdParams,
  run: async ({ params, merchantId, deps }) => {
    await deleteWebhookEndpoint(deps, merchantId, params.id);
    return { id: params.id, object: 'webhook_endpoint', deleted: true };
  },
});

export const handler = lambdaHandler(endpoint);
