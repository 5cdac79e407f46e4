import { createWebhookEndpoint, revealWebhookSecret, webhookSecretPlaceholder } from '../../shared/commands/webhooks.ts';
import type { EventType } from '../../shared/domain/events.ts';
import { webhookEndpointView } from '../../shared/domain/views.ts';
import { AnswerWithSecret, defineEndpoint } from '../../shared/http/endpoint.ts';
import { CreateWebhookEndpointBody } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.createWebhookEndpoint,
  body: CreateWebhookEndpointBody,
  successStatus: 201,
  revealStoredAnswer: revealWebhookSecret,
  run: async ({ body, merchantId, deps }) => {
    const { endpoint: created, secret, version } = await createWebhookEndpoint(deps, merchantId, { url: body.url, events: body.events as EventType[] });
    return new AnswerWithSecret(webhookEndpointView(created, secret), webhookEndpointView(created, webhookSecretPlaceholder(version)));
  },
});

export const handler = lambdaHandler(endpoint);
