/** The client IP that per-IP limits count, with and without CloudFront in front (shared/http/client-ip.ts). */
import { describe, expect, it } from 'vitest';
import { clientIp, EDGE_SECRET_HEADER, VIEWER_IP_HEADER } from '../../shared/http/client-ip.ts';
import { httpEvent } from '../support/events.ts';

const SECRET = 'edge-origin-secret-of-the-stage-0123456789abcdef';
const EDGE_SERVER = '127.0.0.1'; // the sourceIp httpEvent gives: what API Gateway sees behind CloudFront

const request = (headers: Record<string, string>) => httpEvent({ method: 'GET', path: '/api/v1/payments', headers });

describe('clientIp', () => {
  it('is API Gateway’s source IP when the stage has no edge, whatever the headers say', () => {
    expect(clientIp(request({ [EDGE_SECRET_HEADER]: SECRET, [VIEWER_IP_HEADER]: '198.51.100.7' }), null)).toBe(EDGE_SERVER);
  });

  it('is the viewer’s address when the request carries the edge secret', () => {
    expect(clientIp(request({ [EDGE_SECRET_HEADER]: SECRET, [VIEWER_IP_HEADER]: '198.51.100.7' }), SECRET)).toBe('198.51.100.7');
    expect(clientIp(request({ [EDGE_SECRET_HEADER]: SECRET, [VIEWER_IP_HEADER]: '2001:db8::7' }), SECRET)).toBe('2001:db8::7');
  });

  it('reads the headers whatever their case', () => {
    expect(clientIp(request({ 'X-Paygate-Edge-Secret': SECRET, 'X-Paygate-Viewer-IP': '198.51.100.7' }), SECRET)).toBe('198.51.100.7');
  });

  it.each([
    ['no secret', { [VIEWER_IP_HEADER]: '198.51.100.7' }],
    ['a wrong secret', { [EDGE_SECRET_HEADER]: 'guessed', [VIEWER_IP_HEADER]: '198.51.100.7' }],
    ['the secret but one character', { [EDGE_SECRET_HEADER]: SECRET.slice(0, -1), [VIEWER_IP_HEADER]: '198.51.100.7' }],
    ['the secret with more after it', { [EDGE_SECRET_HEADER]: `${SECRET}x`, [VIEWER_IP_HEADER]: '198.51.100.7' }],
  ])('is the source IP for a request with %s: a caller of the API’s own endpoint cannot name its IP', (_, headers) => {
    expect(clientIp(request(headers), SECRET)).toBe(EDGE_SERVER);
  });

  it.each([
    ['no viewer header', {}],
    ['an empty one', { [VIEWER_IP_HEADER]: '' }],
    ['one that is no IP address', { [VIEWER_IP_HEADER]: 'public:203.0.113.1' }],
    ['a list of addresses', { [VIEWER_IP_HEADER]: '198.51.100.7, 203.0.113.1' }],
  ])('is the source IP for a request with the secret and %s', (_, headers) => {
    expect(clientIp(request({ [EDGE_SECRET_HEADER]: SECRET, ...headers }), SECRET)).toBe(EDGE_SERVER);
  });
});
