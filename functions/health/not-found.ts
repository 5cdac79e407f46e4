import { errors } from '../../shared/domain/errors.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { DEFAULT_ROUTE_PATH } from '../../shared/http/middlewares.ts';
import type { RouteSpec } from '../../shared/routes.ts';
import { serviceFreeLambdaHandler } from '../../shared/runtime/aws-service-free.ts';

/**
 * The API's `$default` route in AWS: every method and path that no route of the table matches.
 * API Gateway would answer `{"message":"Not Found"}`; this answers the contract's 404, as the
 * local gateway's bridge does. Not in shared/routes.ts: it is no route of the contract, and
 * `$default` has no method (the stack gives it the `$default` route key; `method` is unused).
 */
export const NOT_FOUND_ROUTE = { method: 'GET', path: DEFAULT_ROUTE_PATH, handler: 'health/not-found', auth: 'none', rateLimit: null } as const satisfies RouteSpec;

export const endpoint = defineEndpoint({
  route: NOT_FOUND_ROUTE,
  // Any JSON body: an unknown route is a 404 whatever it is sent, not a body validation error.
  ignoresBody: true,
  // The answer (404 naming the nearest route, or 405 with Allow) is the knownRoute middleware's,
  // which runs for every route; this is only reached by an event without a path.
  run: async () => {
    throw errors.routeNotFound('', '(no path)');
  },
});

// It calls no AWS service: its bundle carries no SDK.
export const handler = serviceFreeLambdaHandler(endpoint);
