import { createHash } from 'node:crypto';
import { errors } from '../domain/errors.ts';
import { eventBody, type DueWork, type EventType, type PaygateEvent } from '../domain/events.ts';
import { base62FromBytes, ID_PREFIXES, ID_RANDOM_LENGTH } from '../domain/ids.ts';
import {
  afterAttempt,
  endpointWants,
  isLoopbackUrl,
  signingSecrets,
  type AttemptOutcome,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '../domain/webhooks.ts';
import type { Dependencies } from '../dependencies.ts';
import { redact } from '../logger.ts';
import { RecordChangedError, type DeliveryQuery, type EventQuery, type IdempotentAnswer, type Page } from '../ports.ts';
import { formatWebhookSecret, signWebhook } from '../webhooks/signing.ts';
import { positioned, type ListRequest } from './lists.ts';
import { isTestMode } from './test-mode.ts';
import { dueWork } from './outbox.ts';

/** As Stripe: a bounded number of endpoints per merchant. */
export const MAX_ENDPOINTS_PER_MERCHANT = 16;
/** A receiver has this long to answer 2xx. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** A rotated-out secret keeps signing beside the new one for this long. */
const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

/**
 * An endpoint's signing secret of one version: `whsec_` + base64 of a 32-byte MAC of the endpoint
 * id and version under a per-merchant key of the vault (KMS GenerateMac in AWS). Nothing secret is
 * stored, a replay can derive it again, and no function ever needs to decrypt to sign.
 */
export async function webhookSecretFor(deps: Dependencies, endpoint: { merchantId: string; id: string }, version: number): Promise<string> {
  return formatWebhookSecret(await deps.vault.mac('webhook-secret', endpoint.merchantId, `${endpoint.id}:v${version}`));
}

/** Stands for a webhook secret in stored answers; the version says which one to derive again. */
export const webhookSecretPlaceholder = (version: number) => `__PAYGATE_WEBHOOK_SECRET_V${version}__`;

/** Puts the secret back into a remembered answer about an endpoint. */
export async function revealWebhookSecret(deps: Dependencies, merchantId: string, storedBody: string): Promise<string> {
  const match = /__PAYGATE_WEBHOOK_SECRET_V(\d+)__/.exec(storedBody);
  if (!match) return storedBody;
  const { id } = JSON.parse(storedBody) as { id: string };
  return storedBody.replace(match[0], await webhookSecretFor(deps, { merchantId, id }, Number(match[1])));
}

export async function createWebhookEndpoint(
  deps: Dependencies,
  merchantId: string,
  input: { url: string; events: EventType[] },
  idempotency?: IdempotentAnswer,
): Promise<{ endpoint: WebhookEndpoint; secret: string; version: number }> {
  if (!deps.settings.allowLoopbackUrls && isLoopbackUrl(input.url)) throw errors.invalidUrl('url');
  const now = deps.clock.now().toISOString();
  const id = deps.ids.next('webhookEndpoint');
  const endpoint: WebhookEndpoint = {
    id,
    merchantId,
    url: input.url,
    events: [...new Set(input.events)],
    secrets: [{ version: 1, expiresAt: null, createdAt: now }],
    createdAt: now,
  };
  const created = { endpoint, secret: await webhookSecretFor(deps, endpoint, 1), version: 1 };
  if (!(await deps.store.createWebhookEndpoint(endpoint, MAX_ENDPOINTS_PER_MERCHANT, idempotency && (await idempotency.partFor(created))))) {
    throw errors.validation(`A merchant may have at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints.`);
  }
  return created;
}

export async function getWebhookEndpoint(deps: Dependencies, merchantId: string, endpointId: string): Promise<WebhookEndpoint> {
  const endpoint = await deps.store.getWebhookEndpoint(merchantId, endpointId);
  if (!endpoint) throw errors.notFound('webhook endpoint');
  return endpoint;
}

export async function deleteWebhookEndpoint(deps: Dependencies, merchantId: string, endpointId: string): Promise<void> {
  if (!(await deps.store.deleteWebhookEndpoint(merchantId, endpointId))) throw errors.notFound('webhook endpoint');
}

/** A new secret, shown once; the one it replaces keeps signing for 24 hours; older ones are dropped. */
export async function rotateWebhookSecret(
  deps: Dependencies,
  merchantId: string,
  endpointId: string,
  idempotency?: IdempotentAnswer,
): Promise<{ endpoint: WebhookEndpoint; secret: string; version: number }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const endpoint = await getWebhookEndpoint(deps, merchantId, endpointId);
    const now = deps.clock.now();
    const overlapUntil = new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString();
    // The current secret keeps signing beside the new one for the overlap; any older one stops now.
    const kept = signingSecrets(endpoint, now).filter((s) => s.expiresAt === null).map((s) => ({ ...s, expiresAt: overlapUntil }));
    const version = Math.max(0, ...endpoint.secrets.map((s) => s.version)) + 1;
    const next = { ...endpoint, secrets: [...kept, { version, expiresAt: null, createdAt: now.toISOString() }] };
    const rotated = { endpoint: next, secret: await webhookSecretFor(deps, next, version), version };
    try {
      await deps.store.replaceWebhookSecrets(next, endpoint.secrets.length, idempotency && (await idempotency.partFor(rotated)));
      return rotated;
    } catch (error) {
      if (!(error instanceof RecordChangedError)) throw error;
    }
  }
  throw errors.busy('The endpoint is being rotated by another request; retry.');
}

