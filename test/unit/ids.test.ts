import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cryptoIds, systemClock } from '../../shared/adapters/system.ts';
import { base62FromBytes, ID_PREFIXES, ID_RANDOM_LENGTH, idPattern, type IdKind } from '../../shared/domain/ids.ts';

const KINDS = Object.keys(ID_PREFIXES) as IdKind[];
const BASE62 = /^[0-9A-Za-z]*$/;

describe('cryptoIds', () => {
  it.each(KINDS)('makes a %s id of its prefix and 24 base62 characters, which its idPattern accepts', (kind) => {
    const id = cryptoIds.next(kind);
    const prefix = ID_PREFIXES[kind];
    expect(id.startsWith(prefix)).toBe(true);
    expect(id.slice(prefix.length)).toMatch(/^[0-9A-Za-z]{24}$/);
    expect(id).toMatch(idPattern(kind));
  });

  it('uses the documented prefixes', () => {
    expect(ID_PREFIXES).toMatchObject({
      payment: 'pay_',
      transaction: 'txn_',
      token: 'tok_',
      merchant: 'mch_',
      paymentIntent: 'pi_',
      event: 'evt_',
      webhookEndpoint: 'we_',
    });
    expect(ID_RANDOM_LENGTH).toBe(24);
  });

  it('never draws the same id twice in 10000 draws', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => cryptoIds.next('payment')));
    expect(ids.size).toBe(10_000);
  });

  it('draws ids whose characters cover the whole base62 alphabet', () => {
    const seen = new Set(Array.from({ length: 5_000 }, () => cryptoIds.next('transaction').slice(4)).join(''));
    expect(seen.size).toBe(62);
  });

  it('makes secrets of the requested length in base62, each different', () => {
    const a = cryptoIds.secret(32);
    const b = cryptoIds.secret(32);
    expect(a).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(cryptoIds.secret(100)).toHaveLength(100);
    expect(a).not.toBe(b);
  });
});

describe('base62FromBytes', () => {
  it('maps each byte below 248 to the base62 digit of its value modulo 62', () => {
    expect(base62FromBytes(Uint8Array.from([0, 9, 10, 35, 36, 61, 62, 247]), 8)).toBe('09AZaz0z');
  });

  it('skips bytes of 248 and above, so that every digit is equally likely', () => {
    expect(base62FromBytes(Uint8Array.from([248, 0, 255, 1, 250, 2]), 3)).toBe('012');
  });

  it('stops at the requested length and ignores the remaining bytes', () => {
    expect(base62FromBytes(Uint8Array.from([1, 2, 3, 248, 249]), 2)).toBe('12');
  });

  it('throws when too few usable bytes are given', () => {
    expect(() => base62FromBytes(Uint8Array.from([248, 249, 250, 251, 1]), 2)).toThrow(/not enough random bytes/);
    expect(() => base62FromBytes(new Uint8Array(0), 1)).toThrow(/not enough random bytes/);
  });

  it('returns exactly the requested length in base62 whenever enough usable bytes are given', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 64 }), (bytes, length) => {
        const usable = bytes.filter((b) => b < 248).length;
        if (usable >= length) {
          const out = base62FromBytes(bytes, length);
          expect(out).toHaveLength(length);
          expect(out).toMatch(BASE62);
        } else {
          expect(() => base62FromBytes(bytes, length)).toThrow();
        }
      }),
    );
  });

  it('gives every byte value below 248 exactly four bytes per digit', () => {
    const counts = new Map<string, number>();
    for (let b = 0; b < 248; b++) {
      const digit = base62FromBytes(Uint8Array.from([b]), 1);
      counts.set(digit, (counts.get(digit) ?? 0) + 1);
    }
    expect(counts.size).toBe(62);
    expect(new Set(counts.values())).toEqual(new Set([4]));
  });
});

describe('idPattern', () => {
  const random = (n: number) => 'aB3'.repeat(30).slice(0, n);

  it('accepts the prefix followed by 20 to 64 base62 characters', () => {
    expect(`pay_${random(20)}`).toMatch(idPattern('payment'));
    expect(`pay_${random(64)}`).toMatch(idPattern('payment'));
  });

  it.each([
    ['19 characters', `pay_${random(19)}`],
    ['65 characters', `pay_${random(65)}`],
    ['another kind of id', `txn_${random(24)}`],
    ['a character outside base62', `pay_${random(23)}-`],
    ['an underscore', `pay_${random(23)}_`],
    ['something before the prefix', `xpay_${random(24)}`],
    ['a trailing newline', `pay_${random(24)}\n`],
    ['an uppercase prefix', `PAY_${random(24)}`],
  ])('rejects %s', (_label, id) => {
    expect(id).not.toMatch(idPattern('payment'));
  });
});

describe('systemClock', () => {
  it('tells the current time', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
