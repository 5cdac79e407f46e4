import { describe, expect, it } from 'vitest';
import { containsCardNumber } from '../../shared/domain/cards.ts';
import { errors } from '../../shared/domain/errors.ts';
import { isLoopbackUrl } from '../../shared/domain/webhooks.ts';
import { CustomerBody, Metadata, NewPaymentBody } from '../../shared/http/schemas.ts';

describe('free text never holds a card number', () => {
  it('finds Luhn-valid card numbers, with spaces or dashes, glued to text or not', () => {
    for (const text of ['4111111111111111', 'pan 4111 1111 1111 1111 ok', 'x4242-4242-4242-4242y', '378282246310005']) {
      expect(containsCardNumber(text), text).toBe(true);
    }
    for (const text of ['Order #12345', 'phone +212 600 000 000', '4111111111111112', '1234', '']) {
      expect(containsCardNumber(text), text).toBe(false);
    }
  });

  it('refuses a card number in a holder name, a description, the customer, or metadata keys and values', () => {
    const base = { amount: 100, currency: 'USD', card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvv: '123' } };
    expect(NewPaymentBody.safeParse(base).success).toBe(true);
    expect(NewPaymentBody.safeParse({ ...base, card: { ...base.card, holder_name: '4111111111111111' } }).success).toBe(false);
    expect(NewPaymentBody.safeParse({ ...base, description: 'card 4111 1111 1111 1111' }).success).toBe(false);
    expect(CustomerBody.safeParse({ name: '4111111111111111' }).success).toBe(false);
    expect(Metadata.safeParse({ '4111111111111111': 'x' }).success).toBe(false);
    expect(Metadata.safeParse({ note: '4111-1111-1111-1111' }).success).toBe(false);
    expect(Metadata.safeParse({ order_id: '12345' }).success).toBe(true);
  });

  it('never echoes a card number in an error message or param', () => {
    const body = errors.validation('Unknown parameter: 4111111111111111.', '4111111111111111').toBody();
    expect(JSON.stringify(body)).not.toContain('4111111111111111');
  });
});

describe('URLs of this machine or a private network', () => {
  it('are recognised in every spelling a webhook or redirect URL could use', () => {
    const local = [
      'http://localhost/x', 'https://api.localhost/x', 'http://127.0.0.1:9001/', 'https://127.5.5.5/', 'https://0.0.0.0/',
      'https://[::1]/', 'https://[::ffff:127.0.0.1]:9001/', 'https://[::ffff:7f00:1]/', 'https://169.254.169.254/latest',
      'https://10.0.0.5/', 'https://172.16.0.1/', 'https://172.31.255.255/', 'https://192.168.1.1/', 'https://[fd00::1]/', 'https://[fe80::1]/',
    ];
    for (const url of local) expect(isLoopbackUrl(url), url).toBe(true);
    for (const url of ['https://example.com/hooks', 'https://172.32.0.1/', 'https://8.8.8.8/', 'https://[2001:db8::1]/', 'not a url']) {
      expect(isLoopbackUrl(url), url).toBe(false);
    }
  });
});
