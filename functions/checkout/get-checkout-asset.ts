import { errors } from '../../shared/domain/errors.ts';
import { defineEndpoint, RawAnswer } from '../../shared/http/endpoint.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';
import * as z from 'zod';

const AssetParams = z.object({ file: z.enum(['checkout.js', 'checkout.css']) });

export const endpoint = defineEndpoint({
  route: ROUTES.checkoutAsset,
  params: AssetParams,
  run: async ({ params, deps }) => {
    const assets = deps.checkoutAssets;
    if (!assets) throw errors.notFound('asset');
    const [type, body] = params.file === 'checkout.js' ? ['text/javascript', assets.script] : ['text/css', assets.style];
    return new RawAnswer(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' }, body);
  },
});

export const handler = lambdaHandler(endpoint);
