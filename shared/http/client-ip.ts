import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { header, type HttpEvent } from './types.ts';

/**
 * Set by the stage's CloudFront function to the viewer's address (`event.viewer.ip`), replacing
 * any value the viewer sent (lib/aws/edge.ts).
 */
export const VIEWER_IP_HEADER = 'x-paygate-viewer-ip';

/** Added by CloudFront to every request it sends to the API: the stage's edge origin secret. */
export const EDGE_SECRET_HEADER = 'x-paygate-edge-secret';

/**
 * The client IP that per-IP limits count. Behind CloudFront, API Gateway's `sourceIp` is an edge
 * server's address, shared by every client of that edge, so the viewer's address is read from
 * VIEWER_IP_HEADER; but only from a request that carries the edge secret: anyone may call the
 * API's own endpoint directly with a made-up header, and is then counted by its real address.
 */
export function clientIp(event: HttpEvent, edgeOriginSecret: string | null): string {
  const sourceIp = event.requestContext.http.sourceIp;
  if (edgeOriginSecret === null) return sourceIp;
  const presented = header(event, EDGE_SECRET_HEADER);
  if (presented === undefined || !sameSecret(presented, edgeOriginSecret)) return sourceIp;
  const viewerIp = header(event, VIEWER_IP_HEADER)?.trim();
  return viewerIp !== undefined && isIP(viewerIp) !== 0 ? viewerIp : sourceIp;
}

/** Compared in constant time (digests first, so that unequal lengths take the same path). */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
