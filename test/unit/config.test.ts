/** The configuration every function and the local gateway read from the environment (shared/config.ts). */
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../shared/config.ts';

describe('readSettings', () => {
  it('gives the documented defaults', () => {
    const settings = readSettings({}, 'http://localhost:3000/');
    expect(settings).toMatchObject({
      authorizationTtlSeconds: 604_800,
      intentTtlSeconds: 3_600,
      idempotencyTtlSeconds: 86_400,
      apiKeyPrefix: 'sk_test_',
      publicUrl: 'http://localhost:3000',
      webhookRetryDelaysSeconds: [300, 900, 3600, 21600],
      rateLimits: { paymentPerSecond: 20, paymentPerHour: 10_000, transactionPerSecond: 100, publicPerSecond: 50, authFailuresPerMinute: 20, adminPerMinute: 60 },
    });
  });

  it('reads what the environment sets', () => {
    const settings = readSettings(
      { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '5', WEBHOOK_RETRY_DELAYS: '1,2,3', PAYGATE_STAGE: 'live', PAYGATE_PUBLIC_URL: 'https://pay.example.com/' },
      'http://localhost:3000',
    );
    expect(settings).toMatchObject({ apiKeyPrefix: 'sk_live_', publicUrl: 'https://pay.example.com', webhookRetryDelaysSeconds: [1, 2, 3] });
    expect(settings.rateLimits.authFailuresPerMinute).toBe(5);
  });

  it('reads the edge origin secret the stack sets, and none where it is unset', () => {
    expect(readSettings({}, 'http://localhost:3000').edgeOriginSecret).toBeNull();
    expect(readSettings({ PAYGATE_EDGE_ORIGIN_SECRET: 'x'.repeat(48) }, 'http://localhost:3000').edgeOriginSecret).toBe('x'.repeat(48));
  });

  it.each([
    [{ RATE_LIMIT_PAYMENT_PER_SECOND: '0' }, 'RATE_LIMIT_PAYMENT_PER_SECOND must be a whole number above 0'],
    [{ RATE_LIMIT_ADMIN_PER_MINUTE: '1.5' }, 'RATE_LIMIT_ADMIN_PER_MINUTE must be a whole number above 0'],
    [{ AUTHORIZATION_TTL_SECONDS: 'week' }, 'AUTHORIZATION_TTL_SECONDS must be a whole number above 0'],
    [{ WEBHOOK_RETRY_DELAYS: '300,,900' }, 'WEBHOOK_RETRY_DELAYS must be a comma-separated list of seconds'],
    [{ PAYGATE_STAGE: 'prod' }, 'PAYGATE_STAGE must be test or live'],
    [{ PAYGATE_PUBLIC_URL: 'pay.example.com' }, 'PAYGATE_PUBLIC_URL must be an absolute URL'],
    [{ PAYGATE_EDGE_ORIGIN_SECRET: 'short' }, 'PAYGATE_EDGE_ORIGIN_SECRET must be at least 32 characters'],
  ])('refuses %o, saying what it must be', (env, message) => {
    expect(() => readSettings(env, 'http://localhost:3000')).toThrow(message);
  });
});
