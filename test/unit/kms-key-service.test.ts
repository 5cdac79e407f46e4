import { createHmac, randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  GenerateMacCommand,
  InvalidCiphertextException,
  KMSClient,
  type DecryptCommandInput,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsKeyService, macKeyIdsFrom, macKeyVariable } from '../../shared/adapters/kms/kms-key-service.ts';
import { EnvelopeVault } from '../../shared/adapters/vault/envelope-vault.ts';

const KEY_ID = 'arn:aws:kms:eu-west-1:111122223333:key/card-data';
const MAC_KEY_ID = 'arn:aws:kms:eu-west-1:111122223333:key/card-fingerprint';
const CLIENT_SECRET_KEY_ID = 'arn:aws:kms:eu-west-1:111122223333:key/client-secret';
const MAC_KEY_IDS = { 'card-fingerprint': MAC_KEY_ID, 'client-secret': CLIENT_SECRET_KEY_ID };
const MERCHANT = 'mch_aaaaaaaaaaaaaaaaaaaaaaaa';
const CARD = '4242424242424242';

const kmsMock = mockClient(KMSClient);
const client = new KMSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

beforeEach(() => {
  kmsMock.reset();
});

/** A KMS double for one merchant's data key: Decrypt answers only for that blob and that context. */
function fakeKmsDataKey() {
  const plaintext = randomBytes(32);
  const blob = randomBytes(64);
  const context = { purpose: 'paygate:card-number', merchant_id: MERCHANT };
  kmsMock.on(GenerateDataKeyCommand).resolves({ KeyId: KEY_ID, Plaintext: plaintext, CiphertextBlob: blob });
  kmsMock.on(DecryptCommand).callsFake((input: DecryptCommandInput) => {
    const sameBlob = input.CiphertextBlob !== undefined && Buffer.from(input.CiphertextBlob).equals(blob);
    const sameContext = JSON.stringify(input.EncryptionContext) === JSON.stringify(context);
    if (!sameBlob || !sameContext) {
      throw new InvalidCiphertextException({ message: 'invalid ciphertext', $metadata: {} });
    }
    return { KeyId: KEY_ID, Plaintext: plaintext };
  });
  return { plaintext, blob };
}

