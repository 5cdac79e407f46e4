import { revealWebhookSecret, rotateWebhookSecret } from '../../shared/commands/webhooks.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { presentWebhookEndpoint } from '../../shared/http/presenters.ts';
import { WebhookEndpointIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.rotateWebhookSecret,
  params: WebhookEndpointIdParams,
  revealStoredAnswer: revealWebhookSecret,
  run: ({ params, merchantId, deps, idempotency }) => rotateWebhookSecret(deps, merchantId, params.id, idempotency),
  present: presentWebhookEndpoint,
});

export const handler = lambdaHandler(endpoint);
