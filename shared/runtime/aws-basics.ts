/**
 * What every Lambda function of the stack is built from, whatever AWS services it may call: its
 * configuration, clock, ids and logs, and the handler wrapper. No AWS SDK client is imported
 * here, so a function that calls no AWS service (`$default`) bundles none (aws-service-free.ts).
 */
import type { Context } from 'aws-lambda';
import { cryptoIds, systemClock } from '../adapters/system.ts';
import { bundledCheckoutAssets } from '../checkout/assets.ts';
import { readSettings } from '../config.ts';
import type { Dependencies } from '../dependencies.ts';
import { buildHandler, type AnyEndpoint } from '../http/endpoint.ts';
import { bundledOpenApiDocument } from '../http/openapi-document.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { consoleLogger } from '../logger.ts';

export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
}

/**
 * The dependencies that are no AWS service: each composition root adds the services its function
 * may call, and the fraud rules where it may score a payment (the rules are not small: the
 * service-free `$default` bundle stays under its budget without them).
 */
export type BasicDependencies = Omit<Dependencies, 'store' | 'rateLimiter' | 'webhookTransport' | 'vault' | 'issuer' | 'fraudRules'>;

export function basicAwsDependencies(): BasicDependencies {
  // Read once: an esbuild define is an object literal, made anew wherever it is read.
  const openApiDocument = bundledOpenApiDocument();
  return {
    checkoutAssets: bundledCheckoutAssets(),
    openApiDocument: async () => openApiDocument,
    clock: systemClock,
    ids: cryptoIds,
    logger: consoleLogger(),
    settings: readSettings(process.env, required('PAYGATE_PUBLIC_URL')),
    // API Gateway lets an admin route through only with a valid SigV4 signature (IAM auth).
    isAdmin: (event) => 'authorizer' in event.requestContext && event.requestContext.authorizer !== undefined,
  };
}

/**
 * A service this function may not call (IAM gives it none): any use rejects, saying so. The
 * function's code never reaches it on a path that works; if it did, it fails as AWS would.
 */
export function unavailable<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_, property) => (typeof property === 'string' ? () => Promise.reject(new Error(`this function has no ${what} (${property})`)) : undefined),
  });
}

/** The Lambda entry of an endpoint: its dependencies are built once per execution environment, on first use. */
export function lambdaHandlerOf(endpoint: AnyEndpoint, dependencies: () => Dependencies): (event: HttpEvent, context: Context) => Promise<HttpResult> {
  let handler: ((event: HttpEvent, context: Context) => Promise<HttpResult>) | undefined;
  return (event, context) => {
    handler ??= buildHandler(endpoint, dependencies());
    return handler(event, context);
  };
}
