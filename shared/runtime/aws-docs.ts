/**
 * The composition root of the functions of `/docs`: the service-free one (no table, no key, no
 * SDK in the bundle) plus the pages or the assets its bundle carries as a build-time constant.
 * Kept out of aws-basics.ts so that no other function's bundle reads the docs constants.
 */
import type { Context } from 'aws-lambda';
import { bundledDocsAssets, bundledDocsPages } from '../docs/bundled.ts';
import type { AnyEndpoint } from '../http/endpoint.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { lambdaHandlerOf } from './aws-basics.ts';
import { serviceFreeDependencies } from './aws-service-free.ts';

export function docsLambdaHandler(endpoint: AnyEndpoint): (event: HttpEvent, context: Context) => Promise<HttpResult> {
  return lambdaHandlerOf(endpoint, () => {
    // Read once: an esbuild define is an object literal, made anew wherever it is read.
    const pages = bundledDocsPages();
    const assets = bundledDocsAssets();
    return { ...serviceFreeDependencies(), docsPages: async () => pages, docsAssets: async () => assets };
  });
}
