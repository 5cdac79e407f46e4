/**
 * The composition root of a function that calls no AWS service (the `$default` route): no table,
 * no key, no issuer; its bundle carries no AWS SDK (bench/bundles.ts reports it, the bundle test
 * holds it under 60 KiB).
 */
import type { Context } from 'aws-lambda';
import type { Dependencies } from '../dependencies.ts';
import type { AnyEndpoint } from '../http/endpoint.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { basicAwsDependencies, lambdaHandlerOf, unavailable } from './aws-basics.ts';

export function serviceFreeDependencies(): Dependencies {
  return {
    ...basicAwsDependencies(),
    store: unavailable('table'),
    rateLimiter: unavailable('table'),
    webhookTransport: unavailable('webhook transport'),
    vault: unavailable('card keys'),
    issuer: unavailable('issuer'),
    // It scores no payment: no rules, and none of their code in its bundle.
    fraudRules: [],
  };
}

export function serviceFreeLambdaHandler(endpoint: AnyEndpoint): (event: HttpEvent, context: Context) => Promise<HttpResult> {
  return lambdaHandlerOf(endpoint, serviceFreeDependencies);
}
