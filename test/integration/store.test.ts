import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { endpoint as authorizeEndpoint } from '../../functions/payments/authorize-payment.ts';
import { createMerchant, hashApiKey, revokeApiKey, issueApiKey, authenticateApiKey } from '../../shared/commands/merchants.ts';
import { capturePayment, createPayment } from '../../shared/commands/payments.ts';
import { buildHandler } from '../../shared/http/endpoint.ts';
import { decideCapture, type Transaction } from '../../shared/domain/payment.ts';
import { IdempotencyLockLostError, PaymentChangedError, type Issuer } from '../../shared/ports.ts';
import { heldKey, newPayment, testDependencies, type TestDependencies } from '../support/deps.ts';
import { httpEvent } from '../support/events.ts';

let deps: TestDependencies;
let merchantId: string;
let apiKey: string;

beforeAll(async () => {
  deps = await testDependencies();
  const created = await createMerchant(deps, 'Store Merchant');
  merchantId = created.merchant.id;
  apiKey = created.key.apiKey;
});

describe('a commit is all or nothing', () => {
  it('writes neither payment, transaction nor card token when the idempotency lock was lost', async () => {
    const ids: string[] = [];
    const recordingIds = { ...deps.ids, next: (kind: Parameters<typeof deps.ids.next>[0]) => { const id = deps.ids.next(kind); ids.push(id); return id; } };
    const lock = { recordId: `${merchantId}#lost`, ownerToken: 'not-the-owner', expiresAtEpochSeconds: 2_000_000_000 };

    await expect(
      createPayment({ ...deps, ids: recordingIds }, merchantId, newPayment(), heldKey(lock)),
    ).rejects.toBeInstanceOf(IdempotencyLockLostError);

    const paymentId = ids.find((id) => id.startsWith('pay_'))!;
    const transactionId = ids.find((id) => id.startsWith('txn_'))!;
    expect(await deps.store.getPayment(merchantId, paymentId)).toBeNull();
    expect(await deps.store.getTransaction(merchantId, transactionId)).toBeNull();
  });

  it('leaves the payment unchanged when its transaction record cannot be written', async () => {
    const payment = await createPayment(deps, merchantId, newPayment({ amount: 300 }));
    const existing = (await deps.store.listTransactions(merchantId, { limit: 1, offset: 0 })).items[0]!;
    // Force the capture's transaction id to collide with an existing transaction.
    const collidingIds = { ...deps.ids, next: (kind: Parameters<typeof deps.ids.next>[0]) => (kind === 'transaction' ? existing.id : deps.ids.next(kind)) };

    await expect(capturePayment({ ...deps, ids: collidingIds }, merchantId, payment.id, undefined)).rejects.toThrow();

    const stored = await deps.store.getPayment(merchantId, payment.id);
    expect(stored?.status).toBe('authorized');
    expect(stored?.version).toBe(1);
  });

  it('stores nothing and forgets the idempotency key when the issuer fails, so the retry runs again', async () => {
    let calls = 0;
    const flakyIssuer: Issuer = {
      authorize: async (request) => {
        calls++;
        if (calls === 1) throw new Error('issuer connection reset');
        return deps.issuer.authorize(request);
      },
    };
    const handler = buildHandler(authorizeEndpoint, { ...deps, issuer: flakyIssuer });
    const event = () =>
      httpEvent({
        method: 'POST',
        path: '/api/v1/payments/authorize',
        body: { amount: 4321, currency: 'USD', card: { number: '4242424242424242', exp_month: 1, exp_year: 2031, cvv: '999' } },
        headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': 'issuer-down' },
      });
    const before = (await deps.store.listTransactions(merchantId, { limit: 100, offset: 0 })).items.length;

    const failed = await handler(event());
    expect(failed.statusCode).toBe(500);
    expect(JSON.parse(failed.body).error.code).toBe('internal_error');
    expect(failed.body).not.toContain('issuer connection reset');
    expect((await deps.store.listTransactions(merchantId, { limit: 100, offset: 0 })).items.length).toBe(before);

    const retried = await handler(event());
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });
});

describe('reads are scoped to the merchant', () => {
  it('answers null for another merchant’s payment and transaction', async () => {
    const other = await createMerchant(deps, 'Other Merchant');
    const payment = await createPayment(deps, merchantId, newPayment());
    const transaction = (await deps.store.listTransactions(merchantId, { limit: 1, offset: 0 })).items[0]!;

    expect(await deps.store.getPayment(other.merchant.id, payment.id)).toBeNull();
    expect(await deps.store.getTransaction(other.merchant.id, transaction.id)).toBeNull();
    expect(await deps.store.getPayment(merchantId, payment.id)).not.toBeNull();
  });

  it('refuses to commit a change to a payment under another merchant', async () => {
    const payment = await createPayment(deps, merchantId, newPayment());
    const other = await createMerchant(deps, 'Sneaky Merchant');
    await expect(capturePayment(deps, other.merchant.id, payment.id, undefined)).rejects.toMatchObject({ code: 'resource_not_found' });
  });

  it('refuses, in the database, a commit that would move a payment to another merchant, even at the right version', async () => {
    const payment = await createPayment(deps, merchantId, newPayment());
    const other = await createMerchant(deps, 'Thief Merchant');
    const { next, transaction, precondition } = decideCapture(payment, undefined, deps.clock.now())!;
    await expect(
      deps.store.commitPayment({
        payment: { ...next, merchantId: other.merchant.id },
        precondition,
        transaction: { ...transaction, id: deps.ids.next('transaction'), merchantId: other.merchant.id },
        events: [],
      }),
    ).rejects.toBeInstanceOf(PaymentChangedError);
    expect(await deps.store.getPayment(merchantId, payment.id)).toMatchObject({ status: 'authorized', version: payment.version });
  });
});

