import { beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { capturePayment, createPayment, refundPayment, voidPayment } from '../../shared/commands/payments.ts';
import { ApiError } from '../../shared/domain/errors.ts';
import { newPayment, testDependencies, type TestDependencies } from '../support/deps.ts';

let deps: TestDependencies;
let merchantId: string;

beforeAll(async () => {
  deps = await testDependencies();
  ({ merchant: { id: merchantId } } = await createMerchant(deps, 'Race Merchant'));
});

async function allTransactions(paymentId: string) {
  const page = await deps.store.listTransactions(merchantId, { limit: 100, offset: 0 });
  return page.items.filter((t) => t.paymentId === paymentId);
}

function settle<T>(promises: Promise<T>[]) {
  return Promise.allSettled(promises).then((results) => ({
    succeeded: results.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled').map((r) => r.value),
    failed: results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown),
  }));
}

describe('concurrent operations on one payment are settled by the database', () => {
  it('lets exactly 10 of 50 concurrent refunds of 100 through on a captured 1000, and stores 1000 refunded', async () => {
    const payment = await createPayment(deps, merchantId, newPayment({ amount: 1000, capture: true }));

    const { succeeded, failed } = await settle(
      Array.from({ length: 50 }, () => refundPayment(deps, merchantId, payment.id, 100, null)),
    );

    expect(succeeded).toHaveLength(10);
    expect(failed).toHaveLength(40);
    for (const error of failed) {
      expect(error).toBeInstanceOf(ApiError);
      expect(['already_refunded', 'amount_too_high']).toContain((error as ApiError).code);
    }
    const stored = await deps.store.getPayment(merchantId, payment.id);
    expect(stored?.amountRefunded).toBe(1000);
    expect(stored?.status).toBe('refunded');
    expect(stored?.version).toBe(11);
    const refunds = (await allTransactions(payment.id)).filter((t) => t.type === 'refund');
    expect(refunds).toHaveLength(10);
    expect(refunds.reduce((sum, t) => sum + t.amount, 0)).toBe(1000);
  });

  it('never refunds more than captured when concurrent refunds of uneven amounts race', async () => {
    const payment = await createPayment(deps, merchantId, newPayment({ amount: 1000, capture: true }));
    const amounts = [300, 300, 300, 300, 250, 250, 150, 150, 99, 1];

    const { succeeded } = await settle(amounts.map((a) => refundPayment(deps, merchantId, payment.id, a, null)));

    const stored = await deps.store.getPayment(merchantId, payment.id);
    const refunds = (await allTransactions(payment.id)).filter((t) => t.type === 'refund');
    const refundedTotal = refunds.reduce((sum, t) => sum + t.amount, 0);
    expect(refundedTotal).toBeLessThanOrEqual(1000);
    expect(stored?.amountRefunded).toBe(refundedTotal);
    expect(refunds).toHaveLength(succeeded.length);
  });

  it('captures an authorization once when 20 captures race', async () => {
    const payment = await createPayment(deps, merchantId, newPayment({ amount: 5000 }));

    const { succeeded, failed } = await settle(
      Array.from({ length: 20 }, () => capturePayment(deps, merchantId, payment.id, undefined)),
    );

    expect(succeeded).toHaveLength(1);
    expect(failed.every((e) => e instanceof ApiError && e.code === 'already_captured')).toBe(true);
    const stored = await deps.store.getPayment(merchantId, payment.id);
    expect(stored?.status).toBe('captured');
    expect(stored?.amountCaptured).toBe(5000);
    expect((await allTransactions(payment.id)).filter((t) => t.type === 'capture')).toHaveLength(1);
  });

  it('lets exactly one of racing captures and voids win, and stores only its transaction', async () => {
    const payment = await createPayment(deps, merchantId, newPayment({ amount: 700 }));

    const { succeeded } = await settle([
      ...Array.from({ length: 5 }, () => capturePayment(deps, merchantId, payment.id, undefined)),
      ...Array.from({ length: 5 }, () => voidPayment(deps, merchantId, payment.id, 'race')),
    ]);

    expect(succeeded).toHaveLength(1);
    const stored = await deps.store.getPayment(merchantId, payment.id);
    const changes = (await allTransactions(payment.id)).filter((t) => t.type === 'capture' || t.type === 'void');
    expect(changes).toHaveLength(1);
    expect(stored?.status).toBe(changes[0]?.type === 'capture' ? 'captured' : 'voided');
  });
});
