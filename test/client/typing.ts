/**
 * The client's types, checked by `tsc --noEmit` (npm test's typecheck): what the schemas say a
 * caller sends and gets. A schema change the client does not follow fails here or in the
 * generated sources' test (client-generated.test.ts).
 */
import type { Paygate } from '../../client/src/index.ts';
import type { Answer, Payment, RequestBody } from '../../client/src/types.ts';
import type { z } from 'zod';
import type { NewPaymentBody, RefundBody } from '../../shared/http/schemas.ts';
import type { PaymentAnswer, TransactionListAnswer } from '../../lib/openapi/answers.ts';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <T extends true>(): T => true as T;

// Answers are the zod answer schemas' output, requests their input (up to what JSON Schema says: currency is a string of 3).
same<Same<Payment['status'], z.output<typeof PaymentAnswer>['status']>>();
same<Same<keyof Payment, keyof z.output<typeof PaymentAnswer>>>();
same<Same<keyof Answer<'listTransactions'>, keyof z.output<typeof TransactionListAnswer>>>();
same<Same<keyof RequestBody<'authorizePayment'>, keyof z.input<typeof NewPaymentBody>>>();
same<Same<keyof RequestBody<'refundPayment'>, keyof z.input<typeof RefundBody>>>();

export async function callersAreTyped(paygate: Paygate): Promise<void> {
  const payment = await paygate.payments.authorize({ amount: 9999, currency: 'USD', card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvv: '123' } });
  same<Same<typeof payment, Payment>>();
  // @ts-expect-error amounts are integers in minor units, not strings
  await paygate.payments.authorize({ amount: '99.99', currency: 'USD', card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvv: '123' } });
  // @ts-expect-error an unknown field
  await paygate.payments.capture(payment.id, { amout: 5 });
  // @ts-expect-error a status transactions do not have
  paygate.transactions.list({ status: 'partially_refunded' });
  for await (const transaction of paygate.transactions.list({ status: 'captured' })) {
    const type: 'authorize' | 'sale' | 'capture' | 'void' | 'refund' | 'expire' = transaction.type;
    void type;
  }
  const page = await paygate.events.list({ type: 'payment.captured' });
  same<Same<typeof page.has_more, boolean>>();
  void page;
}
