import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { MacPurpose } from '../../ports.ts';
import type { KeyService } from '../vault/envelope-vault.ts';

/** HKDF `info` of each key derived from the master key: one key per purpose, as KMS has one key per use. */
export const LOCAL_KEY_PURPOSES = {
  wrap: 'paygate/local-vault/v1/wrap-data-keys',
  mac: 'paygate/local-vault/v1/derive-secrets',
} as const;

function deriveKey(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), purpose, 32));
}

/**
 * The local twin of KMS: a 256-bit master key (a file of the data dir, mode 0600) from which HKDF
 * derives one key that wraps data keys with AES-256-GCM (the encryption context as additional
 * data, as KMS binds it) and another that MACs (as `GenerateMac` on an HMAC key): the master key
 * itself never encrypts or MACs anything.
 */
export class FileKeyService implements KeyService {
  readonly keyId = 'local-master-key';
  private readonly wrapKey: Buffer;
  private readonly macKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the local master key must be 32 bytes');
    this.wrapKey = deriveKey(masterKey, LOCAL_KEY_PURPOSES.wrap);
    this.macKey = deriveKey(masterKey, LOCAL_KEY_PURPOSES.mac);
  }

  async generateDataKey(context: Record<string, string>): Promise<{ plaintext: Buffer; wrapped: Buffer }> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.wrapKey, iv);
    cipher.setAAD(contextBytes(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { plaintext, wrapped: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]) };
  }

  async unwrapDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer> {
    const decipher = createDecipheriv('aes-256-gcm', this.wrapKey, wrapped.subarray(0, 12));
    decipher.setAAD(contextBytes(context));
    decipher.setAuthTag(wrapped.subarray(12, 28));
    return Buffer.concat([decipher.update(wrapped.subarray(28)), decipher.final()]);
  }

  // One MAC key for every purpose: the purpose is in the label, so the secrets stay apart, and in
  // one process holding the master key separate keys would protect nothing (AWS has one KMS key
  // per purpose because there each function holds only the ones it needs). Keeping one key also
  // keeps the fingerprints and secrets of existing data dirs.
  async deriveSecret(_purpose: MacPurpose, label: string): Promise<Buffer> {
    return createHmac('sha256', this.macKey).update(label).digest();
  }
}

function contextBytes(context: Record<string, string>): Buffer {
  const sorted = Object.keys(context).sort().map((k) => [k, context[k]]);
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}
