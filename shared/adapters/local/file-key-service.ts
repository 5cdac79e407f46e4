import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KeyService } from '../vault/envelope-vault.ts';

/**
 * The local twin of KMS: a 256-bit master key in a file of the data dir (mode 0600) wraps data
 * keys with AES-256-GCM, the encryption context as additional data, as KMS binds it.
 */
export class FileKeyService implements KeyService {
  readonly keyId = 'local-master-key';
  private readonly masterKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the local master key must be 32 bytes');
    this.masterKey = masterKey;
  }

  /** Reads the master key from `path`, creating it on first use. */
  static fromFile(path: string): FileKeyService {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    }
    return new FileKeyService(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'));
  }

  async generateDataKey(context: Record<string, string>): Promise<{ plaintext: Buffer; wrapped: Buffer }> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    cipher.setAAD(contextBytes(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { plaintext, wrapped: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]) };
  }

  async unwrapDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer> {
    const decipher = createDecipheriv('aes-256-gcm', this.masterKey, wrapped.subarray(0, 12));
    decipher.setAAD(contextBytes(context));
    decipher.setAuthTag(wrapped.subarray(12, 28));
    return Buffer.concat([decipher.update(wrapped.subarray(28)), decipher.final()]);
  }

  async deriveSecret(label: string): Promise<Buffer> {
    return createHmac('sha256', this.masterKey).update(label).digest();
  }
}

function contextBytes(context: Record<string, string>): Buffer {
  const sorted = Object.keys(context).sort().map((k) => [k, context[k]]);
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}
