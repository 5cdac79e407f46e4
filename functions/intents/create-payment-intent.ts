import { createIntent, revealClientSecret } from '../../shared/commands/intents.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { presentIntent } from '../../shared/http/presenters.ts';
import { CreatePaymentIntentBody } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.createPaymentIntent,
  body: CreatePaymentIntentBody,
  successStatus: 201,
  revealStoredAnswer: revealClientSecret,
  run: ({ body, merchantId, deps, idempotency }) =>
    createIntent(deps, merchantId, {
      amount: body.amount,
      currency: body.currency,
      successUrl: body.success_url,
      cancelUrl: body.cancel_url ?? null,
      orderId: body.order_id ?? null,
      description: body.description ?? null,
      captureMethod: body.capture_method,
      customerEmail: body.customer_email ?? null,
      metadata: body.metadata ?? {},
    }, idempotency),
  present: ({ intent, clientSecret }, deps) => presentIntent(deps, intent, clientSecret),
});

export const handler = lambdaHandler(endpoint);
