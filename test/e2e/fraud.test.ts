/**
 * The fraud engine over HTTP (API.md, "Fraud decisions"): counters across requests catch a card
 * tester, on a server call that passes the shopper's IP and on the public confirm, which counts the
 * caller's own; the test cards keep their documented answers.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { UNTHROTTLED, card, expectError, onboardMerchant, paymentBody, type Answer } from './helpers.ts';

let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGatewayProcess(UNTHROTTLED);
});

afterAll(async () => {
  await gateway?.stop();
  if (gateway) rmSync(gateway.dataDir, { recursive: true, force: true });
});

/** A Visa number that passes Luhn, a different one for each `n`. */
function visa(n: number): string {
  const body = `4242424${String(n).padStart(8, '0')}`;
  const digits = [...body].map(Number).reverse();
  const sum = digits.reduce((acc, d, i) => acc + (i % 2 === 0 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
  return `${body}${(10 - (sum % 10)) % 10}`;
}

type Rule = { id: string; weight: number; reason: string };

describe('a card-testing run', () => {
  it('of 25 distinct cards in small amounts from one IP within a minute: the later ones are reviewed, then declined, and the rules say why', async () => {
    const shop = await onboardMerchant(gateway.url, 'Card Tested Shop');
    const answers: Answer[] = [];
    for (let i = 0; i < 25; i++) {
      answers.push(await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ amount: 100, card: card(visa(i)), customer: { ip: '203.0.113.50' } })));
    }
    const outcome = answers.map((a) => (a.status === 201 ? (a.body.fraud.decision as string) : (a.body.error.code as string)));
    expect(outcome.slice(0, 3)).toEqual(['approve', 'approve', 'approve']);
    expect(outcome[3]).toBe('review');
    expect(outcome.slice(4)).toEqual(Array(21).fill('fraud_declined'));

    const reviewed = answers[3]!.body as { id: string; status: string; fraud: { score: number; rules: Rule[] } };
    expect(reviewed.status).toBe('authorized');
    expect(reviewed.fraud.rules).toEqual([{ id: 'small_amount_burst', weight: 30, reason: expect.stringContaining('small amounts from this IP address') }]);
    const declined = await shop.call('GET', `/api/v1/payments/${answers[24]!.body.error.payment_id as string}`);
    expect(declined.body.status).toBe('failed');
    expect((declined.body.fraud.rules as Rule[]).map((r) => r.id)).toEqual(expect.arrayContaining(['ip_card_testing', 'small_amount_burst']));
    expect(declined.body.fraud.score).toBeGreaterThan(70);

    // The reviewed payment is announced as such, beside its authorization.
    const events = await shop.call('GET', '/api/v1/events?type=payment.review_required');
    expect(events.body.data.map((e: { data: { object: { id: string } } }) => e.data.object.id)).toEqual([reviewed.id]);
  });

  it('through the public confirm, counted by the shopper’s own IP', async () => {
    const shop = await onboardMerchant(gateway.url, 'Checkout Tested Shop');
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const intent = await shop.call('POST', '/api/v1/payment-intents', {
        amount: 100,
        currency: 'USD',
        success_url: 'https://shop.example/ok',
        cancel_url: 'https://shop.example/cancel',
      });
      expect(intent.status, JSON.stringify(intent.body)).toBe(201);
      const confirm = await fetch(`${gateway.url}/api/public/payment-intents/${intent.body.id as string}/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_secret: intent.body.client_secret, card: card(visa(100 + i)), customer_email: 'shopper@example.com' }),
      });
      const body = (await confirm.json()) as { error?: { code: string }; payment_id?: string };
      outcomes.push(confirm.status === 200 ? 'paid' : body.error!.code);
    }
    expect(outcomes).toEqual(['paid', 'paid', 'paid', 'paid', 'fraud_declined', 'fraud_declined']);
  });
});

describe('the test cards', () => {
  it('keep their documented answers for a shopper trying again from one IP, until a declined card is tried too often', async () => {
    const shop = await onboardMerchant(gateway.url, 'Returning Shopper Shop');
    const declining = () => paymentBody({ card: card('4000000000000002'), customer: { ip: '203.0.113.60' } });
    for (let i = 0; i < 5; i++) {
      const ok = await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ customer: { ip: '203.0.113.60' } }));
      expect(ok.status, JSON.stringify(ok.body)).toBe(201);
      expectError(await shop.call('POST', '/api/v1/payments/authorize', declining()), 402, 'card_declined', { decline_code: 'do_not_honor' });
    }
    // The sixth decline of one card from one IP within the hour: the rules refuse it before the issuer is asked.
    const refused = await shop.call('POST', '/api/v1/payments/authorize', declining());
    expectError(refused, 402, 'fraud_declined');
    const payment = await shop.call('GET', `/api/v1/payments/${refused.body.error.payment_id as string}`);
    expect((payment.body.fraud.rules as Rule[]).map((r) => r.id)).toEqual(['card_recent_declines', 'card_velocity', 'ip_declines', 'ip_velocity']);
    // Without the shopper's IP, the card rules alone review but do not decline: the issuer answers.
    expectError(await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ card: card('4000000000000002') })), 402, 'card_declined');
    expectError(await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ card: card('4000000000000259') })), 402, 'fraud_declined');
  });
});
