import { listEvents } from '../../shared/commands/webhooks.ts';
import { eventView, listView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { listRequest, ListEventsQuery } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.listEvents,
  query: ListEventsQuery,
  run: async ({ query, merchantId, deps }) => listView(await listEvents(deps, merchantId, { ...listRequest(query), type: query.type }), query, eventView),
});

export const handler = lambdaHandler(endpoint);
