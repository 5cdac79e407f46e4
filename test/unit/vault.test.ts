import { createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FileKeyService, LOCAL_KEY_PURPOSES } from '../../shared/adapters/local/file-key-service.ts';
import { EnvelopeVault, type EnvelopeVaultOptions, type KeyService } from '../../shared/adapters/vault/envelope-vault.ts';
import { vaultLimitedTo } from '../../shared/adapters/vault/limited-vault.ts';
import type { MacPurpose, SealedCardNumber } from '../../shared/ports.ts';

const CARD = '4242424242424242';
const OTHER_CARD = '5555555555554444';
const MERCHANT = 'mch_aaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER_MERCHANT = 'mch_bbbbbbbbbbbbbbbbbbbbbbbb';
const context = { merchantId: MERCHANT, token: 'tok_aaaaaaaaaaaaaaaaaaaaaaaa' };

/** A key service that counts and records what the vault asks of it. */
class CountingKeyService implements KeyService {
  readonly keyId: string;
  readonly generated: Array<Record<string, string>> = [];
  readonly unwrapped: Array<Record<string, string>> = [];
  readonly derived: string[] = [];
  private readonly inner: KeyService;

  constructor(inner: KeyService) {
    this.inner = inner;
    this.keyId = inner.keyId;
  }
  generateDataKey(ctx: Record<string, string>) {
    this.generated.push(ctx);
    return this.inner.generateDataKey(ctx);
  }
  unwrapDataKey(wrapped: Buffer, ctx: Record<string, string>) {
    this.unwrapped.push(ctx);
    return this.inner.unwrapDataKey(wrapped, ctx);
  }
  deriveSecret(purpose: MacPurpose, label: string) {
    this.derived.push(label);
    return this.inner.deriveSecret(purpose, label);
  }
}

function setup(options: Partial<EnvelopeVaultOptions> = {}, masterKey = randomBytes(32)) {
  const keys = new CountingKeyService(new FileKeyService(masterKey));
  const vault = new EnvelopeVault(keys, { dataKeyMaxAgeMs: 60_000, dataKeyMaxUses: 1_000, ...options });
  return { keys, vault, masterKey };
}

function flipFirstByte(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe('FileKeyService', () => {
  it('refuses a master key that is not 32 bytes', () => {
    expect(() => new FileKeyService(randomBytes(16))).toThrow(/32 bytes/);
    expect(() => new FileKeyService(randomBytes(33))).toThrow(/32 bytes/);
  });

  it('unwraps a data key only with the encryption context it was generated for', async () => {
    const keys = new FileKeyService(randomBytes(32));
    const ctx = { purpose: 'p', merchant_id: 'm1' };
    const { plaintext, wrapped } = await keys.generateDataKey(ctx);
    expect(plaintext).toHaveLength(32);
    expect(wrapped.includes(plaintext)).toBe(false);
    expect(await keys.unwrapDataKey(wrapped, { merchant_id: 'm1', purpose: 'p' })).toEqual(plaintext);
    await expect(keys.unwrapDataKey(wrapped, { purpose: 'p', merchant_id: 'm2' })).rejects.toThrow();
  });

  it('does not unwrap a data key under another master key', async () => {
    const ctx = { merchant_id: 'm1' };
    const { wrapped } = await new FileKeyService(randomBytes(32)).generateDataKey(ctx);
    await expect(new FileKeyService(randomBytes(32)).unwrapDataKey(wrapped, ctx)).rejects.toThrow();
  });

  it('wraps and MACs with two keys derived by HKDF, never with the master key itself', async () => {
    const master = randomBytes(32);
    const keys = new FileKeyService(master);
    const macKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), LOCAL_KEY_PURPOSES.mac, 32));
    const wrapKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), LOCAL_KEY_PURPOSES.wrap, 32));
    expect(await keys.deriveSecret('client-secret', 'label')).toEqual(createHmac('sha256', macKey).update('label').digest());
    expect(await keys.deriveSecret('client-secret', 'label')).not.toEqual(createHmac('sha256', master).update('label').digest());
    expect(await keys.deriveSecret('client-secret', 'label')).not.toEqual(createHmac('sha256', wrapKey).update('label').digest());
    // A data key wrapped by the service opens under the wrapping key, and not under the master key.
    const { plaintext, wrapped } = await keys.generateDataKey({ m: '1' });
    const open = (key: Buffer) => {
      const decipher = createDecipheriv('aes-256-gcm', key, wrapped.subarray(0, 12));
      decipher.setAAD(Buffer.from(JSON.stringify([['m', '1']])));
      decipher.setAuthTag(wrapped.subarray(12, 28));
      return Buffer.concat([decipher.update(wrapped.subarray(28)), decipher.final()]);
    };
    expect(open(wrapKey)).toEqual(plaintext);
    expect(() => open(master)).toThrow();
    expect(() => open(macKey)).toThrow();
  });
});

