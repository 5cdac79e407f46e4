/**
 * Retries proven against a gateway that fails on purpose: a node:http proxy on 127.0.0.1 in front
 * of a real local gateway answers 503 or 429, drops the connection before forwarding, or forwards
 * and then drops the answer, as told. The client must send the same Idempotency-Key each time, and
 * the merchant must end up with one payment.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequestError, Paygate } from '../../client/src/index.ts';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { onboardMerchant, UNTHROTTLED } from '../e2e/helpers.ts';
import { testCard } from './support.ts';

type Fault = '503' | '429' | 'drop' | 'drop-answer';

interface Seen {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  fault: Fault | 'forwarded';
  status?: number;
  replayed?: boolean;
}

/** A proxy to `target` that applies `faults` to the next requests, one each, then forwards. */
function faultyProxy(target: URL) {
  const faults: Fault[] = [];
  const seen: Seen[] = [];
  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const fault = faults.shift();
      const entry: Seen = { method: req.method!, path: req.url!, idempotencyKey: req.headers['idempotency-key'] as string | undefined, fault: fault ?? 'forwarded' };
      seen.push(entry);
      const error = (status: number, type: string, code: string, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': 'req_proxy0000000000000000', ...headers }).end(JSON.stringify({ error: { type, code, message: 'the proxy fails on purpose' } }));
      if (fault === '503') return error(503, 'api_error', 'service_unavailable');
      if (fault === '429') return error(429, 'rate_limit_error', 'rate_limit_exceeded', { 'retry-after': '1' });
      if (fault === 'drop') return req.socket.destroy();
      const answer = await forward(req, Buffer.concat(chunks));
      entry.status = answer.status;
      entry.replayed = answer.headers['idempotent-replayed'] === 'true';
      // The gateway did the work; its answer is lost on the way back.
      if (fault === 'drop-answer') return req.socket.destroy();
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  return { server, faults, seen };
}

describe('the client’s retries, through a proxy that fails on purpose', () => {
  let gateway: GatewayProcess;
  let proxy: ReturnType<typeof faultyProxy>;
  let proxyUrl: string;

  beforeAll(async () => {
    gateway = await startGatewayProcess(UNTHROTTLED);
    proxy = faultyProxy(new URL(gateway.url));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    proxy?.server.closeAllConnections();
    await new Promise((resolve) => proxy?.server.close(resolve));
    await gateway?.stop();
  });

  it('retries 503, a dropped connection, 429 (after its Retry-After) and a lost answer with one Idempotency-Key: one payment is made', { timeout: 60_000 }, async () => {
    const merchant = await onboardMerchant(gateway.url, 'Retries');
    const paygate = new Paygate(merchant.apiKey, { baseUrl: proxyUrl, maxRetries: 4, initialRetryDelay: 50 });
    proxy.seen.length = 0;
    proxy.faults.push('503', 'drop', '429', 'drop-answer');
    const started = Date.now();
    const payment = await paygate.payments.authorize({ amount: 2500, currency: 'USD', card: testCard() });
    expect(payment).toMatchObject({ status: 'authorized', amount: 2500 });
    expect(Date.now() - started, 'the 429 said Retry-After: 1').toBeGreaterThanOrEqual(1000);
    expect(proxy.seen.map((s) => s.fault)).toEqual(['503', 'drop', '429', 'drop-answer', 'forwarded']);
    const keys = new Set(proxy.seen.map((s) => s.idempotencyKey));
    expect(keys.size, 'every attempt carried the same Idempotency-Key').toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    // The lost answer's payment exists; the last attempt was its replay, not a second payment.
    expect(proxy.seen.slice(3).map((s) => [s.status, s.replayed])).toEqual([
      [201, false],
      [201, true],
    ]);
    const transactions = await new Paygate(merchant.apiKey, { baseUrl: gateway.url }).transactions.list({ limit: 100 }).toArray();
    expect(transactions.map((t) => [t.type, t.payment_id])).toEqual([['authorize', payment.id]]);
  });

  it('gives up after maxRetries and never retries a 4xx answer', { timeout: 60_000 }, async () => {
    const merchant = await onboardMerchant(gateway.url, 'No retries');
    const paygate = new Paygate(merchant.apiKey, { baseUrl: proxyUrl, maxRetries: 2, initialRetryDelay: 20 });
    proxy.seen.length = 0;
    proxy.faults.push('503', '503', '503');
    await expect(paygate.payments.sale({ amount: 700, currency: 'USD', card: testCard() })).rejects.toMatchObject({ name: 'APIError', status: 503 });
    expect(proxy.seen).toHaveLength(3);
    proxy.faults.length = 0;

    proxy.seen.length = 0;
    await expect(paygate.payments.sale({ amount: 700, currency: 'USD', card: testCard('4000000000000002') })).rejects.toMatchObject({ name: 'CardError', decline_code: 'do_not_honor' });
    await expect(paygate.payments.sale({ amount: 0, currency: 'USD', card: testCard() })).rejects.toBeInstanceOf(InvalidRequestError);
    expect(proxy.seen.map((s) => s.status)).toEqual([402, 400]);
    const transactions = await new Paygate(merchant.apiKey, { baseUrl: gateway.url }).transactions.list({ limit: 100 }).toArray();
    expect(transactions.map((t) => [t.type, t.status])).toEqual([['sale', 'failed']]);
  });
});
