import { redact } from '../logger.ts';
import type { WebhookRequest, WebhookTransport } from '../ports.ts';

/** How much of a receiver's answer is kept: enough to debug, never the whole body. */
const EXCERPT_CHARS = 200;

/** Posts webhooks with fetch: redirects are not followed (a 3xx is a failure), a time-out aborts. */
export const fetchWebhookTransport: WebhookTransport = {
  async post(request: WebhookRequest) {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const reader = response.body?.getReader();
    let excerpt = '';
    if (reader) {
      const decoder = new TextDecoder();
      while (excerpt.length < EXCERPT_CHARS) {
        const { done, value } = await reader.read();
        if (done) break;
        excerpt += decoder.decode(value, { stream: true });
      }
      await reader.cancel().catch(() => undefined);
    }
    return { statusCode: response.status, bodyExcerpt: redact(excerpt.slice(0, EXCERPT_CHARS)) };
  },
};
