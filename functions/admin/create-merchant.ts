import { createMerchant } from '../../shared/commands/merchants.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { CreateMerchantBody } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.createMerchant,
  body: CreateMerchantBody,
  successStatus: 201,
  run: async ({ body, deps }) => {
    const { merchant, key } = await createMerchant(deps, body.name);
    return { id: merchant.id, object: 'merchant', name: merchant.name, api_key: key.apiKey, api_key_id: key.record.id, created_at: merchant.createdAt };
  },
});

export const handler = lambdaHandler(endpoint);
