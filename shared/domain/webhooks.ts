import type { EventType } from './events.ts';

/**
 * A signing secret of an endpoint, by version. The secret itself is never stored: it is derived
 * (shared/commands/webhooks.ts `webhookSecretFor`) from the endpoint id and the version.
 */
export interface WebhookSecret {
  version: number;
  /** Null for the current secret; set to rotation time + 24 h for the one it replaced. */
  expiresAt: string | null;
  createdAt: string;
}

export interface WebhookEndpoint {
  id: string;
  merchantId: string;
  url: string;
  /** Empty means every event. */
  events: EventType[];
  secrets: WebhookSecret[];
  createdAt: string;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'expired';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'failed', 'expired'];

export interface WebhookDelivery {
  id: string;
  merchantId: string;
  eventId: string;
  eventType: EventType;
  endpointId: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  /** At most a short, redacted excerpt of the receiver's answer or of the network error. */
  lastError: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  /** A delivery not done by then is expired: event time + WEBHOOK_EVENT_TTL_SECONDS. */
  deadline: string;
  /** A merchant's retry of a failed or expired delivery: one attempt, no schedule, no deadline. */
  manual: boolean;
  createdAt: string;
  version: number;
}

export const MAX_DELIVERY_ATTEMPTS = 5;

export function endpointWants(endpoint: WebhookEndpoint, type: EventType): boolean {
  return endpoint.events.length === 0 || endpoint.events.includes(type);
}

/** The secrets that sign now: the current one and the one it replaced, for 24 hours after the rotation. */
export function signingSecrets(endpoint: WebhookEndpoint, now: Date): WebhookSecret[] {
  return endpoint.secrets.filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now.getTime());
}

export type AttemptOutcome = { ok: true; statusCode: number } | { ok: false; statusCode: number | null; error: string };

/**
 * What an attempt leads to: succeeded; or, after a failure, another attempt after the next delay
 * of the schedule; or `failed` once 5 attempts have failed; or `expired` when the next attempt
 * would come after the deadline. `retryDelaysSeconds[k]` is the wait after failure k + 1.
 */
export function afterAttempt(
  delivery: WebhookDelivery,
  outcome: AttemptOutcome,
  now: Date,
  retryDelaysSeconds: readonly number[],
  options: { manual: boolean } = { manual: false },
): WebhookDelivery {
  const at = now.toISOString();
  const attempts = delivery.attempts + 1;
  const base = {
    ...delivery,
    attempts,
    lastStatusCode: outcome.statusCode,
    lastError: outcome.ok ? null : outcome.error,
    lastAttemptAt: at,
    version: delivery.version + 1,
  };
  if (outcome.ok) return { ...base, status: 'succeeded', nextAttemptAt: null };
  if (options.manual || attempts >= MAX_DELIVERY_ATTEMPTS) return { ...base, status: 'failed', nextAttemptAt: null };
  const delay = retryDelaysSeconds[Math.min(attempts - 1, retryDelaysSeconds.length - 1)] ?? 0;
  const next = new Date(now.getTime() + delay * 1000);
  if (next.getTime() > Date.parse(delivery.deadline)) return { ...base, status: 'expired', nextAttemptAt: null };
  return { ...base, status: 'pending', nextAttemptAt: next.toISOString() };
}

/**
 * A URL naming this machine or a private network (loopback, IPv4-mapped IPv6, link-local,
 * RFC 1918, unique-local IPv6): allowed only on the local gateway, for testing. A name that
 * merely resolves there (a public DNS name pointing at 127.0.0.1) is not caught here.
 */
export function isLoopbackUrl(raw: string): boolean {
  let host: string;
  try {
    host = new URL(raw).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host.startsWith('[')) {
    const v6 = host.slice(1, -1);
    return v6 === '::1' || v6 === '::' || v6.startsWith('::ffff:') || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6);
  }
  const octets = host.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o))) return false;
  const [a, b] = octets as [number, number, number, number];
  return a === 127 || a === 0 || a === 10 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** HTTP URLs are allowed only for the local machine, for testing; everything else must be https. */
export function isAllowedCallbackUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === 'https:') return url.hostname.length > 0;
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
}