export async function getEvent(deps: Dependencies, merchantId: string, eventId: string): Promise<PaygateEvent> {
  const event = await deps.store.getEvent(merchantId, eventId);
  if (!event) throw errors.notFound('event');
  return event;
}

export async function listEvents(deps: Dependencies, merchantId: string, request: ListRequest<EventQuery>): Promise<Page<PaygateEvent>> {
  return deps.store.listEvents(merchantId, await positioned(request, (id) => deps.store.getEvent(merchantId, id), 'event'));
}

/** A page of the merchant's deliveries; a cursor names one of its deliveries, which says where the page starts. */
export async function listDeliveries(deps: Dependencies, merchantId: string, request: ListRequest<DeliveryQuery>): Promise<Page<WebhookDelivery>> {
  return deps.store.listDeliveries(merchantId, await positioned(request, (id) => deps.store.getDelivery(merchantId, id), 'webhook delivery'));
}

/** A new attempt now for a delivery that failed or expired; one attempt, no further schedule. */
export async function retryDelivery(deps: Dependencies, merchantId: string, deliveryId: string, idempotency?: IdempotentAnswer): Promise<WebhookDelivery> {
  const delivery = await deps.store.getDelivery(merchantId, deliveryId);
  if (!delivery) throw errors.notFound('webhook delivery');
  // A pending delivery's next attempt may be brought forward in test mode only (API.md, "Test helpers"): its schedule goes on from there.
  const bringForward = delivery.status === 'pending' && isTestMode(deps);
  if (delivery.status !== 'failed' && delivery.status !== 'expired' && !bringForward) {
    throw errors.invalidState(`A ${delivery.status} delivery cannot be retried; only failed or expired ones can${delivery.status === 'pending' ? ' (and, with a test key, pending ones)' : ''}.`);
  }
  const now = deps.clock.now();
  const next: WebhookDelivery = bringForward
    ? { ...delivery, nextAttemptAt: now.toISOString(), version: delivery.version + 1 }
    : { ...delivery, status: 'pending', manual: true, nextAttemptAt: now.toISOString(), version: delivery.version + 1 };
  try {
    await deps.store.saveDelivery(next, dueWork(deps, 'deliver_webhook', delivery.id, merchantId, now), idempotency && (await idempotency.partFor(next)));
  } catch (error) {
    if (error instanceof RecordChangedError) throw errors.busy('The delivery changed meanwhile; read it again.');
    throw error;
  }
  return next;
}

/** One delivery per event and endpoint, whoever dispatches and however often: its id is derived from both. */
export function deliveryId(eventId: string, endpointId: string): string {
  const digest = createHash('sha512').update(`${eventId}:${endpointId}`).digest();
  return `${ID_PREFIXES.webhookDelivery}${base62FromBytes(digest, ID_RANDOM_LENGTH)}`;
}

