import type { MacPurpose, Vault } from '../../ports.ts';

/**
 * The vault as a function with only the given MAC purposes sees it: what KMS lets that function
 * do in AWS, where it holds only those purposes' HMAC keys and no card key. Every runtime builds
 * its handlers on it, so a route that derives a secret its route table entry does not name fails
 * locally and in the tests, as it would in AWS, instead of only once deployed.
 */
export function vaultLimitedTo(vault: Vault, macs: readonly MacPurpose[]): Vault {
  const allowed = new Set<MacPurpose>(macs);
  const refuse = (what: string) => Promise.reject(new Error(`this function may not ${what} (the route table names its MAC purposes: ${macs.join(', ') || 'none'})`));
  return {
    seal: () => refuse('seal card data'),
    open: () => refuse('open card data'),
    fingerprint: (cardNumber, merchantId) =>
      allowed.has('card-fingerprint') ? vault.fingerprint(cardNumber, merchantId) : refuse('derive card-fingerprint MACs'),
    mac: (purpose, merchantId, value) => (allowed.has(purpose) ? vault.mac(purpose, merchantId, value) : refuse(`derive ${purpose} MACs`)),
  };
}