describe('transaction lists', () => {
  it('pages newest first with offset, limit and has_more, and filters by status', async () => {
    const fresh = await createMerchant(deps, 'List Merchant');
    const m = fresh.merchant.id;
    for (let i = 0; i < 5; i++) {
      await createPayment(deps, m, newPayment({ amount: 100 + i }));
      deps.clock.advance(1000);
    }
    await createPayment(deps, m, newPayment({ amount: 999, card: { number: '4000000000000002', expMonth: 12, expYear: 2030, cvv: '123' } })).catch(() => undefined);

    const first = await deps.store.listTransactions(m, { limit: 2, offset: 0 });
    expect(first.items.map((t: Transaction) => t.amount)).toEqual([999, 104]);
    expect(first.hasMore).toBe(true);
    const last = await deps.store.listTransactions(m, { limit: 2, offset: 4 });
    expect(last.items.map((t) => t.amount)).toEqual([101, 100]);
    expect(last.hasMore).toBe(false);
    const failed = await deps.store.listTransactions(m, { status: 'failed', limit: 10, offset: 0 });
    expect(failed.items.map((t) => t.amount)).toEqual([999]);
    const authorized = await deps.store.listTransactions(m, { status: 'authorized', limit: 10, offset: 0 });
    expect(authorized.items).toHaveLength(5);
  });
});

describe('merchants and API keys', () => {
  it('stores a key only as its hash, and a revoked key stops authenticating at once', async () => {
    const { merchant, key } = await createMerchant(deps, 'Key Merchant');
    const { record } = await deps.store.findApiKey(hashApiKey(key.apiKey));
    expect(record?.merchantId).toBe(merchant.id);
    expect(JSON.stringify(record)).not.toContain(key.apiKey);
    expect(await authenticateApiKey(deps, key.apiKey, '192.0.2.1')).toBe(merchant.id);

    const second = await issueApiKey(deps, merchant.id);
    expect(await authenticateApiKey(deps, second.key.apiKey, '192.0.2.1')).toBe(merchant.id);
    await revokeApiKey(deps, merchant.id, key.record.id);
    await expect(authenticateApiKey(deps, key.apiKey, '192.0.2.1')).rejects.toMatchObject({ code: 'invalid_api_key' });
    expect(await authenticateApiKey(deps, second.key.apiKey, '192.0.2.1')).toBe(merchant.id);
  });

  it('does not let one merchant revoke another merchant’s key', async () => {
    const a = await createMerchant(deps, 'A');
    const b = await createMerchant(deps, 'B');
    await expect(revokeApiKey(deps, b.merchant.id, a.key.record.id)).rejects.toMatchObject({ code: 'resource_not_found' });
    expect(await authenticateApiKey(deps, a.key.apiKey, '192.0.2.1')).toBe(a.merchant.id);
  });

  it('slows a client guessing keys: past its failures of the minute its wrong keys get 429, while a live key from the same IP still works', async () => {
    const { merchant, key } = await createMerchant(deps, 'Guessed Merchant');
    deps.settings.rateLimits.authFailuresPerMinute = 5;
    try {
      const guesser = `198.51.100.${Math.floor(Math.random() * 250)}`;
      const guess = () => `sk_test_${randomBytes(24).toString('hex').slice(0, 32)}`;
      for (let i = 0; i < 5; i++) await expect(authenticateApiKey(deps, guess(), guesser)).rejects.toMatchObject({ code: 'invalid_api_key' });
      await expect(authenticateApiKey(deps, guess(), guesser)).rejects.toMatchObject({ code: 'rate_limit_exceeded', status: 429 });
      // A live key from that IP still works: whoever shares the merchant's outbound IP cannot lock it out.
      expect(await authenticateApiKey(deps, key.apiKey, guesser)).toBe(merchant.id);
      await expect(authenticateApiKey(deps, guess(), guesser)).rejects.toMatchObject({ code: 'rate_limit_exceeded' });
      // Another client is not affected; the next minute, the guesser's wrong keys are 401 again.
      await expect(authenticateApiKey(deps, guess(), '203.0.113.9')).rejects.toMatchObject({ code: 'invalid_api_key' });
      deps.clock.advance(60_000);
      await expect(authenticateApiKey(deps, guess(), guesser)).rejects.toMatchObject({ code: 'invalid_api_key' });
      // A merchant's own successes count nothing.
      for (let i = 0; i < 10; i++) expect(await authenticateApiKey(deps, key.apiKey, guesser)).toBe(merchant.id);
    } finally {
      deps.settings.rateLimits.authFailuresPerMinute = 1000;
    }
  });

  it('refuses a key for a merchant that does not exist', async () => {
    await expect(issueApiKey(deps, 'mch_000000000000000000000000')).rejects.toMatchObject({ code: 'resource_not_found' });
  });
});
