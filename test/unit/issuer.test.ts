import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SimulatedIssuer } from '../../shared/adapters/issuer/simulated-issuer.ts';
import { detectBrand } from '../../shared/domain/cards.ts';
import type { IssuerRequest } from '../../shared/ports.ts';

function request(number: string): IssuerRequest {
  return { card: { number, expMonth: 12, expYear: 2030, cvv: '123', brand: detectBrand(number) }, amount: 1_000, currency: 'USD' };
}

const issuer = new SimulatedIssuer(randomBytes);

describe('SimulatedIssuer', () => {
  // The table of API.md, "Cards and test cards".
  it.each([
    ['4000000000000002', 'do_not_honor', '05'],
    ['4000000000009995', 'insufficient_funds', '51'],
    ['4000000000000069', 'expired_card', '54'],
    ['4000000000000127', 'incorrect_cvc', 'N7'],
    ['4000000000000119', 'processing_error', '96'],
  ])('declines the test card %s with %s and response code %s', async (number, declineCode, responseCode) => {
    expect(await issuer.authorize(request(number))).toEqual({ approved: false, declineCode, responseCode });
  });

  it.each(['4242424242424242', '5555555555554444', '378282246310005', '6011111111111117', '4000056655665556'])(
    'approves %s with response code 00 and a 6-character authorization code',
    async (number) => {
      const answer = await issuer.authorize(request(number));
      expect(answer).toEqual({ approved: true, responseCode: '00', authorizationCode: expect.stringMatching(/^[A-Z0-9]{6}$/) });
    },
  );

  it('leaves the compromised test card 4000000000000259 to the fraud rules: the issuer itself approves it', async () => {
    expect((await issuer.authorize(request('4000000000000259'))).approved).toBe(true);
  });

  it('builds the authorization code from six random bytes, in an alphabet without 0, 1, I or O', async () => {
    const asked: number[] = [];
    const fixed = new SimulatedIssuer((size) => {
      asked.push(size);
      return Uint8Array.from([0, 1, 8, 31, 32, 255]);
    });
    const answer = await fixed.authorize(request('4242424242424242'));
    expect(asked).toEqual([6]);
    expect(answer).toEqual({ approved: true, responseCode: '00', authorizationCode: 'ABJ9A9' });
  });

  it('gives different authorization codes to different approvals', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const answer = await issuer.authorize(request('4242424242424242'));
      if (answer.approved) codes.add(answer.authorizationCode);
      expect(answer.approved ? answer.authorizationCode : '').not.toMatch(/[01IO]/);
    }
    expect(codes.size).toBeGreaterThan(190);
  });

  it('does not draw randomness for a decline', async () => {
    let drawn = 0;
    const counting = new SimulatedIssuer((size) => {
      drawn++;
      return randomBytes(size);
    });
    await counting.authorize(request('4000000000000002'));
    expect(drawn).toBe(0);
  });
});
