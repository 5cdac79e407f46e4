import { createWebhookEndpoint, revealWebhookSecret } from '../../shared/commands/webhooks.ts';
import type { EventType } from '../../shared/domain/events.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { presentWebhookEndpoint } from '../../shared/http/presenters.ts';
import { CreateWebhookEndpointBody } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.createWebhookEndpoint,
  body: CreateWebhookEndpointBody,
  successStatus: 201,
  revealStoredAnswer: revealWebhookSecret,
  run: ({ body, merchantId, deps, idempotency }) => createWebhookEndpoint(deps, merchantId, { url: body.url, events: body.events as EventType[] }, idempotency),
  present: presentWebhookEndpoint,
});

export const handler = lambdaHandler(endpoint);
