import { listBlockList } from '../../shared/commands/fraud.ts';
import { blockListEntryView, listView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { ListBlockListQuery, listRequest } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.listBlockList,
  query: ListBlockListQuery,
  run: async ({ query, merchantId, deps }) =>
    listView(
      await listBlockList(deps, merchantId, listRequest(query)),
      query,
      blockListEntryView,
    ),
});

export const handler = lambdaHandler(endpoint);
