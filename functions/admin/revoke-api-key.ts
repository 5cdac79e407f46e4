import { revokeApiKey } from '../../shared/commands/merchants.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { ApiKeyParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.revokeApiKey,
  params: ApiKeyParams,
  run: async ({ params, deps }) => {
    await revokeApiKey(deps, params.id, params.key_id);
    return { id: params.key_id, object: 'api_key', merchant_id: params.id, revoked: true };
  },
});

export const handler = lambdaHandler(endpoint);
