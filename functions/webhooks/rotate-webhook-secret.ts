import { revealWebhookSecret, rotateWebhookSecret, webhookSecretPlaceholder } from '../../shared/commands/webhooks.ts';
import { webhookEndpointView } from '../../shared/domain/views.ts';
import { AnswerWithSecret, defineEndpoint } from '../../shared/http/endpoint.ts';
import { WebhookEndpointIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.rotateWebhookSecret,
  params: WebhookEndpointIdParams,
  revealStoredAnswer: revealWebhookSecret,
  run: async ({ params, merchantId, deps }) => {
    const { endpoint: rotated, secret, version } = await rotateWebhookSecret(deps, merchantId, params.id);
    return new AnswerWithSecret(webhookEndpointView(rotated, secret), webhookEndpointView(rotated, webhookSecretPlaceholder(version)));
  },
});

export const handler = lambdaHandler(endpoint);
