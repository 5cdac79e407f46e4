import type { Issuer, IssuerRequest, IssuerResponse } from '../../ports.ts';

/** The documented test cards and their answers; any other valid card is approved. */
export const TEST_CARD_DECLINES: Readonly<Record<string, { declineCode: string; responseCode: string }>> = {
  '4000000000000002': { declineCode: 'do_not_honor', responseCode: '05' },
  '4000000000009995': { declineCode: 'insufficient_funds', responseCode: '51' },
  '4000000000000069': { declineCode: 'expired_card', responseCode: '54' },
  '4000000000000127': { declineCode: 'incorrect_cvc', responseCode: 'N7' },
  '4000000000000119': { declineCode: 'processing_error', responseCode: '96' },
};

const AUTH_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A card issuer that answers at once, as a real one would answer for the test cards. */
export class SimulatedIssuer implements Issuer {
  private readonly randomBytes: (size: number) => Uint8Array;

  constructor(randomBytes: (size: number) => Uint8Array) {
    this.randomBytes = randomBytes;
  }

  async authorize(request: IssuerRequest): Promise<IssuerResponse> {
    const decline = TEST_CARD_DECLINES[request.card.number];
    if (decline) return { approved: false, ...decline };
    const bytes = this.randomBytes(6);
    const authorizationCode = Array.from(bytes, (b) => AUTH_CODE_ALPHABET[b % AUTH_CODE_ALPHABET.length]).join('');
    return { approved: true, responseCode: '00', authorizationCode };
  }
}
