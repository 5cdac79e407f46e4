import { listIntents } from '../../shared/commands/intents.ts';
import { intentView, listView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { listRequest, ListPaymentIntentsQuery } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.listPaymentIntents,
  query: ListPaymentIntentsQuery,
  run: async ({ query, merchantId, deps }) => {
    const page = await listIntents(deps, merchantId, listRequest(query));
    const now = deps.clock.now();
    // A list carries no client secret: it is handed out by create and retrieve, one intent at a time.
    return listView(page, query, (intent) => intentView(intent, now, null, deps.settings.publicUrl));
  },
});

export const handler = lambdaHandler(endpoint);
