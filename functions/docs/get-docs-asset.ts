import * as z from 'zod';
import { errors } from '../../shared/domain/errors.ts';
import { ASSET_CACHE_CONTROL } from '../../shared/docs/site.ts';
import { defineEndpoint, RawAnswer } from '../../shared/http/endpoint.ts';
import { ROUTES } from '../../shared/routes.ts';
import { docsLambdaHandler } from '../../shared/runtime/aws-docs.ts';

const AssetParams = z.object({ file: z.string().max(100) });

/** The docs pages' scripts (Redoc's standalone bundle among them) and style, under names that carry their hash. */
export const endpoint = defineEndpoint({
  route: ROUTES.docsAsset,
  params: AssetParams,
  run: async ({ params, deps }) => {
    const assets = await deps.docsAssets?.();
    if (!assets) throw new Error('this function was built without the docs assets');
    const asset = Object.hasOwn(assets, params.file) ? assets[params.file] : undefined;
    if (!asset) throw errors.notFound('asset');
    return new RawAnswer(200, { 'content-type': asset.contentType, 'cache-control': ASSET_CACHE_CONTROL, 'x-content-type-options': 'nosniff' }, asset.body);
  },
});

export const handler = docsLambdaHandler(endpoint);
