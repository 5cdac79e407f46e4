import * as z from 'zod';
import type { Settings } from './dependencies.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const seconds = positiveInt;

/** The environment both runtimes read (API.md, "The local gateway"); the CDK stack sets the same names. */
export const EnvironmentSchema = z.object({
  AUTHORIZATION_TTL_SECONDS: seconds(604_800),
  INTENT_TTL_SECONDS: seconds(3_600),
  IDEMPOTENCY_TTL_SECONDS: seconds(86_400),
  RATE_LIMIT_PAYMENT_PER_SECOND: positiveInt(20),
  RATE_LIMIT_PAYMENT_PER_HOUR: positiveInt(10_000),
  RATE_LIMIT_TRANSACTION_PER_SECOND: positiveInt(100),
  RATE_LIMIT_PUBLIC_PER_SECOND: positiveInt(50),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: positiveInt(20),
  RATE_LIMIT_ADMIN_PER_MINUTE: positiveInt(60),
  WEBHOOK_RETRY_DELAYS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'a comma-separated list of seconds')
    .default('300,900,3600,21600')
    .transform((list) => list.split(',').map(Number)),
  WEBHOOK_EVENT_TTL_SECONDS: seconds(86_400),
  PAYGATE_STAGE: z.enum(['test', 'live']).default('test'),
  PAYGATE_PUBLIC_URL: z.string().url().optional(),
});

export function readSettings(env: NodeJS.ProcessEnv, defaultPublicUrl: string): Settings {
  const parsed = EnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    authorizationTtlSeconds: e.AUTHORIZATION_TTL_SECONDS,
    intentTtlSeconds: e.INTENT_TTL_SECONDS,
    idempotencyTtlSeconds: e.IDEMPOTENCY_TTL_SECONDS,
    apiKeyPrefix: e.PAYGATE_STAGE === 'live' ? 'sk_live_' : 'sk_test_',
    publicUrl: (e.PAYGATE_PUBLIC_URL ?? defaultPublicUrl).replace(/\/$/, ''),
    allowLoopbackUrls: false,
    webhookRetryDelaysSeconds: e.WEBHOOK_RETRY_DELAYS,
    webhookEventTtlSeconds: e.WEBHOOK_EVENT_TTL_SECONDS,
    eventRetentionSeconds: 30 * 86_400,
    rateLimits: {
      paymentPerSecond: e.RATE_LIMIT_PAYMENT_PER_SECOND,
      paymentPerHour: e.RATE_LIMIT_PAYMENT_PER_HOUR,
      transactionPerSecond: e.RATE_LIMIT_TRANSACTION_PER_SECOND,
      publicPerSecond: e.RATE_LIMIT_PUBLIC_PER_SECOND,
      authFailuresPerMinute: e.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
      adminPerMinute: e.RATE_LIMIT_ADMIN_PER_MINUTE,
    },
  };
}
