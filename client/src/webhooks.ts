/**
 * Webhook signatures (API.md, "Webhooks"), on the `standardwebhooks` library: `verify` checks the
 * raw body against `webhook-id`, `webhook-timestamp` (5 minutes of tolerance) and every signature
 * of `webhook-signature` (two while a secret rotates); `sign` makes the headers of a delivery, for
 * a merchant's own tests.
 */
import { randomUUID } from 'node:crypto';
import { Webhook, WebhookVerificationError as LibraryVerificationError } from 'standardwebhooks';
import type { Event } from './types.ts';

/** The signature, the timestamp or the headers do not check out: answer 400 and drop the body. */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

function header(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(' ') : value;
}

function asText(rawBody: string | Uint8Array): string {
  return typeof rawBody === 'string' ? rawBody : new TextDecoder('utf-8', { fatal: true }).decode(rawBody);
}

/** The event of a delivery, once its signature is checked; throws WebhookVerificationError otherwise. */
export function verifyWebhookSignature(rawBody: string | Uint8Array, headers: HeadersLike, secret: string): Event {
  const wanted = { 'webhook-id': header(headers, 'webhook-id'), 'webhook-timestamp': header(headers, 'webhook-timestamp'), 'webhook-signature': header(headers, 'webhook-signature') };
  for (const [name, value] of Object.entries(wanted)) if (!value) throw new WebhookVerificationError(`Missing ${name} header`);
  let text: string;
  try {
    text = asText(rawBody);
  } catch {
    throw new WebhookVerificationError('The body is not UTF-8');
  }
  try {
    return new Webhook(secret).verify(text, wanted as unknown as SignedHeaders) as Event;
  } catch (error) {
    if (error instanceof LibraryVerificationError) throw new WebhookVerificationError(error.message);
    throw new WebhookVerificationError(`Cannot verify: ${(error as Error).message}`);
  }
}

export interface SignOptions {
  /** The raw body to send (a string, or an object that is serialized here). */
  payload: string | object;
  secret: string;
  /** `webhook-id` (default: the payload's `id`, else a random `msg_` id). */
  id?: string;
  /** Default: now. */
  timestamp?: Date;
}

/** The headers a delivery of `payload` signed with `secret` carries, and the body they sign. */
export function signWebhook({ payload, secret, id, timestamp = new Date() }: SignOptions): { body: string; headers: SignedHeaders } {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const msgId = id ?? (typeof payload === 'object' && typeof (payload as { id?: unknown }).id === 'string' ? (payload as { id: string }).id : `msg_${randomUUID().replaceAll('-', '')}`);
  const signature = new Webhook(secret).sign(msgId, timestamp, body);
  return { body, headers: { 'webhook-id': msgId, 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': signature } };
}

export class Webhooks {
  /** See verifyWebhookSignature. */
  verify(rawBody: string | Uint8Array, headers: HeadersLike, secret: string): Event {
    return verifyWebhookSignature(rawBody, headers, secret);
  }

  /** See signWebhook. */
  sign(options: SignOptions): { body: string; headers: SignedHeaders } {
    return signWebhook(options);
  }
}