/** Fans an event out: a delivery (and its first attempt, due now) for every endpoint that wants it. */
export async function dispatchEvent(deps: Dependencies, work: DueWork): Promise<void> {
  const event = await deps.store.getEvent(work.merchantId, work.ref);
  if (!event) return;
  const now = deps.clock.now();
  const deadline = new Date(Date.parse(event.createdAt) + deps.settings.webhookEventTtlSeconds * 1000).toISOString();
  const endpoints = (await deps.store.listWebhookEndpoints(work.merchantId)).filter((e) => endpointWants(e, event.type));
  for (const endpoint of endpoints) {
    const id = deliveryId(event.id, endpoint.id);
    const delivery: WebhookDelivery = {
      id,
      merchantId: event.merchantId,
      eventId: event.id,
      eventType: event.type,
      endpointId: endpoint.id,
      url: endpoint.url,
      status: 'pending',
      attempts: 0,
      lastStatusCode: null,
      lastError: null,
      lastAttemptAt: null,
      nextAttemptAt: now.toISOString(),
      deadline,
      manual: false,
      createdAt: now.toISOString(),
      version: 1,
    };
    await deps.store.createDelivery(delivery, dueWork(deps, 'deliver_webhook', id, event.merchantId, now));
  }
}

/** One attempt of one delivery: sign, POST, record what happened and schedule what comes next. */
export async function deliverWebhook(deps: Dependencies, work: DueWork): Promise<void> {
  const delivery = await deps.store.getDelivery(work.merchantId, work.ref);
  if (!delivery || delivery.status !== 'pending') return;
  const now = deps.clock.now();
  // Work for an attempt the delivery no longer has (one brought forward has its own, due earlier): the due one is scheduled.
  if (delivery.nextAttemptAt !== null && Date.parse(delivery.nextAttemptAt) > Date.parse(work.runAt)) return;
  const [event, endpoint] = await Promise.all([
    deps.store.getEvent(delivery.merchantId, delivery.eventId),
    deps.store.getWebhookEndpoint(delivery.merchantId, delivery.endpointId),
  ]);

  let outcome: AttemptOutcome;
  if (!delivery.manual && now.getTime() > Date.parse(delivery.deadline)) {
    return save(deps, { ...delivery, status: 'expired', nextAttemptAt: null, version: delivery.version + 1 }, null);
  } else if (endpoint && !deps.settings.allowLoopbackUrls && isLoopbackUrl(endpoint.url)) {
    outcome = { ok: false, statusCode: null, error: 'loopback URLs are not delivered to' };
    return save(deps, afterAttempt(delivery, outcome, now, [], { manual: true }), null);
  } else if (!event || !endpoint) {
    outcome = { ok: false, statusCode: null, error: !event ? 'the event is no longer kept' : 'the endpoint was deleted' };
    return save(deps, afterAttempt(delivery, outcome, now, [], { manual: true }), null);
  } else {
    outcome = await attempt(deps, event, endpoint, now);
  }
  const next = afterAttempt(delivery, outcome, now, deps.settings.webhookRetryDelaysSeconds, { manual: delivery.manual });
  const retry = next.status === 'pending' && next.nextAttemptAt
    ? dueWork(deps, 'deliver_webhook', delivery.id, delivery.merchantId, new Date(next.nextAttemptAt))
    : null;
  await save(deps, next, retry);
}

async function save(deps: Dependencies, next: WebhookDelivery, work: DueWork | null): Promise<void> {
  try {
    await deps.store.saveDelivery(next, work);
  } catch (error) {
    // Another worker recorded this attempt first (at-least-once delivery): its record stands.
    if (!(error instanceof RecordChangedError)) throw error;
  }
}

async function attempt(deps: Dependencies, event: PaygateEvent, endpoint: WebhookEndpoint, now: Date): Promise<AttemptOutcome> {
  const body = eventBody(event);
  const secrets = await Promise.all(signingSecrets(endpoint, now).map((s) => webhookSecretFor(deps, endpoint, s.version)));
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Paygate-Webhooks/1',
    ...signWebhook(event.id, now, body, secrets),
  };
  try {
    const answer = await deps.webhookTransport.post({ url: endpoint.url, headers, body, timeoutMs: DELIVERY_TIMEOUT_MS });
    if (answer.statusCode >= 200 && answer.statusCode < 300) return { ok: true, statusCode: answer.statusCode };
    return { ok: false, statusCode: answer.statusCode, error: answer.bodyExcerpt || `HTTP ${answer.statusCode}` };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : 'network error';
    return { ok: false, statusCode: null, error: redact(message).slice(0, 200) };
  }
}
