/**
 * A client guessing keys is slowed (hardening issue, "limits before authentication"): past its
 * failures of the minute, a client IP's wrong keys are answered 429 (a live key still works, so
 * nobody sharing a merchant's IP can lock it out), and operator calls are counted per client IP
 * before the operator key is checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, client, startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { base62 } from './helpers.ts';

let gateway: GatewayProcess;
const SEEDED_KEY = `sk_test_${base62(40)}`;

beforeAll(async () => {
  gateway = await startGatewayProcess({ PAYGATE_API_KEY: SEEDED_KEY, RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '10', RATE_LIMIT_ADMIN_PER_MINUTE: '5' });
});
afterAll(() => gateway?.stop());

const guess = () => client(gateway.url, `sk_test_${base62(40)}`)('GET', '/api/v1/transactions');

describe('guessing API keys', () => {
  it('gets 401 for its first failures of the minute, then 429 with Retry-After for every wrong key; a live key from the same IP still works', async () => {
    // Within one minute of the gateway's clock (a window that ends now would let the guesser go on: wait for the next).
    const secondOfMinute = new Date().getUTCSeconds();
    if (secondOfMinute > 40) await new Promise((resolve) => setTimeout(resolve, (61 - secondOfMinute) * 1000));

    for (let i = 0; i < 10; i++) expect((await guess()).status).toBe(401);
    const burst = await Promise.all(Array.from({ length: 30 }, guess));
    expect(burst.map((a) => a.status)).toEqual(Array(30).fill(429));
    expect(burst[0]!.body.error.code).toBe('rate_limit_exceeded');
    expect(Number(burst[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(burst[0]!.headers.get('retry-after'))).toBeLessThanOrEqual(60);

    const real = await client(gateway.url, SEEDED_KEY)('GET', '/api/v1/transactions');
    expect(real.status).toBe(200);
    expect((await guess()).status).toBe(429);
    // A key that is not even well-formed costs no lookup and stays a plain 401.
    expect((await client(gateway.url, 'not-a-key')('GET', '/api/v1/transactions')).status).toBe(401);
  });
});

describe('guessing the operator key', () => {
  it('is counted per client before the key is checked: past the limit even the right key gets 429', async () => {
    const secondOfMinute = new Date().getUTCSeconds();
    if (secondOfMinute > 50) await new Promise((resolve) => setTimeout(resolve, (61 - secondOfMinute) * 1000));
    for (let i = 0; i < 5; i++) expect((await client(gateway.url, `wrong-${i}`)('POST', '/api/admin/merchants', { name: 'Shop' })).status).toBe(401);
    const right = await client(gateway.url, ADMIN_KEY)('POST', '/api/admin/merchants', { name: 'Shop' });
    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('rate_limit_exceeded');
  });
});
