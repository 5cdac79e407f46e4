import { DecryptCommand, GenerateDataKeyCommand, GenerateMacCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { KeyService } from '../vault/envelope-vault.ts';

/**
 * AWS KMS as the vault's key service: GenerateDataKey / Decrypt with an encryption context for
 * card data keys, and GenerateMac on a separate HMAC key to derive fingerprint secrets (so no
 * secret needs to be provisioned outside KMS).
 */
export class KmsKeyService implements KeyService {
  readonly keyId: string;
  private readonly cardKeyId: string | undefined;
  private readonly client: KMSClient;
  private readonly macKeyId: string | undefined;

  /**
   * Each function gets only the key ids it uses: `keyId` (card key) where it seals or opens,
   * `macKeyId` where it fingerprints cards or derives client secrets.
   */
  constructor(client: KMSClient, keyId: string | undefined, macKeyId: string | undefined) {
    this.client = client;
    this.cardKeyId = keyId;
    this.keyId = keyId ?? 'none';
    this.macKeyId = macKeyId;
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

  async deriveSecret(label: string): Promise<Buffer> {
    if (this.macKeyId === undefined) throw new Error('this function has no fingerprint key');
    const out = await this.client.send(
      new GenerateMacCommand({ KeyId: this.macKeyId, MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from(label, 'utf8') }),
    );
    if (!out.Mac) throw new Error('KMS GenerateMac returned no MAC');
    return Buffer.from(out.Mac);
  }
}
