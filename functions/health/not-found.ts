import { errors } from '../../shared/domain/errors.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import type { RouteSpec } from '../../shared/routes.ts';
import { serviceFreeLambdaHandler } from '../../shared/runtime/aws-service-free.ts';

/**
 * The API's `$default` route in AWS: every method and path that no route of the table matches.
 * API Gateway would answer `{"message":"Not Found"}`; this answers the contract's 404, as the
 * local gateway's bridge does. Not in shared/routes.ts: it is no route of the contract, and
 * `$default` has no method (the stack gives it the `$default` route key; `method` is unused).
 */
export const NOT_FOUND_ROUTE = { method: 'GET', path: '$default', handler: 'health/not-found', auth: 'none', rateLimit: null } as const satisfies RouteSpec;

export const endpoint = defineEndpoint({
  route: NOT_FOUND_ROUTE,
  // Any JSON body: an unknown route is a 404 whatever it is sent, not a body validation error.
  ignoresBody: true,
  run: async () => {
    throw errors.notFound('route');
  },
});

// It calls no AWS service: its bundle carries no SDK.
export const handler = serviceFreeLambdaHandler(endpoint);
