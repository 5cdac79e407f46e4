import { getEvent } from '../../shared/commands/webhooks.ts';
import { eventView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { EventIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.getEvent,
  params: EventIdParams,
  run: async ({ params, merchantId, deps }) => eventView(await getEvent(deps, merchantId, params.id)),
});

export const handler = lambdaHandler(endpoint);
