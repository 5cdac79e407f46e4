/**
 * Standard Webhooks signatures (standardwebhooks.com), produced and checked with the maintained
 * `standardwebhooks` library: `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<ts>.<body>")>`,
 * one signature per live secret, space-separated during a rotation.
 */
import { Webhook } from 'standardwebhooks';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** `whsec_` + base64 of 32 random bytes: the HMAC key is the decoded bytes. */
export function formatWebhookSecret(keyBytes: Uint8Array): string {
  return `${WEBHOOK_SECRET_PREFIX}${Buffer.from(keyBytes).toString('base64')}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signWebhook(messageId: string, timestamp: Date, body: string, secrets: readonly string[]): SignedHeaders {
  if (secrets.length === 0) throw new Error('an endpoint always has a signing secret');
  const seconds = Math.floor(timestamp.getTime() / 1000);
  const at = new Date(seconds * 1000);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(seconds),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(messageId, at, body)).join(' '),
  };
}

/**
 * For merchants: verifies a delivery's raw body and headers against the endpoint's secret
 * (rejecting a timestamp more than 5 minutes off) and returns the parsed event. Throws
 * `WebhookVerificationError` when anything does not match.
 */
export function verifyWebhookSignature(rawBody: string | Buffer, headers: Record<string, string | string[] | undefined>, secret: string): unknown {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return new Webhook(secret).verify(rawBody, flat);
}

export { WebhookVerificationError } from 'standardwebhooks';
