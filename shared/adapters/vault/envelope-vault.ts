import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { CardContext, MacPurpose, SealedCardNumber, SealPurpose, Vault } from '../../ports.ts';

/**
 * The master-key service behind the vault: AWS KMS in the cloud, a key file locally. It never
 * sees a card number, only data keys, and binds each data key to its encryption context.
 */
export interface KeyService {
  readonly keyId: string;
  generateDataKey(context: Record<string, string>): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  unwrapDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer>;
  /** A secret derived for one label from the MAC key of its purpose (card fingerprints, client and webhook secrets, request hashes). */
  deriveSecret(purpose: MacPurpose, label: string): Promise<Buffer>;
}

export interface EnvelopeVaultOptions {
  /** How long a data key encrypts before a fresh one is asked for. */
  dataKeyMaxAgeMs: number;
  /** How many card numbers one data key encrypts at most. */
  dataKeyMaxUses: number;
  now?: () => number;
}

interface CachedDataKey {
  plaintext: Buffer;
  wrapped: Buffer;
  createdAtMs: number;
  uses: number;
}

const ALGORITHM = 'aes-256-gcm';

/**
 * Envelope encryption of card numbers (and of webhook signing secrets, under their own purpose). The data key is bound to the merchant by the key
 * service's encryption context, so it can be cached and reused for that merchant's cards
 * without a KMS call per payment; each card's ciphertext is bound to its merchant and token by
 * AES-GCM's additional authenticated data, so a ciphertext moved to another token will not open.
 */
export class EnvelopeVault implements Vault {
  private readonly keys: KeyService;
  private readonly options: Required<EnvelopeVaultOptions>;
  private readonly encryptionKeys = new Map<string, Promise<CachedDataKey>>();
  private readonly decryptionKeys = new Map<string, { plaintext: Buffer; createdAtMs: number }>();
  /** Per-merchant MAC keys, derived once per process (one KMS GenerateMac each in AWS). */
  private readonly macKeys = new Map<string, Promise<Buffer>>();

  constructor(keys: KeyService, options: EnvelopeVaultOptions) {
    this.keys = keys;
    this.options = { now: Date.now, ...options };
  }

  async seal(cardNumber: string, context: CardContext): Promise<SealedCardNumber> {
    const dataKey = await this.encryptionKey(context.merchantId, context.purpose ?? 'card-number');
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, dataKey.plaintext, iv);
    cipher.setAAD(additionalData(context));
    const ciphertext = Buffer.concat([cipher.update(cardNumber, 'utf8'), cipher.final()]);
    return {
      v: 1,
      keyId: this.keys.keyId,
      wrappedKey: dataKey.wrapped.toString('base64'),
      iv: iv.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
  }

  async open(sealed: SealedCardNumber, context: CardContext): Promise<string> {
    const key = await this.decryptionKey(sealed.wrappedKey, context.merchantId, context.purpose ?? 'card-number');
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(additionalData(context));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  }

  async fingerprint(cardNumber: string, merchantId: string): Promise<string> {
    return (await this.mac('card-fingerprint', merchantId, cardNumber)).toString('base64url').slice(0, 22);
  }

  async mac(purpose: MacPurpose, merchantId: string, value: string): Promise<Buffer> {
    const label = `paygate:${purpose}:v1:${merchantId}`;
    let key = this.macKeys.get(label);
    if (!key) {
      key = this.keys.deriveSecret(purpose, label);
      key.catch(() => this.macKeys.delete(label));
      this.macKeys.set(label, key);
    }
    return createHmac('sha256', await key).update(value).digest();
  }

  private async encryptionKey(merchantId: string, purpose: SealPurpose): Promise<CachedDataKey> {
    const now = this.options.now();
    const cacheKey = `${purpose}:${merchantId}`;
    const cached = this.encryptionKeys.get(cacheKey);
    if (cached) {
      const key = await cached;
      if (now - key.createdAtMs < this.options.dataKeyMaxAgeMs && key.uses < this.options.dataKeyMaxUses) {
        key.uses++;
        return key;
      }
      if (this.encryptionKeys.get(cacheKey) !== cached) return this.encryptionKey(merchantId, purpose);
    }
    // One request for a fresh key, shared by every seal that arrives while it is in flight.
    const fresh = this.keys
      .generateDataKey(keyContext(merchantId, purpose))
      .then(({ plaintext, wrapped }) => ({ plaintext, wrapped, createdAtMs: now, uses: 0 }));
    this.encryptionKeys.set(cacheKey, fresh);
    fresh.catch(() => this.encryptionKeys.delete(cacheKey));
    const key = await fresh;
    key.uses++;
    return key;
  }

  private async decryptionKey(wrappedKey: string, merchantId: string, purpose: SealPurpose): Promise<Buffer> {
    const cacheKey = `${purpose}:${merchantId}:${wrappedKey}`;
    const now = this.options.now();
    const cached = this.decryptionKeys.get(cacheKey);
    if (cached && now - cached.createdAtMs < this.options.dataKeyMaxAgeMs) return cached.plaintext;
    const plaintext = await this.keys.unwrapDataKey(Buffer.from(wrappedKey, 'base64'), keyContext(merchantId, purpose));
    if (this.decryptionKeys.size >= 100) this.decryptionKeys.clear();
    this.decryptionKeys.set(cacheKey, { plaintext, createdAtMs: now });
    return plaintext;
  }
}

/** The KMS encryption context's `purpose` of a data key (IAM conditions name it too: lib/aws/card-keys.ts). */
function keyContextPurpose(purpose: SealPurpose): string {
  return `paygate:${purpose}`;
}

function keyContext(merchantId: string, purpose: SealPurpose): Record<string, string> {
  return { purpose: keyContextPurpose(purpose), merchant_id: merchantId };
}

function additionalData(context: CardContext): Buffer {
  const purpose = context.purpose ?? 'card-number';
  return Buffer.from(JSON.stringify([`paygate:${purpose}:v1`, context.merchantId, context.token]), 'utf8');
}
