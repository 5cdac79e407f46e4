import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { fraudKeys } from '../../shared/adapters/dynamodb/fraud-records.ts';
import type { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { createPayment } from '../../shared/commands/payments.ts';
import { ApiError } from '../../shared/domain/errors.ts';
import { visa } from '../support/cards.ts';
import { newPayment, testDependencies, type TestDependencies } from '../support/deps.ts';

let deps: TestDependencies;
let merchantId: string;

beforeAll(async () => {
  deps = await testDependencies();
  ({ merchant: { id: merchantId } } = await createMerchant(deps, 'Fraud Merchant'));
});

const card = (n: number) => ({ number: visa(n), expMonth: 12, expYear: 2030, cvv: '123' });
const fingerprintOf = (n: number) => deps.vault.fingerprint(visa(n), merchantId);

async function counterItem(key: { pk: string; sk: string }) {
  const store = deps.store as DynamoDbStore;
  return (await store.fraud['table'].doc.send(new GetCommand({ TableName: store.fraud['table'].tableName, Key: key, ConsistentRead: true }))).Item;
}

describe('the fraud counters', () => {
  it('count every one of 20 concurrent attempts from one IP, each with its own card, in the attempts’ own commits', async () => {
    const shopperIp = '198.51.100.20';
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => createPayment(deps, merchantId, { ...newPayment({ amount: 5_000 }), card: card(1_000 + i), clientIp: shopperIp })),
    );
    // Each commit is a payment, whatever the rules decided of it (a decline commits as a failed payment).
    const payments = results.map((r) => (r.status === 'fulfilled' ? r.value.id : (r.reason as ApiError).details.paymentId));
    expect(payments.every((id) => typeof id === 'string')).toBe(true);

    const signals = await deps.store.readFraudSignals({ merchantId, fingerprint: await fingerprintOf(1_000), email: null, clientIp: shopperIp, currency: 'USD' }, deps.clock.now().getTime());
    expect(signals.history.ip).toEqual({ attempts: 20, declines: expect.any(Number), newCards: expect.any(Number), smallAmounts: 0 });
    // Concurrent first attempts of new cards all read "new": between the first (which saw none) and all 20.
    expect(signals.history.ip!.newCards).toBeGreaterThanOrEqual(1);
    expect(signals.history.card).toEqual({ attempts: 1, declines: 0 });
  });

  it('see a card tester: distinct cards in small amounts from one IP are reviewed, then declined with the rule named', async () => {
    const shopperIp = '198.51.100.21';
    const decisions: string[] = [];
    for (let i = 0; i < 8; i++) {
      try {
        const payment = await createPayment(deps, merchantId, { ...newPayment({ amount: 100 }), card: card(2_000 + i), clientIp: shopperIp });
        decisions.push(payment.fraud.decision);
      } catch (error) {
        expect((error as ApiError).code).toBe('fraud_declined');
        const declined = await deps.store.getPayment(merchantId, (error as ApiError).details.paymentId!);
        expect(declined!.fraud.rules.map((r) => r.id)).toEqual(expect.arrayContaining(['ip_card_testing', 'small_amount_burst']));
        decisions.push('decline');
      }
    }
    expect(decisions).toEqual(['approve', 'approve', 'approve', 'review', 'decline', 'decline', 'decline', 'decline']);
  });

  it('count a card’s declines, and decline it again once it was declined twice (card_recent_declines)', async () => {
    const declining = { number: '4000000000000002', expMonth: 12, expYear: 2030, cvv: '123' };
    const other = await createMerchant(deps, 'Declines Merchant');
    const tries = [];
    for (let i = 0; i < 3; i++) {
      tries.push(await createPayment(deps, other.merchant.id, { ...newPayment(), card: declining }).catch((error: ApiError) => error));
    }
    expect(tries.map((t) => (t as ApiError).code)).toEqual(['card_declined', 'card_declined', 'card_declined']);
    const third = await deps.store.getPayment(other.merchant.id, (tries[2] as ApiError).details.paymentId!);
    // 30: reviewed, still sent to the issuer, which declines it as before (the test card keeps its answer).
    expect(third!.fraud).toMatchObject({ score: 30, decision: 'review', rules: [{ id: 'card_recent_declines', weight: 30 }] });
  });

  it('keep counts per merchant: another merchant’s attempts with the same card and IP count nowhere here', async () => {
    const shopperIp = '198.51.100.22';
    const other = await createMerchant(deps, 'Other Merchant');
    await createPayment(deps, other.merchant.id, { ...newPayment(), card: card(3_000), clientIp: shopperIp });
    const here = await deps.store.readFraudSignals({ merchantId, fingerprint: await fingerprintOf(3_000), email: null, clientIp: shopperIp, currency: 'USD' }, deps.clock.now().getTime());
    expect(here.history).toMatchObject({ card: { attempts: 0, declines: 0 }, ip: { attempts: 0, declines: 0, newCards: 0, smallAmounts: 0 } });
  });

  it('forget attempts older than the hour, and remove their buckets when counting again', async () => {
    const shopperIp = '198.51.100.23';
    await createPayment(deps, merchantId, { ...newPayment(), card: card(4_000), clientIp: shopperIp });
    deps.clock.advance(61 * 60_000 + 5 * 60_000);
    const later = await deps.store.readFraudSignals({ merchantId, fingerprint: await fingerprintOf(4_000), email: null, clientIp: shopperIp, currency: 'USD' }, deps.clock.now().getTime());
    expect(later.history.card.attempts).toBe(0);
    await createPayment(deps, merchantId, { ...newPayment(), card: card(4_000), clientIp: shopperIp });
    const item = await counterItem(fraudKeys.card(merchantId, await fingerprintOf(4_000)));
    // One bucket left: the new attempt's (the old one was removed by the same update).
    expect(Object.keys(item!).filter((k) => k.startsWith('a_'))).toHaveLength(1);
    expect(item!['ttl']).toBeGreaterThan(Math.floor(deps.clock.now().getTime() / 1000));
  });

  it('count no IP for a server call without customer.ip', async () => {
    await createPayment(deps, merchantId, { ...newPayment(), card: card(5_000) });
    const signals = await deps.store.readFraudSignals({ merchantId, fingerprint: await fingerprintOf(5_000), email: null, clientIp: null, currency: 'USD' }, deps.clock.now().getTime());
    expect(signals.history).toMatchObject({ card: { attempts: 1, declines: 0 }, ip: null });
  });

  it('count a merchant’s usual amounts per currency: every one of 24 concurrent approved payments, not declines, for a week', async () => {
    const { merchant } = await createMerchant(deps, 'Usual Amounts Merchant');
    const usual = async (currency: 'USD' | 'EUR') =>
      (await deps.store.readFraudSignals({ merchantId: merchant.id, fingerprint: await fingerprintOf(6_000), email: null, clientIp: null, currency }, deps.clock.now().getTime())).history.merchant;
    // Concurrent payments of one merchant: spread over the shards, none lost (a conflict is retried by the commit).
    await Promise.all(Array.from({ length: 24 }, (_, i) => createPayment(deps, merchant.id, { ...newPayment({ amount: 1_000 }), card: card(6_100 + i) })));
    await createPayment(deps, merchant.id, { ...newPayment({ amount: 1_000 }), card: { ...card(0), number: '4000000000000002' } }).catch((error: ApiError) => error);
    await createPayment(deps, merchant.id, { ...newPayment({ amount: 7_000, currency: 'EUR' }), card: card(6_200) });
    expect(await usual('USD')).toEqual({ payments: 24, amountTotal: 24_000 });
    expect(await usual('EUR')).toEqual({ payments: 1, amountTotal: 7_000 });

    // Ten times the average is usual enough; more is reviewed, the rule named.
    const tenTimes = await createPayment(deps, merchant.id, { ...newPayment({ amount: 10_000 }), card: card(6_300) });
    expect(tenTimes.fraud.rules).toEqual([]);
    const far = await createPayment(deps, merchant.id, { ...newPayment({ amount: 60_000 }), card: card(6_301) });
    expect(far.fraud).toMatchObject({ decision: 'review', rules: [{ id: 'amount_far_above_usual', weight: 30 }] });
    // In EUR the merchant has no usual amount yet (one payment): nothing is far above it.
    expect((await createPayment(deps, merchant.id, { ...newPayment({ amount: 90_000, currency: 'EUR' }), card: card(6_302) })).fraud.rules).toEqual([]);

    deps.clock.advance(8 * 86_400_000);
    expect(await usual('USD')).toEqual({ payments: 0, amountTotal: 0 });
  });
});
