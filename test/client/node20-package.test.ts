/**
 * The compiled client as a merchant installs it: `@paygate/client` resolved through its package.json
 * `exports` (client/dist/, built by the test run's global setup), imported from a plain `.mjs` file
 * run with the machine's Node 20 (no TypeScript), against a real gateway; its `paygate` command; and
 * its emitted `.d.ts` typing a TypeScript caller (tsc refuses a wrong call).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { EXP_YEAR, UNTHROTTLED } from '../e2e/helpers.ts';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
const MACHINE_NODE = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;

const APP = `
import { Paygate, CardError, PaygateError, signWebhook, verifyWebhookSignature, WebhookVerificationError } from '@paygate/client';

const paygate = new Paygate(process.env.PAYGATE_API_KEY, { baseUrl: process.env.PAYGATE_URL });
const card = (number) => ({ number, exp_month: 12, exp_year: ${EXP_YEAR}, cvv: '123' });
const out = { node: process.version };
const payment = await paygate.payments.authorize({ amount: 9999, currency: 'USD', card: card('4242424242424242') });
out.captured = (await paygate.payments.capture(payment.id)).status;
try {
  await paygate.payments.sale({ amount: 100, currency: 'USD', card: card('4000000000000002') });
} catch (error) {
  out.decline = { card: error instanceof CardError, base: error instanceof PaygateError, code: error.code, decline_code: error.decline_code, payment_id: error.payment_id };
}
out.transactions = [];
for await (const t of paygate.transactions.list({ limit: 1 })) out.transactions.push(t.type);
const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const { body, headers } = signWebhook({ payload: { id: 'evt_1', type: 'payment.captured' }, secret });
out.verified = verifyWebhookSignature(body, headers, secret).id;
try {
  verifyWebhookSignature(body + ' ', headers, secret);
} catch (error) {
  out.tampered = error instanceof WebhookVerificationError;
}
console.log(JSON.stringify(out));
`;

const CONSUMER = `
import { Paygate, CardError, type Payment } from '@paygate/client';
const paygate = new Paygate('sk_test_x', { baseUrl: 'http://127.0.0.1:3000', maxRetries: 3, timeout: 10_000 });
export async function pay(): Promise<Payment> {
  try {
    return await paygate.payments.sale({ amount: 100, currency: 'USD', card: { number: '4242424242424242', exp_month: 1, exp_year: 2040, cvv: '123' } });
  } catch (error) {
    if (error instanceof CardError) console.log(error.decline_code, error.payment_id);
    throw error;
  }
}
// @ts-expect-error amounts are integers in minor units
void paygate.payments.sale({ amount: '1.00', currency: 'USD', card: { number: '4242424242424242', exp_month: 1, exp_year: 2040, cvv: '123' } });
`;

describe('the compiled @paygate/client package', () => {
  let gateway: GatewayProcess;
  let folder: string;

  beforeAll(async () => {
    gateway = await startGatewayProcess(UNTHROTTLED);
    folder = mkdtempSync(join(inject('scratchDir'), 'client-package-'));
    // Stands for `npm install @paygate/client` (the workspace links node_modules/@paygate/client to client/).
    symlinkSync(join(REPO, 'node_modules'), join(folder, 'node_modules'), 'dir');
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('runs from a plain .mjs file on the machine’s Node 20: payments, a typed decline, pagination, webhook signatures', { timeout: 60_000 }, async () => {
    writeFileSync(join(folder, 'app.mjs'), APP);
    const { stdout } = await run(MACHINE_NODE, ['app.mjs'], { cwd: folder, env: { PATH: process.env['PATH'] ?? '', PAYGATE_URL: gateway.url, PAYGATE_API_KEY: gateway.apiKey } });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out['node']).toMatch(MACHINE_NODE === '/usr/bin/node' ? /^v20\./ : /^v/);
    expect(out).toMatchObject({
      captured: 'captured',
      decline: { card: true, base: true, code: 'card_declined', decline_code: 'do_not_honor', payment_id: expect.stringMatching(/^pay_/) },
      verified: 'evt_1',
      tampered: true,
    });
    expect(out['transactions']).toEqual(['sale', 'capture', 'authorize']);
  });

  it('has a `paygate` command: one client call per command, the answer as JSON, an error on stderr with exit code 1', { timeout: 60_000 }, async () => {
    const cli = join(folder, 'node_modules', '@paygate', 'client', 'dist', 'cli.js');
    const env = { PATH: process.env['PATH'] ?? '', PAYGATE_URL: gateway.url, PAYGATE_API_KEY: gateway.apiKey };
    const paygate = (...args: string[]) => run(MACHINE_NODE, [cli, ...args], { cwd: folder, env });
    const card = { number: '4242424242424242', exp_month: 12, exp_year: EXP_YEAR, cvv: '123' };
    const sold = JSON.parse((await paygate('payments', 'sale', '--data', JSON.stringify({ amount: 4100, currency: 'USD', card }), '--idempotency-key', `cli-${Date.now()}`)).stdout) as { id: string; status: string };
    expect(sold).toMatchObject({ id: expect.stringMatching(/^pay_/), status: 'captured' });
    expect(JSON.parse((await paygate('payments', 'refund', sold.id, '--data', '{"amount":100}')).stdout)).toMatchObject({ status: 'partially_refunded', amount_refunded: 100 });
    const listed = JSON.parse((await paygate('transactions', 'list', '--status', 'refunded', '--limit', '1', '--all')).stdout) as Array<{ payment_id: string }>;
    expect(listed.map((t) => t.payment_id)).toContain(sold.id);
    const declined = await paygate('payments', 'sale', '--data', JSON.stringify({ amount: 100, currency: 'USD', card: { ...card, number: '4000000000000002' } })).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(declined?.code).toBe(1);
    expect(JSON.parse(declined!.stderr)).toMatchObject({ status: 402, error: { type: 'card_error', code: 'card_declined', decline_code: 'do_not_honor', payment_id: expect.stringMatching(/^pay_/) } });
    const usage = await paygate('payments', 'nothing').then(() => undefined, (error: { code: number; stderr: string }) => error);
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('usage: paygate') });
  });

  it('declares Node 18+, ships only dist, and types a TypeScript caller from its .d.ts (a wrong call does not compile)', { timeout: 60_000 }, async () => {
    const manifest = JSON.parse(readFileSync(join(REPO, 'client', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: '@paygate/client', type: 'module', engines: { node: '>=18' }, types: './dist/index.d.ts', files: ['dist'], bin: { paygate: './dist/cli.js' } });
    expect(existsSync(join(REPO, 'client', 'dist', 'index.d.ts'))).toBe(true);
    writeFileSync(join(folder, 'consumer.ts'), CONSUMER);
    writeFileSync(join(folder, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: ['node'], skipLibCheck: false }, files: ['consumer.ts'] }));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', folder]);
    // The same caller with its expected error removed must fail: the types are really checked.
    writeFileSync(join(folder, 'consumer.ts'), CONSUMER.replace('// @ts-expect-error amounts are integers in minor units\n', ''));
    const failed = await run(process.execPath, [tsc, '-p', folder]).then(() => 'compiled', (error: { stdout: string }) => error.stdout);
    expect(failed).toMatch(/consumer\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
  });
});
