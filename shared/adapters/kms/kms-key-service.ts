import { DecryptCommand, GenerateDataKeyCommand, GenerateMacCommand, type KMSClient } from '@aws-sdk/client-kms';
import { MAC_PURPOSES, type MacPurpose } from '../../ports.ts';
import type { KeyService } from '../vault/envelope-vault.ts';

/** The environment variable naming the KMS HMAC key of one MAC purpose (the stack sets exactly those a function uses). */
export function macKeyVariable(purpose: MacPurpose): string {
  return `PAYGATE_MAC_KEY_${purpose.toUpperCase().replaceAll('-', '_')}`;
}

/** The HMAC key ids of the MAC purposes a function's environment names. */
export function macKeyIdsFrom(env: Readonly<Record<string, string | undefined>>): Partial<Record<MacPurpose, string>> {
  const ids: Partial<Record<MacPurpose, string>> = {};
  for (const purpose of MAC_PURPOSES) {
    const id = env[macKeyVariable(purpose)];
    if (id) ids[purpose] = id;
  }
  return ids;
}

/**
 * AWS KMS as the vault's key service: GenerateDataKey / Decrypt with an encryption context for
 * card data keys, and GenerateMac on one HMAC key per MAC purpose to derive per-merchant secrets
 * (so no secret needs to be provisioned outside KMS, and a function holding one purpose's key
 * derives nothing of another's).
 */
export class KmsKeyService implements KeyService {
  readonly keyId: string;
  private readonly cardKeyId: string | undefined;
  private readonly client: KMSClient;
  private readonly macKeyIds: Partial<Record<MacPurpose, string>>;

  /**
   * Each function gets only the key ids it uses: `keyId` (card key) where it seals or opens,
   * `macKeyIds` the HMAC key of each MAC purpose it derives.
   */
  constructor(client: KMSClient, keyId: string | undefined, macKeyIds: Partial<Record<MacPurpose, string>>) {
    this.client = client;
    this.cardKeyId = keyId;
    this.keyId = keyId ?? 'none';
    this.macKeyIds = macKeyIds;
  }

  private requireCardKey(): string {
    if (this.cardKeyId === undefined) throw new Error('this function has no card key');
    return this.cardKeyId;
  }

  async generateDataKey(context: Record<string, string>): Promise<{ plaintext: Buffer; wrapped: Buffer }> {
    const out = await this.client.send(
      new GenerateDataKeyCommand({ KeyId: this.requireCardKey(), KeySpec: 'AES_256', EncryptionContext: context }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob) };
  }

  async unwrapDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer> {
    const out = await this.client.send(
      new DecryptCommand({ KeyId: this.requireCardKey(), CiphertextBlob: wrapped, EncryptionContext: context }),
    );
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
    return Buffer.from(out.Plaintext);
  }

  async deriveSecret(purpose: MacPurpose, label: string): Promise<Buffer> {
    const macKeyId = this.macKeyIds[purpose];
    if (macKeyId === undefined) throw new Error(`this function has no ${purpose} key`);
    const out = await this.client.send(
      new GenerateMacCommand({ KeyId: macKeyId, MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from(label, 'utf8') }),
    );
    if (!out.Mac) throw new Error('KMS GenerateMac returned no MAC');
    return Buffer.from(out.Mac);
  }
}
