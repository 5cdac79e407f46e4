import type { Clock, IdGenerator, Issuer, RateLimiter, Store, Vault, WebhookTransport } from './ports.ts';
import type { Logger } from './logger.ts';
import type { FraudRule } from './domain/fraud.ts';
import type { CheckoutAssets } from './checkout/assets.ts';
import type { OpenApiDocument } from './http/openapi-document.ts';
import type { DocsAssets, DocsPages } from './docs/site.ts';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Settings both runtimes read from the same environment variables (see shared/config.ts). */
export interface Settings {
  authorizationTtlSeconds: number;
  intentTtlSeconds: number;
  idempotencyTtlSeconds: number;
  /** `sk_test_` or `sk_live_`: the stage decides which keys it issues. */
  apiKeyPrefix: 'sk_test_' | 'sk_live_';
  publicUrl: string;
  /**
   * Webhook and redirect URLs on localhost/127.0.0.1: true only on the local gateway. In Lambda,
   * loopback is the Runtime API, so the AWS runtime refuses them (no request to ourselves).
   */
  allowLoopbackUrls: boolean;
  rateLimits: RateLimitSettings;
  /** Seconds before attempts 2..5. */
  webhookRetryDelaysSeconds: number[];
  /** A delivery not done this long after its event is expired. */
  webhookEventTtlSeconds: number;
  /** Events are kept (and readable) this long. */
  eventRetentionSeconds: number;
  /**
   * What CloudFront adds to each request it forwards when the stage has an edge
   * (shared/http/client-ip.ts): only such a request names its client IP in a header. Null
   * without an edge, and always on the local gateway.
   */
  edgeOriginSecret: string | null;
}

export interface RateLimitSettings {
  paymentPerSecond: number;
  paymentPerHour: number;
  transactionPerSecond: number;
  publicPerSecond: number;
  /**
   * Well-formed API keys that match no live key, per client IP per minute: past it the IP is
   * answered 429 before any key it presents is looked at (a key-guessing client stops there).
   */
  authFailuresPerMinute: number;
  /** Operator (admin) requests per client IP per minute, counted before the operator is checked. */
  adminPerMinute: number;
}

/** Everything a handler needs, built once per runtime by its composition root. */
export interface Dependencies {
  store: Store;
  rateLimiter: RateLimiter;
  webhookTransport: WebhookTransport;
  /** The hosted checkout page's script and style; null where the page is not served. */
  checkoutAssets: CheckoutAssets | null;
  /**
   * The OpenAPI document of the route table, built from the zod schemas: a constant of its bundle
   * in AWS, built on first use by the local gateway; null where it is not served.
   */
  openApiDocument: () => Promise<OpenApiDocument | null>;
  /**
   * The pages of `/docs` (reference and guides) and their assets, likewise: constants of their
   * bundles (shared/runtime/aws-docs.ts), built on first use locally; absent in every other function.
   */
  docsPages?: () => Promise<DocsPages | null>;
  docsAssets?: () => Promise<DocsAssets | null>;
  vault: Vault;
  issuer: Issuer;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  fraudRules: readonly FraudRule[];
  settings: Settings;
  /** Operator routes: IAM-signed in AWS (API Gateway checked it), a bearer admin key locally. */
  isAdmin(event: APIGatewayProxyEventV2): boolean;
}
