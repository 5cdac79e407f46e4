import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.health,
  run: async () => ({ status: 'ok' }),
});

export const handler = lambdaHandler(endpoint);
