/**
 * The fraud engine over HTTP (API.md, "Fraud decisions"): counters across requests catch a card
 * tester, on a server call that passes the shopper's IP and on the public confirm, which counts the
 * caller's own; the test cards keep their documented answers.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { visa } from '../support/cards.ts';
import { UNTHROTTLED, card, expectError, onboardMerchant, paymentBody, type Answer } from './helpers.ts';

let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGatewayProcess(UNTHROTTLED);
});

afterAll(async () => {
  await gateway?.stop();
  if (gateway) rmSync(gateway.dataDir, { recursive: true, force: true });
});

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
  it('keep their documented answers for a shopper trying a declined card again and again from one IP: the rules review, the issuer answers', async () => {
    const shop = await onboardMerchant(gateway.url, 'Returning Shopper Shop');
    const declining = () => paymentBody({ card: card('4000000000000002'), customer: { ip: '203.0.113.60' } });
    let lastDecline: Answer | undefined;
    for (let i = 0; i < 12; i++) {
      if (i < 5) {
        const ok = await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ customer: { ip: '203.0.113.60' } }));
        expect(ok.status, JSON.stringify(ok.body)).toBe(201);
      }
      lastDecline = await shop.call('POST', '/api/v1/payments/authorize', declining());
      expectError(lastDecline, 402, 'card_declined', { decline_code: 'do_not_honor' });
    }
    // The twelfth decline of one card from one IP within the hour: flagged for review, declined by the issuer as documented.
    const payment = await shop.call('GET', `/api/v1/payments/${lastDecline!.body.error.payment_id as string}`);
    expect(payment.body.fraud.decision).toBe('review');
    expect((payment.body.fraud.rules as Rule[]).map((r) => r.id)).toEqual(['card_recent_declines', 'card_velocity', 'ip_declines']);
    // Without the shopper's IP, the card rules alone review too: the issuer answers.
    expectError(await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ card: card('4000000000000002') })), 402, 'card_declined');
    expectError(await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ card: card('4000000000000259') })), 402, 'fraud_declined');
    // The good card, tried again from that IP, is still approved.
    const ok = await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ card: card('5555555555554444'), customer: { ip: '203.0.113.60' } }));
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });
});

describe('the fraud settings', () => {
  it('are 29 and 70 until the merchant changes them, one threshold or both, and apply to its next payments only', async () => {
    const shop = await onboardMerchant(gateway.url, 'Tuned Shop');
    const other = await onboardMerchant(gateway.url, 'Untuned Shop');
    const defaults = { object: 'fraud_settings', review_above: 29, decline_above: 70 };
    expect(await shop.call('GET', '/api/v1/fraud/settings')).toMatchObject({ status: 200, body: defaults });

    // A large amount scores 15 (large_amount): approved at the defaults.
    const large = paymentBody({ amount: 100_000 });
    expect((await shop.call('POST', '/api/v1/payments/authorize', large)).body.fraud).toMatchObject({ score: 15, decision: 'approve' });

    expect(await shop.call('POST', '/api/v1/fraud/settings', { review_above: 10 })).toMatchObject({ status: 200, body: { ...defaults, review_above: 10 } });
    const reviewed = await shop.call('POST', '/api/v1/payments/authorize', large);
    expect(reviewed.status).toBe(201);
    expect(reviewed.body.fraud).toMatchObject({ score: 15, decision: 'review' });

    expect(await shop.call('POST', '/api/v1/fraud/settings', { decline_above: 14 })).toMatchObject({ status: 200, body: { ...defaults, review_above: 10, decline_above: 14 } });
    expect(await shop.call('GET', '/api/v1/fraud/settings')).toMatchObject({ status: 200, body: { ...defaults, review_above: 10, decline_above: 14 } });
    expectError(await shop.call('POST', '/api/v1/payments/authorize', large), 402, 'fraud_declined');
    // An ordinary payment still scores 0.
    expect((await shop.call('POST', '/api/v1/payments/authorize', paymentBody())).status).toBe(201);

    // Another merchant's thresholds are its own.
    expect(await other.call('GET', '/api/v1/fraud/settings')).toMatchObject({ status: 200, body: defaults });
    expect((await other.call('POST', '/api/v1/payments/authorize', large)).body.fraud).toMatchObject({ decision: 'approve' });
  });

  it('answer 400 to thresholds that are not integers 0-100, or a review threshold not below the decline one, and keep what was set', async () => {
    const shop = await onboardMerchant(gateway.url, 'Carefully Tuned Shop');
    const bad: Array<[unknown, string]> = [
      [{ review_above: 80, decline_above: 60 }, 'review_above'],
      [{ review_above: 50, decline_above: 50 }, 'review_above'],
      [{ review_above: 70 }, 'review_above'],
      [{ decline_above: 29 }, 'decline_above'],
      [{ review_above: 10.5 }, 'review_above'],
      [{ review_above: -1 }, 'review_above'],
      [{ decline_above: 101 }, 'decline_above'],
      [{ decline_above: '80' }, 'decline_above'],
      [{ review_above: null }, 'review_above'],
      [{ review: 40 }, 'review'],
    ];
    for (const [body, param] of bad) {
      const answer = await shop.call('POST', '/api/v1/fraud/settings', body);
      expectError(answer, 400, 'validation_error', { param });
      expect(answer.body.error.message, JSON.stringify(body)).toMatch(/review_above|decline_above|integer|number|parameter/i);
    }
    expectError(await shop.call('POST', '/api/v1/fraud/settings', {}), 400, 'validation_error');
    expectError(await shop.call('POST', '/api/v1/fraud/settings', '{"review_above":'), 400, 'invalid_json');
    expect(await shop.call('GET', '/api/v1/fraud/settings')).toMatchObject({ status: 200, body: { review_above: 29, decline_above: 70 } });
  });
});

describe('the block list', () => {
  it('declines a blocked card fingerprint, email (whatever its case) or IP with rule block_list, until the entry is deleted', async () => {
    const shop = await onboardMerchant(gateway.url, 'Blocking Shop');
    const first = await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ card: card(visa(500)) }));
    expect(first.status).toBe(201);
    const fingerprint = first.body.card.fingerprint as string;

    const byCard = await shop.call('POST', '/api/v1/fraud/block-list', { type: 'card_fingerprint', value: fingerprint });
    expect(byCard).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^bl_/), object: 'block_list_entry', type: 'card_fingerprint', value: fingerprint } });
    const byEmail = await shop.call('POST', '/api/v1/fraud/block-list', { type: 'email', value: 'Tester@Example.COM' });
    expect(byEmail).toMatchObject({ status: 201, body: { type: 'email', value: 'tester@example.com' } });
    const byIp = await shop.call('POST', '/api/v1/fraud/block-list', { type: 'ip', value: '198.51.100.7' });
    expect(byIp).toMatchObject({ status: 201, body: { type: 'ip', value: '198.51.100.7' } });

    const blockedBy = async (body: Record<string, unknown>) => {
      const answer = await shop.call('POST', '/api/v1/payments/authorize', paymentBody(body));
      expectError(answer, 402, 'fraud_declined', { payment_id: expect.stringMatching(/^pay_/) });
      const payment = await shop.call('GET', `/api/v1/payments/${answer.body.error.payment_id as string}`);
      expect(payment.body).toMatchObject({ status: 'failed', fraud: { decision: 'decline', score: 100 } });
      expect(payment.body.fraud.rules).toContainEqual({ id: 'block_list', weight: 100, reason: expect.stringContaining('block list') });
    };
    await blockedBy({ card: card(visa(500)) });
    await blockedBy({ customer: { email: 'TESTER@example.com' } });
    await blockedBy({ customer: { email: 'tester@example.com', ip: '198.51.100.7' } });
    await blockedBy({ customer: { ip: '198.51.100.7' } });
    // Not blocked: another card, email or IP.
    const clean = await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ card: card(visa(501)), customer: { email: 'someone@example.com', ip: '198.51.100.8' } }));
    expect(clean.status, JSON.stringify(clean.body)).toBe(201);
    expect(clean.body.fraud.rules).toEqual([]);

    // Listed newest first, paged.
    const list = await shop.call('GET', '/api/v1/fraud/block-list');
    expect(list).toMatchObject({ status: 200, body: { object: 'list', has_more: false } });
    expect(list.body.data.map((e: { id: string }) => e.id)).toEqual([byIp.body.id, byEmail.body.id, byCard.body.id]);
    const page = await shop.call('GET', '/api/v1/fraud/block-list?limit=1&offset=1');
    expect(page.body).toMatchObject({ data: [{ id: byEmail.body.id }], limit: 1, offset: 1, has_more: true });
    const after = await shop.call('GET', `/api/v1/fraud/block-list?limit=1&starting_after=${byEmail.body.id as string}`);
    expect(after.body).toMatchObject({ data: [{ id: byCard.body.id }], has_more: false });
    const before = await shop.call('GET', `/api/v1/fraud/block-list?ending_before=${byCard.body.id as string}`);
    expect(before.body.data.map((e: { id: string }) => e.id)).toEqual([byIp.body.id, byEmail.body.id]);
    expectError(await shop.call('GET', `/api/v1/fraud/block-list?offset=1&starting_after=${byEmail.body.id as string}`), 400, 'validation_error', { param: 'offset' });

    // Deleted: the card pays again; the entry is gone, once.
    expect(await shop.call('DELETE', `/api/v1/fraud/block-list/${byCard.body.id as string}`)).toMatchObject({
      status: 200,
      body: { id: byCard.body.id, object: 'block_list_entry', deleted: true },
    });
    expect((await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ card: card(visa(500)) }))).status).toBe(201);
    expectError(await shop.call('DELETE', `/api/v1/fraud/block-list/${byCard.body.id as string}`), 404, 'resource_not_found');
    expect((await shop.call('GET', '/api/v1/fraud/block-list')).body.data.map((e: { id: string }) => e.id)).toEqual([byIp.body.id, byEmail.body.id]);
    // It can be blocked again.
    expect((await shop.call('POST', '/api/v1/fraud/block-list', { type: 'card_fingerprint', value: fingerprint })).status).toBe(201);
  });

  it('blocks the shopper’s own IP on the public confirm', async () => {
    const shop = await onboardMerchant(gateway.url, 'Checkout Blocking Shop');
    const pay = async () => {
      const intent = await shop.call('POST', '/api/v1/payment-intents', { amount: 5000, currency: 'USD', success_url: 'https://shop.example/ok' });
      const answer = await fetch(`${gateway.url}/api/public/payment-intents/${intent.body.id as string}/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_secret: intent.body.client_secret, card: card(visa(600)), customer_email: 'shopper@example.com' }),
      });
      return { status: answer.status, body: (await answer.json()) as { error?: { code: string; payment_id: string } } };
    };
    expect((await pay()).status).toBe(200);
    // The gateway's own test client calls from the loopback address.
    const blocked = await shop.call('POST', '/api/v1/fraud/block-list', { type: 'ip', value: '127.0.0.1' });
    expect(blocked.status, JSON.stringify(blocked.body)).toBe(201);
    const refused = await pay();
    expect(refused.status).toBe(402);
    expect(refused.body.error!.code).toBe('fraud_declined');
    const payment = await shop.call('GET', `/api/v1/payments/${refused.body.error!.payment_id}`);
    expect((payment.body.fraud.rules as Rule[]).map((r) => r.id)).toContain('block_list');
  });

  it('answers 409 to a value already blocked, 404 to another merchant’s entry, 400 to what is no card fingerprint, email or IP', async () => {
    const shop = await onboardMerchant(gateway.url, 'Strict Blocking Shop');
    const other = await onboardMerchant(gateway.url, 'Other Blocking Shop');
    const entry = await shop.call('POST', '/api/v1/fraud/block-list', { type: 'email', value: 'dup@example.com' });
    expect(entry.status).toBe(201);
    const again = await shop.call('POST', '/api/v1/fraud/block-list', { type: 'email', value: 'DUP@example.com' });
    expectError(again, 409, 'invalid_state');
    expect(again.body.error.message).toContain(entry.body.id as string);
    // Each merchant's list is its own.
    expect((await other.call('POST', '/api/v1/fraud/block-list', { type: 'email', value: 'dup@example.com' })).status).toBe(201);
    expectError(await other.call('DELETE', `/api/v1/fraud/block-list/${entry.body.id as string}`), 404, 'resource_not_found');
    expect((await shop.call('GET', '/api/v1/fraud/block-list')).body.data).toHaveLength(1);

    const bad: Array<[unknown, string]> = [
      [{ type: 'phone', value: '+15550100' }, 'type'],
      [{ type: 'email', value: 'not-an-email' }, 'value'],
      [{ type: 'ip', value: '999.1.1.1' }, 'value'],
      [{ type: 'ip', value: 'example.com' }, 'value'],
      [{ type: 'card_fingerprint', value: '4242424242424242' }, 'value'],
      [{ type: 'card_fingerprint', value: 'short' }, 'value'],
      [{ type: 'email' }, 'value'],
      [{ type: 'email', value: 'a@example.com', note: 'x' }, 'note'],
    ];
    for (const [body, param] of bad) expectError(await shop.call('POST', '/api/v1/fraud/block-list', body), 400, 'validation_error', { param });
    expectError(await shop.call('POST', '/api/v1/fraud/block-list', {}), 400, 'validation_error');
    // A malformed id is reported as any unknown one.
    expectError(await shop.call('DELETE', '/api/v1/fraud/block-list/bl_nope'), 404, 'resource_not_found');
    expectError(await shop.call('GET', '/api/v1/fraud/block-list?limit=0'), 400, 'validation_error', { param: 'limit' });

    // An IPv6 address is one value however it is written.
    expect(await shop.call('POST', '/api/v1/fraud/block-list', { type: 'ip', value: '2001:DB8:0:0::7' })).toMatchObject({ status: 201, body: { value: '2001:db8::7' } });
    expectError(await shop.call('POST', '/api/v1/fraud/block-list', { type: 'ip', value: '2001:db8::7' }), 409, 'invalid_state');
    expectError(await shop.call('POST', '/api/v1/payments/authorize', paymentBody({ customer: { ip: '2001:db8:0000::0007' } })), 402, 'fraud_declined');
  });
});
