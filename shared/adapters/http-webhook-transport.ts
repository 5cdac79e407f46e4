import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { redact } from '../logger.ts';
import type { WebhookRequest, WebhookTransport } from '../ports.ts';
import { deliverableAddress } from './webhook-addresses.ts';

/** How much of a receiver's answer is kept: enough to debug, never the whole body. */
const EXCERPT_CHARS = 200;

/** Why a delivery was not even attempted: the name or address is not one a webhook may reach. */
export class UndeliverableAddressError extends Error {
  constructor(host: string) {
    super(`${host} is not a public address: webhooks are not delivered there`);
    this.name = 'UndeliverableAddressError';
  }
}

/**
 * Posts webhooks over node:http(s). The address is checked where it is used: the name is resolved
 * by our own lookup, which refuses any answer that holds a non-public address, and the socket
 * connects to the address that lookup checked (a name that resolves to 127.0.0.1, or to one
 * address at check time and another at connect time, reaches nothing). Redirects are not followed
 * (a 3xx is a failure); a time-out aborts.
 */
export function createWebhookTransport(options: { allowLoopback: boolean }): WebhookTransport {
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.length === 0 || addresses.some((a) => !deliverableAddress(a.address, options));
      if (refused) return callback(new UndeliverableAddressError(hostname), '', 0);
      if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };

  return {
    post(webhook: WebhookRequest) {
      const url = new URL(webhook.url);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      // A literal address is never looked up: check it here.
      if (isIP(host) !== 0 && !deliverableAddress(host, options)) return Promise.reject(new UndeliverableAddressError(host));
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise((resolve, reject) => {
        const req = send(url, { method: 'POST', headers: webhook.headers, lookup, signal: AbortSignal.timeout(webhook.timeoutMs) }, (res: IncomingMessage) => {
          let excerpt = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (excerpt.length < EXCERPT_CHARS) excerpt += chunk;
            if (excerpt.length >= EXCERPT_CHARS) res.destroy();
          });
          const done = () => resolve({ statusCode: res.statusCode ?? 0, bodyExcerpt: redact(excerpt.slice(0, EXCERPT_CHARS)) });
          res.on('end', done);
          res.on('close', done);
          res.on('error', done);
        });
        req.on('error', reject);
        req.end(webhook.body);
      });
    },
  };
}
