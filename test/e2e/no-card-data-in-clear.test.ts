/**
 * A leak scan (API.md, "Cards and test cards" and "Request ids and logs"): a session of
 * authorizations, sales, declines and invalid requests, then the gateway is stopped and every
 * trace it left is searched for the card numbers and CVVs it was sent: the HTTP answers, its
 * stdout and stderr, and every byte under its data dir. API keys must not be in its log lines, and
 * the store keeps only their hashes.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, client, startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { EXP_YEAR, UNTHROTTLED, base62, uniqueKey } from './helpers.ts';

/** Every card number the session sends, digits only, with a CVV each that appears nowhere else. */
const CARDS = [
  { number: '4242424242424242', cvv: '837' },
  { number: '5555555555554444', cvv: '291' },
  { number: '378282246310005', cvv: '4521' },
  { number: '4000000000000002', cvv: '602' },
  { number: '4000000000009995', cvv: '718' },
  { number: '4000000000000259', cvv: '719' },
  { number: '4242424242424241', cvv: '385' }, // fails Luhn
  { number: '6011111111111117', cvv: '916' },
  { number: '4000056655665556', cvv: '473' },
  { number: '5105105105105100', cvv: '538' },
  { number: '371449635398431', cvv: '629' }, // a 3-digit CVV on American Express: invalid
] as const;

interface RawAnswer {
  status: number;
  text: string;
}

let gateway: GatewayProcess;
let exitCode: number | null;
const answers: RawAnswer[] = [];
const apiKeys: string[] = [];
const paymentIds: string[] = [];

function cardJson(number: string, cvv: string, extra: Record<string, unknown> = {}) {
  return { number, exp_month: 11, exp_year: EXP_YEAR, cvv, holder_name: 'Leak Scan', ...extra };
}

/** Raw HTTP: the answer text exactly as it came over the wire. */
async function send(method: string, path: string, apiKey: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const { status, text } = await client(gateway.url, apiKey)(method, path, body, headers);
  const answer = { status, text };
  answers.push(answer);
  const id = /"id":"(pay_[0-9A-Za-z]+)"/.exec(answer.text)?.[1] ?? /"payment_id":"(pay_[0-9A-Za-z]+)"/.exec(answer.text)?.[1];
  if (id) paymentIds.push(id);
  return answer;
}

async function session(): Promise<void> {
  const key = gateway.apiKey;
  const merchant = JSON.parse((await send('POST', '/api/admin/merchants', ADMIN_KEY, { name: 'Second Shop' })).text) as { api_key: string };
  apiKeys.push(key, merchant.api_key);
  const pay = (endpoint: string, number: string, cvv: string, extra: Record<string, unknown> = {}, apiKey = key, headers = {}) =>
    send('POST', `/api/v1/payments/${endpoint}`, apiKey, { amount: 2500, currency: 'EUR', card: cardJson(number, cvv), ...extra }, headers);
  const [visa, mastercard, amex, doNotHonor, insufficient, fraud, badLuhn, discover, visaDebit, mastercard2, amex2] = CARDS;

  // Approved, in the forms a merchant might send them: plain, spaced, dashed.
  const authorized = await pay('authorize', visa.number, visa.cvv);
  await pay('sale', '5555 5555 5555 4444', mastercard.cvv);
  await pay('authorize', '3782-822463-10005', amex.cvv);
  await pay('sale', discover.number, discover.cvv, {}, merchant.api_key);
  // Declined and fraud-declined, with idempotency keys so their answers are stored and replayed.
  const declineKey = uniqueKey('decline');
  await pay('authorize', doNotHonor.number, doNotHonor.cvv, {}, key, { 'idempotency-key': declineKey });
  await pay('authorize', doNotHonor.number, doNotHonor.cvv, {}, key, { 'idempotency-key': declineKey });
  await pay('sale', insufficient.number, insufficient.cvv);
  await pay('sale', fraud.number, fraud.cvv);
  const saleKey = uniqueKey('sale');
  await pay('sale', visaDebit.number, visaDebit.cvv, {}, key, { 'idempotency-key': saleKey });
  await pay('sale', visaDebit.number, visaDebit.cvv, {}, key, { 'idempotency-key': saleKey });
  // Invalid requests carrying card data.
  await pay('authorize', badLuhn.number, badLuhn.cvv);
  await pay('authorize', '4242 4242 4242 4241', badLuhn.cvv);
  await pay('authorize', amex2.number, amex2.cvv);
  await pay('authorize', mastercard2.number, mastercard2.cvv, { amount: 0 });
  await pay('sale', mastercard2.number, mastercard2.cvv, { currency: 'GBP' });
  await pay('sale', mastercard2.number, mastercard2.cvv, { card: cardJson(mastercard2.number, mastercard2.cvv, { pin: '9999' }) });
  await pay('sale', mastercard2.number, mastercard2.cvv, { card: cardJson(mastercard2.number, mastercard2.cvv, { exp_year: EXP_YEAR - 10 }) });
  await pay('authorize', visaDebit.number, visaDebit.cvv, { amount: 1.5 }, key, { 'idempotency-key': uniqueKey('invalid') });
  await send('POST', '/api/v1/payments/authorize', key, `{"amount":100,"currency":"USD","card":{"number":"${mastercard2.number}","cvv":"${mastercard2.cvv}"`);
  await send('POST', '/api/v1/payments/sale', key, { amount: 100, currency: 'USD', card: cardJson(discover.number, discover.cvv), description: 'x'.repeat(70_000) });
  await pay('authorize', visa.number, visa.cvv, {}, `sk_test_${base62(40)}`);
  await pay('authorize', visa.number, visa.cvv, {}, 'not-a-key');
  // The lifecycle of an approved payment.
  const id = JSON.parse(authorized.text).id as string;
  await send('POST', `/api/v1/payments/${id}/capture`, key, { amount: 2000 });
  await send('POST', `/api/v1/payments/${id}/refund`, key, { amount: 500, reason: 'partial return' });
  await send('GET', `/api/v1/payments/${id}`, key);
  await send('GET', '/api/v1/transactions?limit=100', key);
}