describe('EnvelopeVault', () => {
  it('opens what it sealed', async () => {
    const { vault } = setup();
    const sealed = await vault.seal(CARD, context);
    expect(await vault.open(sealed, context)).toBe(CARD);
  });

  it('seals into an envelope of version 1 naming the master key, without the card number in it', async () => {
    const { vault } = setup();
    const sealed = await vault.seal(CARD, context);
    expect(sealed).toEqual({
      v: 1,
      keyId: 'local-master-key',
      wrappedKey: expect.any(String),
      iv: expect.any(String),
      ciphertext: expect.any(String),
      tag: expect.any(String),
    });
    const json = JSON.stringify(sealed);
    expect(json).not.toContain(CARD);
    expect(json).not.toContain(Buffer.from(CARD).toString('base64'));
    expect(json).not.toContain(Buffer.from(CARD).toString('hex'));
    expect(Buffer.from(sealed.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(sealed.tag, 'base64')).toHaveLength(16);
  });

  it('seals the same card twice into different ciphertexts with different ivs', async () => {
    const { vault } = setup();
    const a = await vault.seal(CARD, context);
    const b = await vault.seal(CARD, context);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('refuses to open an envelope under another token of the same merchant', async () => {
    const { vault } = setup();
    const sealed = await vault.seal(CARD, context);
    await expect(vault.open(sealed, { ...context, token: 'tok_bbbbbbbbbbbbbbbbbbbbbbbb' })).rejects.toThrow();
  });

  it('refuses to open an envelope for another merchant', async () => {
    const { vault } = setup();
    const sealed = await vault.seal(CARD, context);
    await expect(vault.open(sealed, { ...context, merchantId: OTHER_MERCHANT })).rejects.toThrow();
  });

  it.each<[string, (s: SealedCardNumber) => SealedCardNumber]>([
    ['ciphertext', (s) => ({ ...s, ciphertext: flipFirstByte(s.ciphertext) })],
    ['tag', (s) => ({ ...s, tag: flipFirstByte(s.tag) })],
    ['iv', (s) => ({ ...s, iv: flipFirstByte(s.iv) })],
    ['wrapped key', (s) => ({ ...s, wrappedKey: flipFirstByte(s.wrappedKey) })],
  ])('refuses to open an envelope whose %s was tampered with', async (_part, tamper) => {
    const { vault } = setup();
    const sealed = await vault.seal(CARD, context);
    await expect(vault.open(tamper(sealed), context)).rejects.toThrow();
    expect(await vault.open(sealed, context)).toBe(CARD);
  });

  it('opens an envelope in a new vault over the same master key, as after a restart', async () => {
    const first = setup();
    const sealed = await first.vault.seal(CARD, context);
    const restarted = setup({}, first.masterKey);
    expect(await restarted.vault.open(sealed, context)).toBe(CARD);
  });

  it('cannot open an envelope under another master key', async () => {
    const sealed = await setup().vault.seal(CARD, context);
    await expect(setup().vault.open(sealed, context)).rejects.toThrow();
  });

  describe('data keys', () => {
    it('asks for one data key for many seals of one merchant, bound to that merchant', async () => {
      const { vault, keys } = setup();
      const sealed: SealedCardNumber[] = [];
      for (let i = 0; i < 25; i++) sealed.push(await vault.seal(CARD, { merchantId: MERCHANT, token: `tok_${i}` }));
      expect(keys.generated).toEqual([{ purpose: 'paygate:card-number', merchant_id: MERCHANT }]);
      expect(new Set(sealed.map((s) => s.wrappedKey)).size).toBe(1);
    });

    it('shares one data-key request among seals that arrive while it is in flight', async () => {
      const { vault, keys } = setup();
      const sealed = await Promise.all(
        Array.from({ length: 20 }, (_, i) => vault.seal(CARD, { merchantId: MERCHANT, token: `tok_${i}` })),
      );
      expect(keys.generated).toHaveLength(1);
      expect(new Set(sealed.map((s) => s.wrappedKey)).size).toBe(1);
    });

    it('asks for a new data key after dataKeyMaxUses seals', async () => {
      const { vault, keys } = setup({ dataKeyMaxUses: 3 });
      const sealed: SealedCardNumber[] = [];
      for (let i = 0; i < 7; i++) sealed.push(await vault.seal(CARD, { merchantId: MERCHANT, token: `tok_${i}` }));
      expect(keys.generated).toHaveLength(3);
      const wrapped = sealed.map((s) => s.wrappedKey);
      expect(new Set(wrapped.slice(0, 3)).size).toBe(1);
      expect(new Set(wrapped.slice(3, 6)).size).toBe(1);
      expect(new Set(wrapped).size).toBe(3);
      for (let i = 0; i < 7; i++) {
        expect(await vault.open(sealed[i] as SealedCardNumber, { merchantId: MERCHANT, token: `tok_${i}` })).toBe(CARD);
      }
    });

    it('asks for a new data key once the current one is dataKeyMaxAgeMs old', async () => {
      let now = 1_000_000;
      const { vault, keys } = setup({ dataKeyMaxAgeMs: 5_000, now: () => now });
      const first = await vault.seal(CARD, context);
      now += 4_999;
      const second = await vault.seal(CARD, context);
      expect(keys.generated).toHaveLength(1);
      expect(second.wrappedKey).toBe(first.wrappedKey);
      now += 1;
      const third = await vault.seal(CARD, context);
      expect(keys.generated).toHaveLength(2);
      expect(third.wrappedKey).not.toBe(first.wrappedKey);
      expect(await vault.open(first, context)).toBe(CARD);
    });

    it('gives each merchant its own data key', async () => {
      const { vault, keys } = setup();
      const a = await vault.seal(CARD, context);
      const b = await vault.seal(CARD, { merchantId: OTHER_MERCHANT, token: context.token });
      await vault.seal(CARD, context);
      expect(keys.generated.map((c) => c.merchant_id)).toEqual([MERCHANT, OTHER_MERCHANT]);
      expect(a.wrappedKey).not.toBe(b.wrappedKey);
    });

    it('unwraps a data key once for many opens, with the merchant as context', async () => {
      const sealer = setup();
      const sealed: SealedCardNumber[] = [];
      for (let i = 0; i < 10; i++) sealed.push(await sealer.vault.seal(CARD, { merchantId: MERCHANT, token: `tok_${i}` }));
      const opener = setup({}, sealer.masterKey);
      for (let i = 0; i < 10; i++) {
        await opener.vault.open(sealed[i] as SealedCardNumber, { merchantId: MERCHANT, token: `tok_${i}` });
      }
      expect(opener.keys.unwrapped).toEqual([{ purpose: 'paygate:card-number', merchant_id: MERCHANT }]);
    });

    it('unwraps the data key again once its cached copy is dataKeyMaxAgeMs old', async () => {
      const sealer = setup();
      const sealed = await sealer.vault.seal(CARD, context);
      let now = 0;
      const opener = setup({ dataKeyMaxAgeMs: 1_000, now: () => now }, sealer.masterKey);
      await opener.vault.open(sealed, context);
      now = 999;
      await opener.vault.open(sealed, context);
      expect(opener.keys.unwrapped).toHaveLength(1);
      now = 1_000;
      await opener.vault.open(sealed, context);
      expect(opener.keys.unwrapped).toHaveLength(2);
    });
  });

  describe('fingerprint', () => {
    it('is stable for the same card and merchant, also across vaults over the same master key', async () => {
      const { vault, masterKey } = setup();
      const a = await vault.fingerprint(CARD, MERCHANT);
      expect(await vault.fingerprint(CARD, MERCHANT)).toBe(a);
      expect(await setup({}, masterKey).vault.fingerprint(CARD, MERCHANT)).toBe(a);
      expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    });

    it('differs across merchants, cards and master keys', async () => {
      const { vault } = setup();
      const a = await vault.fingerprint(CARD, MERCHANT);
      expect(await vault.fingerprint(CARD, OTHER_MERCHANT)).not.toBe(a);
      expect(await vault.fingerprint(OTHER_CARD, MERCHANT)).not.toBe(a);
      expect(await setup().vault.fingerprint(CARD, MERCHANT)).not.toBe(a);
    });

    it('is not a plain sha256 of the card number in any encoding', async () => {
      const { vault } = setup();
      const fingerprint = await vault.fingerprint(CARD, MERCHANT);
      const digest = createHash('sha256').update(CARD).digest();
      const withMerchant = createHash('sha256').update(MERCHANT + CARD).digest();
      for (const d of [digest, withMerchant]) {
        for (const encoding of ['hex', 'base64', 'base64url'] as const) {
          const encoded = d.toString(encoding);
          expect(encoded.includes(fingerprint)).toBe(false);
          expect(encoded.slice(0, 22)).not.toBe(fingerprint);
        }
      }
    });

    it('derives the fingerprint key once per merchant, from a label naming the merchant', async () => {
      const { vault, keys } = setup();
      await vault.fingerprint(CARD, MERCHANT);
      await vault.fingerprint(OTHER_CARD, MERCHANT);
      await vault.fingerprint(CARD, OTHER_MERCHANT);
      expect(keys.derived).toEqual([`paygate:card-fingerprint:v1:${MERCHANT}`, `paygate:card-fingerprint:v1:${OTHER_MERCHANT}`]);
    });

    it('asks again for a fingerprint key after the key service failed', async () => {
      let failures = 1;
      const inner = new FileKeyService(randomBytes(32));
      const flaky: KeyService = {
        keyId: inner.keyId,
        generateDataKey: (c) => inner.generateDataKey(c),
        unwrapDataKey: (w, c) => inner.unwrapDataKey(w, c),
        deriveSecret: (purpose, label) => (failures-- > 0 ? Promise.reject(new Error('key service down')) : inner.deriveSecret(purpose, label)),
      };
      const vault = new EnvelopeVault(flaky, { dataKeyMaxAgeMs: 60_000, dataKeyMaxUses: 1_000 });
      await expect(vault.fingerprint(CARD, MERCHANT)).rejects.toThrow('key service down');
      expect(await vault.fingerprint(CARD, MERCHANT)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    });
  });
});

describe('vaultLimitedTo (what a function holding only its MAC purposes\' keys can do)', () => {
  const vault = new EnvelopeVault(new FileKeyService(randomBytes(32)), { dataKeyMaxAgeMs: 60_000, dataKeyMaxUses: 1_000 });

  it('derives the purposes it was given exactly as the whole vault does', async () => {
    const limited = vaultLimitedTo(vault, ['client-secret', 'card-fingerprint']);
    expect(await limited.mac('client-secret', MERCHANT, 'pi_1')).toEqual(await vault.mac('client-secret', MERCHANT, 'pi_1'));
    expect(await limited.fingerprint(CARD, MERCHANT)).toBe(await vault.fingerprint(CARD, MERCHANT));
  });

  it('refuses every other purpose, the fingerprint without card-fingerprint, and sealing or opening card data', async () => {
    const limited = vaultLimitedTo(vault, ['client-secret']);
    await expect(limited.mac('webhook-secret', MERCHANT, 'we_1:v1')).rejects.toThrow(/may not derive webhook-secret/);
    await expect(limited.mac('request-hash', MERCHANT, 'x')).rejects.toThrow(/may not derive request-hash/);
    await expect(limited.fingerprint(CARD, MERCHANT)).rejects.toThrow(/may not derive card-fingerprint/);
    const sealed = await vault.seal(CARD, { merchantId: MERCHANT, token: 'tok_1' });
    await expect(limited.seal(CARD, { merchantId: MERCHANT, token: 'tok_1' })).rejects.toThrow(/may not seal/);
    await expect(limited.open(sealed, { merchantId: MERCHANT, token: 'tok_1' })).rejects.toThrow(/may not open/);
    await expect(vaultLimitedTo(vault, []).mac('client-secret', MERCHANT, 'pi_1')).rejects.toThrow(/none/);
  });
});
