import { createHash } from 'node:crypto';
import { errors } from '../domain/errors.ts';
import type { Dependencies } from '../dependencies.ts';
import type { ApiKeyRecord, Merchant } from '../ports.ts';

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

/** Resolves a presented key to its merchant: malformed, unknown and revoked keys all look alike. */
export async function authenticateApiKey(deps: Dependencies, apiKey: string): Promise<string> {
  if (!API_KEY_PATTERN.test(apiKey)) throw errors.invalidApiKey();
  const record = await deps.store.findApiKey(hashApiKey(apiKey));
  if (!record || record.revokedAt !== null) throw errors.invalidApiKey();
  return record.merchantId;
}
