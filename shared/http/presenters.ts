/**
 * Answers that carry a secret, shared by the endpoints that show one: the live answer holds the
 * secret, the remembered one a placeholder that a replay fills again (no secret is ever stored).
 */
import { CLIENT_SECRET_PLACEHOLDER, clientSecretFor } from '../commands/intents.ts';
import { webhookSecretPlaceholder } from '../commands/webhooks.ts';
import type { Dependencies } from '../dependencies.ts';
import type { PaymentIntent } from '../domain/intents.ts';
import { intentView, webhookEndpointView } from '../domain/views.ts';
import type { WebhookEndpoint } from '../domain/webhooks.ts';
import { AnswerWithSecret } from './endpoint.ts';

/** A payment intent with its client secret (derived again when not given). */
export async function presentIntent(deps: Dependencies, intent: PaymentIntent, clientSecret?: string): Promise<AnswerWithSecret> {
  const now = deps.clock.now();
  return new AnswerWithSecret(
    intentView(intent, now, clientSecret ?? (await clientSecretFor(deps, intent)), deps.settings.publicUrl),
    intentView(intent, now, CLIENT_SECRET_PLACEHOLDER, deps.settings.publicUrl),
  );
}

/** A webhook endpoint with the signing secret just made (on creation or rotation). */
export function presentWebhookEndpoint(created: { endpoint: WebhookEndpoint; secret: string; version: number }): AnswerWithSecret {
  return new AnswerWithSecret(webhookEndpointView(created.endpoint, created.secret), webhookEndpointView(created.endpoint, webhookSecretPlaceholder(created.version)));
}
