/**
 * Webhooks reach public addresses only, checked where the socket connects: a name that resolves to
 * this machine, a literal private or special-purpose address, and their IPv6 spellings are refused
 * before any byte is sent (the local gateway alone may post to loopback, for testing).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookTransport, UndeliverableAddressError } from '../../shared/adapters/http-webhook-transport.ts';
import { deliverableAddress } from '../../shared/adapters/webhook-addresses.ts';

let receiver: Server;
let port: number;
const received: string[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(body);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(1000));
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(() => new Promise((r) => receiver.close(r)));

const post = (allowLoopback: boolean, url: string) =>
  createWebhookTransport({ allowLoopback }).post({ url, headers: { 'content-type': 'application/json' }, body: '{"id":"evt_1"}', timeoutMs: 5_000 });

describe('the webhook transport', () => {
  it('posts to loopback on the local gateway, keeping 200 characters of the answer', async () => {
    const answer = await post(true, `http://localhost:${port}/hooks`);
    expect(answer.statusCode).toBe(200);
    expect(answer.bodyExcerpt).toHaveLength(200);
    expect(received.at(-1)).toBe('{"id":"evt_1"}');
  });

  it.each([
    ['a name that resolves to 127.0.0.1', () => `http://localhost:${port}/hooks`],
    ['a literal loopback address', () => `http://127.0.0.1:${port}/hooks`],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data'],
    ['a CGNAT address', () => 'https://100.64.0.1/hooks'],
    ['a benchmarking address', () => 'https://198.18.0.1/hooks'],
    ['the NAT64 spelling of the metadata address', () => 'https://[64:ff9b::a9fe:a9fe]/hooks'],
    ['an IPv4-mapped loopback address', () => 'https://[::ffff:7f00:1]/hooks'],
  ])('refuses %s elsewhere, sending nothing', async (_, url) => {
    const before = received.length;
    await expect(post(false, url())).rejects.toBeInstanceOf(UndeliverableAddressError);
    expect(received.length).toBe(before);
  });
});

describe('deliverable addresses', () => {
  it('are public ones; loopback only where allowed, and no other private address even then', () => {
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']) {
      expect(deliverableAddress(address, { allowLoopback: false }), address).toBe(true);
    }
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '198.18.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', '64:ff9b::a9fe:a9fe', 'not-an-ip']) {
      expect(deliverableAddress(address, { allowLoopback: false }), address).toBe(false);
    }
    expect(deliverableAddress('127.0.0.1', { allowLoopback: true })).toBe(true);
    expect(deliverableAddress('::1', { allowLoopback: true })).toBe(true);
    expect(deliverableAddress('10.1.2.3', { allowLoopback: true })).toBe(false);
    expect(deliverableAddress('169.254.169.254', { allowLoopback: true })).toBe(false);
  });
});