describe('KmsKeyService', () => {
  const keys = new KmsKeyService(client, KEY_ID, MAC_KEY_IDS);

  it('names the data master key as its key id', () => {
    expect(keys.keyId).toBe(KEY_ID);
  });

  it('asks KMS for an AES-256 data key under the master key, with the encryption context', async () => {
    const plaintext = randomBytes(32);
    const blob = randomBytes(48);
    kmsMock.on(GenerateDataKeyCommand).resolves({ Plaintext: plaintext, CiphertextBlob: blob });
    const context = { purpose: 'paygate:card-number', merchant_id: MERCHANT };

    const key = await keys.generateDataKey(context);

    expect(key.plaintext.equals(plaintext)).toBe(true);
    expect(key.wrapped.equals(blob)).toBe(true);
    const calls = kmsMock.commandCalls(GenerateDataKeyCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toStrictEqual({ KeyId: KEY_ID, KeySpec: 'AES_256', EncryptionContext: context });
  });

  it('fails when KMS returns no data key', async () => {
    kmsMock.on(GenerateDataKeyCommand).resolves({ CiphertextBlob: randomBytes(48) });
    await expect(keys.generateDataKey({ merchant_id: MERCHANT })).rejects.toThrow(/no key/);
  });

  it('unwraps a data key with Decrypt, naming the master key and the encryption context', async () => {
    const plaintext = randomBytes(32);
    const wrapped = randomBytes(48);
    kmsMock.on(DecryptCommand).resolves({ Plaintext: plaintext });
    const context = { purpose: 'paygate:card-number', merchant_id: MERCHANT };

    expect((await keys.unwrapDataKey(wrapped, context)).equals(plaintext)).toBe(true);

    const calls = kmsMock.commandCalls(DecryptCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toStrictEqual({ KeyId: KEY_ID, CiphertextBlob: wrapped, EncryptionContext: context });
  });

  it('fails when Decrypt returns no plaintext', async () => {
    kmsMock.on(DecryptCommand).resolves({});
    await expect(keys.unwrapDataKey(randomBytes(48), { merchant_id: MERCHANT })).rejects.toThrow(/no key/);
  });

  it('derives a secret with GenerateMac, HMAC_SHA_256 on the MAC key, over the label', async () => {
    const mac = randomBytes(32);
    kmsMock.on(GenerateMacCommand).resolves({ Mac: mac, MacAlgorithm: 'HMAC_SHA_256', KeyId: MAC_KEY_ID });

    expect((await keys.deriveSecret('card-fingerprint', 'paygate:card-fingerprint:v1:mch_x')).equals(mac)).toBe(true);

    const calls = kmsMock.commandCalls(GenerateMacCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toStrictEqual({
      KeyId: MAC_KEY_ID,
      MacAlgorithm: 'HMAC_SHA_256',
      Message: Buffer.from('paygate:card-fingerprint:v1:mch_x', 'utf8'),
    });
  });

  it('fails when GenerateMac returns no MAC', async () => {
    kmsMock.on(GenerateMacCommand).resolves({});
    await expect(keys.deriveSecret('card-fingerprint', 'label')).rejects.toThrow(/no MAC/);
  });

  it('derives each purpose with its own key, and refuses a purpose whose key the function was not given', async () => {
    kmsMock.on(GenerateMacCommand).resolves({ Mac: randomBytes(32) });
    await keys.deriveSecret('client-secret', 'paygate:client-secret:v1:mch_x');
    expect(kmsMock.commandCalls(GenerateMacCommand)[0]?.args[0].input.KeyId).toBe(CLIENT_SECRET_KEY_ID);

    await expect(keys.deriveSecret('webhook-secret', 'paygate:webhook-secret:v1:mch_x')).rejects.toThrow(/no webhook-secret key/);
    await expect(keys.deriveSecret('request-hash', 'paygate:request-hash:v1:mch_x')).rejects.toThrow(/no request-hash key/);
    expect(kmsMock.commandCalls(GenerateMacCommand)).toHaveLength(1);
  });
});

describe('macKeyIdsFrom', () => {
  it('reads the key id of each purpose from its own variable, and nothing else', () => {
    expect(macKeyVariable('webhook-secret')).toBe('PAYGATE_MAC_KEY_WEBHOOK_SECRET');
    expect(
      macKeyIdsFrom({ PAYGATE_MAC_KEY_CARD_FINGERPRINT: 'k1', PAYGATE_MAC_KEY_WEBHOOK_SECRET: 'k2', PAYGATE_MAC_KEY_CLIENT_SECRET: '', PAYGATE_FINGERPRINT_KEY_ID: 'old' }),
    ).toStrictEqual({ 'card-fingerprint': 'k1', 'webhook-secret': 'k2' });
  });
});

describe('EnvelopeVault over KmsKeyService', () => {
  const vaultOptions = { dataKeyMaxAgeMs: 300_000, dataKeyMaxUses: 10_000 };

  it('seals and opens a card number, and the envelope holds the KMS blob and key id, not the number', async () => {
    const { blob } = fakeKmsDataKey();
    const vault = new EnvelopeVault(new KmsKeyService(client, KEY_ID, MAC_KEY_IDS), vaultOptions);
    const context = { merchantId: MERCHANT, token: 'tok_1' };

    const sealed = await vault.seal(CARD, context);

    expect(sealed.keyId).toBe(KEY_ID);
    expect(sealed.wrappedKey).toBe(blob.toString('base64'));
    expect(JSON.stringify(sealed)).not.toContain(CARD);
    const reader = new EnvelopeVault(new KmsKeyService(client, KEY_ID, MAC_KEY_IDS), vaultOptions);
    expect(await reader.open(sealed, context)).toBe(CARD);
    expect(kmsMock.commandCalls(DecryptCommand)).toHaveLength(1);
  });

  it('calls GenerateDataKey once to seal 50 cards of one merchant, and Decrypt once to open them all', async () => {
    fakeKmsDataKey();
    const vault = new EnvelopeVault(new KmsKeyService(client, KEY_ID, MAC_KEY_IDS), vaultOptions);
    const sealed = [];
    for (let i = 0; i < 50; i++) sealed.push(await vault.seal(`42424242424242${String(i).padStart(2, '0')}`, { merchantId: MERCHANT, token: `tok_${i}` }));

    expect(kmsMock.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);

    const reader = new EnvelopeVault(new KmsKeyService(client, KEY_ID, MAC_KEY_IDS), vaultOptions);
    for (let i = 0; i < 50; i++) {
      const envelope = sealed[i];
      if (!envelope) throw new Error('missing envelope');
      expect(await reader.open(envelope, { merchantId: MERCHANT, token: `tok_${i}` })).toBe(`42424242424242${String(i).padStart(2, '0')}`);
    }
    expect(kmsMock.commandCalls(DecryptCommand)).toHaveLength(1);
  });

  it('cannot open an envelope for another merchant, since KMS refuses the other encryption context', async () => {
    fakeKmsDataKey();
    const vault = new EnvelopeVault(new KmsKeyService(client, KEY_ID, MAC_KEY_IDS), vaultOptions);
    const sealed = await vault.seal(CARD, { merchantId: MERCHANT, token: 'tok_1' });
    const reader = new EnvelopeVault(new KmsKeyService(client, KEY_ID, MAC_KEY_IDS), vaultOptions);
    await expect(reader.open(sealed, { merchantId: 'mch_other', token: 'tok_1' })).rejects.toThrow(/invalid ciphertext/);
  });

  it('fingerprints with one GenerateMac call per merchant', async () => {
    const macKey = randomBytes(32);
    kmsMock.on(GenerateMacCommand).callsFake((input: { Message?: Uint8Array }) => ({
      Mac: createHmac('sha256', macKey).update(input.Message ?? new Uint8Array()).digest(),
    }));
    const vault = new EnvelopeVault(new KmsKeyService(client, KEY_ID, MAC_KEY_IDS), vaultOptions);

    const a = await vault.fingerprint(CARD, MERCHANT);
    expect(await vault.fingerprint(CARD, MERCHANT)).toBe(a);
    await vault.fingerprint('5555555555554444', MERCHANT);
    expect(await vault.fingerprint(CARD, 'mch_other')).not.toBe(a);

    expect(kmsMock.commandCalls(GenerateMacCommand)).toHaveLength(2);
  });
});

describe('a MAC-only key service (payment-intent routes get the client-secret key id alone)', () => {
  const macOnly = new KmsKeyService(client, undefined, { 'client-secret': CLIENT_SECRET_KEY_ID });

  it('derives secrets with GenerateMac but refuses to make or open data keys without a card key', async () => {
    kmsMock.on(GenerateMacCommand).resolves({ Mac: randomBytes(32) });
    await expect(macOnly.deriveSecret('client-secret', 'paygate:client-secret:v1:mch_x')).resolves.toHaveLength(32);
    await expect(macOnly.generateDataKey({ merchant_id: MERCHANT })).rejects.toThrow(/no card key/);
    await expect(macOnly.unwrapDataKey(randomBytes(48), { merchant_id: MERCHANT })).rejects.toThrow(/no card key/);
    expect(kmsMock.commandCalls(GenerateDataKeyCommand)).toHaveLength(0);
    expect(kmsMock.commandCalls(DecryptCommand)).toHaveLength(0);
  });
});