beforeAll(async () => {
  gateway = await startGatewayProcess(UNTHROTTLED);
  try {
    await session();
  } finally {
    exitCode = await gateway.stop();
  }
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  if (gateway) rmSync(gateway.dataDir, { recursive: true, force: true });
});

/** The ways a card number can be written: digits, and grouped with spaces or dashes as printed. */
function writtenForms(number: string): string[] {
  const groups = number.length === 15 ? [number.slice(0, 4), number.slice(4, 10), number.slice(10)] : number.match(/.{1,4}/g)!;
  return [number, groups.join(' '), groups.join('-')];
}

/** A CVV next to its name, in any of the ways JSON, a log or a query string would put it. */
const cvvInContext = (cvv: string) => new RegExp(`(cvv|cvc|cvv2|security.?code)\\W{0,6}${cvv}(?!\\d)`, 'i');

/** Where each secret was found in a text: [secret, where]. */
function findCardData(text: string, where: string): string[] {
  const found: string[] = [];
  for (const { number, cvv } of CARDS) {
    for (const form of writtenForms(number)) if (text.includes(form)) found.push(`${form} in ${where}`);
    if (cvvInContext(cvv).test(text)) found.push(`CVV ${cvv} in ${where}`);
  }
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.isFile() ? [join(dir, entry.name)] : [],
  );
}

/** A file's bytes as text, in the encodings a store may write strings in. */
function fileAsTexts(path: string): string[] {
  const bytes = readFileSync(path);
  return [bytes.toString('latin1'), bytes.toString('utf16le'), bytes.subarray(1).toString('utf16le')];
}

/** The start-up banner shows a curl example with the documented test card: that is help text, not card data. */
function outputAfterBanner(): string {
  const output = gateway.output();
  const marker = 'Ctrl-C stops the gateway and DynamoDB Local.';
  expect(output).toContain(marker);
  return output.slice(output.indexOf(marker) + marker.length);
}

const jsonLogLines = () => gateway.output().split('\n').filter((line) => line.startsWith('{'));

describe('after a session of payments, declines and invalid requests', () => {
  it('ran the whole session and stopped cleanly', () => {
    expect(exitCode).toBe(0);
    expect(answers.map((a) => a.status)).toEqual(
      expect.arrayContaining([201, 402, 400, 401, 413, 200]),
    );
    expect(answers.every((a) => a.status < 500), JSON.stringify(answers.map((a) => a.status))).toBe(true);
    expect(new Set(paymentIds).size).toBeGreaterThanOrEqual(8);
  });

  it('never sent a card number or CVV back in an HTTP answer', () => {
    expect(answers.flatMap((a, i) => findCardData(a.text, `answer #${i} (${a.status})`))).toEqual([]);
  });

  it("never wrote a card number or CVV to the gateway's stdout or stderr", () => {
    expect(jsonLogLines().length).toBeGreaterThanOrEqual(answers.length);
    expect(findCardData(outputAfterBanner(), 'output')).toEqual([]);
  });

  it('left no card number or CVV in any file under the data dir', () => {
    const files = filesUnder(gateway.dataDir);
    // The scan reads what the store wrote: the session's payment ids are there in clear.
    const stored = files.flatMap(fileAsTexts).join('\n');
    for (const id of paymentIds) expect(stored, `payment ${id} not found in ${files.join(', ')}`).toContain(id);
    expect(files.flatMap((file) => fileAsTexts(file).flatMap((text) => findCardData(text, file)))).toEqual([]);
  });

  it('never wrote an API key or the admin key in a log line', () => {
    const lines = jsonLogLines();
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [...apiKeys, ADMIN_KEY]) {
      expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    }
    expect(lines.filter((line) => /sk_(test|live)_[0-9A-Za-z]{8,}/.test(line))).toEqual([]);
  });

  it('keeps API keys in the store only as hashes', () => {
    const storeFiles = filesUnder(join(gateway.dataDir, 'dynamodb'));
    expect(storeFiles.length).toBeGreaterThan(0);
    for (const file of storeFiles) {
      for (const text of fileAsTexts(file)) for (const secret of apiKeys) expect(text.includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });
});
