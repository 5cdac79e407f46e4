/** Resource ids: a prefix and 24 random base62 characters (never sequential, never guessable). */
export const ID_PREFIXES = {
  payment: 'pay_',
  transaction: 'txn_',
  token: 'tok_',
  merchant: 'mch_',
  apiKey: 'key_',
  request: 'req_',
  paymentIntent: 'pi_',
  event: 'evt_',
  webhookEndpoint: 'we_',
  webhookDelivery: 'whd_',
  work: 'wrk_',
  blockListEntry: 'bl_',
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

export const ID_RANDOM_LENGTH = 24;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Turns random bytes into base62 without modulo bias (bytes >= 248 are skipped). */
export function base62FromBytes(bytes: Uint8Array, length: number): string {
  let out = '';
  for (const byte of bytes) {
    if (byte >= 248) continue;
    out += BASE62[byte % 62];
    if (out.length === length) return out;
  }
  throw new Error('not enough random bytes for the requested length');
}

export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${ID_PREFIXES[kind]}[0-9A-Za-z]{20,64}$`);
}
