/**
 * The one route table. The local gateway and the CDK stack both read it, so the two runtimes
 * cannot drift: each route names its handler module under functions/, how callers authenticate,
 * and the rate-limit class it counts against.
 */
export type HttpMethod = 'GET' | 'POST' | 'DELETE';
export type AuthKind = 'api_key' | 'client_secret' | 'admin' | 'none';
export type RateLimitClass = 'payment' | 'transaction' | 'public';

export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway style: `{id}` marks a path parameter. */
  path: string;
  /** Module under functions/, without extension; it exports `endpoint` and `handler`. */
  handler: string;
  auth: AuthKind;
  rateLimit: RateLimitClass | null;
}

export const ROUTES = {
  health: { method: 'GET', path: '/health', handler: 'health/get-health', auth: 'none', rateLimit: null },

  authorizePayment: { method: 'POST', path: '/api/v1/payments/authorize', handler: 'payments/authorize-payment', auth: 'api_key', rateLimit: 'payment' },
  salePayment: { method: 'POST', path: '/api/v1/payments/sale', handler: 'payments/sale-payment', auth: 'api_key', rateLimit: 'payment' },
  capturePayment: { method: 'POST', path: '/api/v1/payments/{id}/capture', handler: 'payments/capture-payment', auth: 'api_key', rateLimit: 'payment' },
  voidPayment: { method: 'POST', path: '/api/v1/payments/{id}/void', handler: 'payments/void-payment', auth: 'api_key', rateLimit: 'payment' },
  refundPayment: { method: 'POST', path: '/api/v1/payments/{id}/refund', handler: 'payments/refund-payment', auth: 'api_key', rateLimit: 'payment' },
  getPayment: { method: 'GET', path: '/api/v1/payments/{id}', handler: 'payments/get-payment', auth: 'api_key', rateLimit: 'payment' },

  getTransaction: { method: 'GET', path: '/api/v1/transactions/{id}', handler: 'transactions/get-transaction', auth: 'api_key', rateLimit: 'transaction' },
  listTransactions: { method: 'GET', path: '/api/v1/transactions', handler: 'transactions/list-transactions', auth: 'api_key', rateLimit: 'transaction' },

  createMerchant: { method: 'POST', path: '/api/admin/merchants', handler: 'admin/create-merchant', auth: 'admin', rateLimit: null },
  createApiKey: { method: 'POST', path: '/api/admin/merchants/{id}/api-keys', handler: 'admin/create-api-key', auth: 'admin', rateLimit: null },
  revokeApiKey: { method: 'DELETE', path: '/api/admin/merchants/{id}/api-keys/{key_id}', handler: 'admin/revoke-api-key', auth: 'admin', rateLimit: null },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
