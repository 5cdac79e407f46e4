import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { formatWebhookSecret, signWebhook, verifyWebhookSignature } from '../../shared/webhooks/signing.ts';

const body = '{"id":"evt_1","object":"event","type":"payment.captured","data":{"object":{"id":"pay_1"}}}';
const newSecret = () => formatWebhookSecret(randomBytes(32));

describe('webhook signatures (Standard Webhooks)', () => {
  it('formats secrets as whsec_ and base64 of 32 bytes', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
  });

  it('produces headers the standardwebhooks library verifies unchanged', () => {
    const secret = newSecret();
    const headers = signWebhook('evt_1', new Date(), body, [secret]);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toMatchObject({ id: 'evt_1' });
  });

  it('signs id, timestamp and body as HMAC-SHA256 over "<id>.<timestamp>.<body>"', async () => {
    const secret = newSecret();
    const at = new Date('2026-11-24T10:00:00.000Z');
    const headers = signWebhook('evt_1', at, body, [secret]);
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`evt_1.${at.getTime() / 1000}.${body}`).digest('base64');
    expect(headers).toEqual({ 'webhook-id': 'evt_1', 'webhook-timestamp': String(at.getTime() / 1000), 'webhook-signature': `v1,${expected}` });
  });

  it('rejects a tampered body', () => {
    const secret = newSecret();
    const headers = signWebhook('evt_1', new Date(), body, [secret]);
    expect(() => new Webhook(secret).verify(body.replace('pay_1', 'pay_2'), { ...headers })).toThrow(/No matching signature/);
    expect(() => verifyWebhookSignature(body.replace('pay_1', 'pay_2'), { ...headers }, secret)).toThrow();
  });

  it('rejects a timestamp more than 5 minutes old, and one from another secret', () => {
    const secret = newSecret();
    const old = signWebhook('evt_1', new Date(Date.now() - 6 * 60_000), body, [secret]);
    expect(() => new Webhook(secret).verify(body, { ...old })).toThrow(/too old/);
    const fresh = signWebhook('evt_1', new Date(), body, [secret]);
    expect(() => new Webhook(newSecret()).verify(body, { ...fresh })).toThrow();
  });

  it('carries two space-separated signatures during a rotation, each verifying with its own secret', () => {
    const [oldSecret, rotated] = [newSecret(), newSecret()];
    const headers = signWebhook('evt_1', new Date(), body, [oldSecret, rotated]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(rotated).verify(body, { ...headers })).not.toThrow();
  });

  it('verifies for merchants with case-insensitive headers and a raw Buffer body', () => {
    const secret = newSecret();
    const headers = signWebhook('evt_1', new Date(), body, [secret]);
    const shouted = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhookSignature(Buffer.from(body), shouted, secret)).toMatchObject({ type: 'payment.captured' });
  });
});
