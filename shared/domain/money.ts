/** Money is integer minor units with its currency, never floats. */
export const SUPPORTED_CURRENCIES = ['USD', 'EUR', 'MAD'] as const;
export type Currency = (typeof SUPPORTED_CURRENCIES)[number];

export const MIN_AMOUNT = 1;
export const MAX_AMOUNT = 99_999_999;

export function isSupportedCurrency(value: string): value is Currency {
  return (SUPPORTED_CURRENCIES as readonly string[]).includes(value);
}
