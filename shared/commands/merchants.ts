import { createHash } from 'node:crypto';
import { errors } from '../domain/errors.ts';
import type { Dependencies } from '../dependencies.ts';
import type { ApiKeyRecord, Merchant, RateWindow } from '../ports.ts';

export const API_KEY_PATTERN = /^sk_(test|live)_[0-9A-Za-z]{32,128}$/;
const API_KEY_RANDOM_LENGTH = 40;

/** API keys are 40 random base62 characters (238 bits), so a plain sha256 is a sound one-way index. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

export interface IssuedApiKey {
  apiKey: string;
  record: ApiKeyRecord;
}

function newApiKey(deps: Dependencies, merchantId: string, rawKey?: string): IssuedApiKey {
  const apiKey = rawKey ?? `${deps.settings.apiKeyPrefix}${deps.ids.secret(API_KEY_RANDOM_LENGTH)}`;
  return {
    apiKey,
    record: {
      id: deps.ids.next('apiKey'),
      merchantId,
      keyHash: hashApiKey(apiKey),
      displayPrefix: apiKey.slice(0, 12),
      createdAt: deps.clock.now().toISOString(),
      revokedAt: null,
    },
  };
}

/** Onboards a merchant with its first API key; the key is returned once and stored only as a hash. */
export async function createMerchant(
  deps: Dependencies,
  name: string,
  options: { merchantId?: string; apiKey?: string } = {},
): Promise<{ merchant: Merchant; key: IssuedApiKey }> {
  const merchant: Merchant = {
    id: options.merchantId ?? deps.ids.next('merchant'),
    name,
    createdAt: deps.clock.now().toISOString(),
  };
  const key = newApiKey(deps, merchant.id, options.apiKey);
  await deps.store.createMerchant(merchant, key.record);
  return { merchant, key };
}

export async function issueApiKey(deps: Dependencies, merchantId: string): Promise<{ merchant: Merchant; key: IssuedApiKey }> {
  const merchant = await deps.store.getMerchant(merchantId);
  if (!merchant) throw errors.notFound('merchant');
  const key = newApiKey(deps, merchantId);
  await deps.store.addApiKey(key.record);
  return { merchant, key };
}

export async function revokeApiKey(deps: Dependencies, merchantId: string, keyId: string): Promise<void> {
  const revoked = await deps.store.revokeApiKey(merchantId, keyId, deps.clock.now().toISOString());
  if (!revoked) throw errors.notFound('API key');
}

/**
 * Resolves a presented key to its merchant: malformed, unknown and revoked keys all look alike.
 * A well-formed key that matches no live key counts as a failure of its caller (the client IP),
 * read with the key (one request) and written only on a failure, so a merchant's own requests
 * pay nothing for it. Past `authFailuresPerMinute` such a key gets 429 with Retry-After and is no
 * longer counted (no write); a live key still works, so nobody sharing the merchant's outbound IP
 * (a NAT, a serverless platform's pool) can lock the merchant out. What this bounds is the cost
 * and noise of a guesser (keys are 32+ base62 characters: guessing one is not the risk); the
 * stage's route throttles and the optional edge WAF bound the rest. A malformed key costs no
 * store access at all.
 */
export async function authenticateApiKey(deps: Dependencies, apiKey: string, callerIp: string): Promise<string> {
  if (!API_KEY_PATTERN.test(apiKey)) throw errors.invalidApiKey();
  const failures = authFailureWindow(deps, callerIp);
  const nowMs = deps.clock.now().getTime();
  const { record, callerFailures } = await deps.store.findApiKey(hashApiKey(apiKey), { failures, nowMs });
  if (record && record.revokedAt === null) return record.merchantId;
  if (callerFailures >= failures.limit) throw errors.rateLimited(retryAfter(failures, nowMs));
  // Counted; a burst of failures in flight at once may pass the limit by what is in flight.
  const counted = await deps.rateLimiter.hit([failures], nowMs);
  if (!counted.allowed) throw errors.rateLimited(retryAfter(failures, nowMs));
  throw errors.invalidApiKey();
}

function authFailureWindow(deps: Dependencies, callerIp: string): RateWindow {
  return { key: `auth-failure:${callerIp}`, limit: deps.settings.rateLimits.authFailuresPerMinute, windowSeconds: 60 };
}

function retryAfter(window: RateWindow, nowMs: number): number {
  return Math.max(1, Math.ceil((Math.floor(nowMs / 1000 / window.windowSeconds) + 1) * window.windowSeconds - nowMs / 1000));
}

/**
 * Operator requests are counted per client IP before the operator is checked (they are few), and
 * refused past `adminPerMinute`: guessing the operator key is throttled like guessing API keys.
 */
export async function limitAdminCaller(deps: Dependencies, callerIp: string): Promise<void> {
  const window: RateWindow = { key: `admin:${callerIp}`, limit: deps.settings.rateLimits.adminPerMinute, windowSeconds: 60 };
  const nowMs = deps.clock.now().getTime();
  const decision = await deps.rateLimiter.hit([window], nowMs);
  if (!decision.allowed) throw errors.rateLimited(retryAfter(window, nowMs));
}
