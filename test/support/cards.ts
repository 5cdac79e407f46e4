/** Test card numbers, made with a Luhn check computed independently of the code under test. */

/** The Luhn check digit for `payload`. */
export function luhnCheckDigit(payload: string): string {
  let sum = 0;
  const digits = [...payload].reverse().map(Number);
  digits.forEach((digit, i) => {
    // The check digit will sit at position 0 from the right, so the payload's rightmost digit is doubled.
    const doubled = i % 2 === 0 ? digit * 2 : digit;
    sum += Math.floor(doubled / 10) + (doubled % 10);
  });
  return String((10 - (sum % 10)) % 10);
}

/** A Visa number that passes Luhn, a different one for each `n` (distinct cards for the fraud counters). */
export function visa(n: number): string {
  const payload = `4242424${String(n).padStart(8, '0')}`;
  return payload + luhnCheckDigit(payload);
}
