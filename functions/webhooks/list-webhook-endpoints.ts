import { webhookEndpointView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.listWebhookEndpoints,
  run: async ({ merchantId, deps }) => {
    const endpoints = await deps.store.listWebhookEndpoints(merchantId);
    return { object: 'list', data: endpoints.map((e) => webhookEndpointView(e)), has_more: false };
  },
});

export const handler = lambdaHandler(endpoint);
