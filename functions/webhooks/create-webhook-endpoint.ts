import { createWebhookEndpoint } from '../../shared/commands/webhooks.ts';
import type { EventType } from '../../shared/domain/events.ts';
import { webhookEndpointView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { CreateWebhookEndpointBody } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.createWebhookEndpoint,
  body: CreateWebhookEndpointBody,
  successStatus: 201,
  run: async ({ body, merchantId, deps }) => {
    const { endpoint: created, secret } = await createWebhookEndpoint(deps, merchantId, { url: body.url, events: body.events as EventType[] });
    return webhookEndpointView(created, secret);
  },
});

export const handler = lambdaHandler(endpoint);
