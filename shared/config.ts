import * as z from 'zod/mini';
import type { Settings } from './dependencies.ts';

// zod/mini (its functional form): every function reads its configuration here, and the small
// build keeps zod out of the functions that validate nothing else (the `$default` one).
const positiveInt = (fallback: number) => z._default(z.pipe(z.coerce.number(), z.int().check(z.positive())), fallback);
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
  WEBHOOK_RETRY_DELAYS: z.pipe(
    z._default(z.string().check(z.regex(/^\d+(,\d+)*$/)), '300,900,3600,21600'),
    z.transform((list: string) => list.split(',').map(Number)),
  ),
  WEBHOOK_EVENT_TTL_SECONDS: seconds(86_400),
  PAYGATE_STAGE: z._default(z.enum(['test', 'live']), 'test'),
  PAYGATE_PUBLIC_URL: z.optional(z.url()),
  // Set by the stack (from its Secrets Manager secret) when CloudFront is in front of the API.
  PAYGATE_EDGE_ORIGIN_SECRET: z.optional(z.string().check(z.minLength(32))),
});

/** What each variable must be, said to the operator who set it wrong. */
const EXPECTED: Partial<Record<keyof z.infer<typeof EnvironmentSchema>, string>> = {
  WEBHOOK_RETRY_DELAYS: 'a comma-separated list of seconds, e.g. 300,900,3600,21600',
  PAYGATE_STAGE: 'test or live',
  PAYGATE_PUBLIC_URL: 'an absolute URL, e.g. https://pay.example.com',
  PAYGATE_EDGE_ORIGIN_SECRET: 'at least 32 characters',
};

export function readSettings(env: NodeJS.ProcessEnv, defaultPublicUrl: string): Settings {
  const parsed = EnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const name = String(i.path[0]) as keyof typeof EXPECTED;
      return `${name} must be ${EXPECTED[name] ?? 'a whole number above 0'}`;
    });
    throw new Error(`invalid configuration: ${[...new Set(problems)].join('; ')}`);
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
    edgeOriginSecret: e.PAYGATE_EDGE_ORIGIN_SECRET ?? null,
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
