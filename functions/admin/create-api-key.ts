import { issueApiKey } from '../../shared/commands/merchants.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { MerchantIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.createApiKey,
  params: MerchantIdParams,
  successStatus: 201,
  run: async ({ params, deps }) => {
    const { merchant, key } = await issueApiKey(deps, params.id);
    return { id: merchant.id, object: 'merchant', name: merchant.name, api_key: key.apiKey, api_key_id: key.record.id, created_at: merchant.createdAt };
  },
});

export const handler = lambdaHandler(endpoint);
