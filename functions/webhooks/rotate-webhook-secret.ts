import { rotateWebhookSecret } from '../../shared/commands/webhooks.ts';
import { webhookEndpointView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { WebhookEndpointIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.rotateWebhookSecret,
  params: WebhookEndpointIdParams,
  run: async ({ params, merchantId, deps }) => {
    const { endpoint: rotated, secret } = await rotateWebhookSecret(deps, merchantId, params.id);
    return webhookEndpointView(rotated, secret);
  },
});

export const handler = lambdaHandler(endpoint);
