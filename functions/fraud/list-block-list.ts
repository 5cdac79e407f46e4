import { listBlockList } from '../../shared/commands/fraud.ts';
import { blockListEntryView, listView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { ListBlockListQuery } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.listBlockList,
  query: ListBlockListQuery,
  run: async ({ query, merchantId, deps }) =>
    listView(
      await listBlockList(deps, merchantId, { limit: query.limit, offset: query.offset, startingAfter: query.starting_after, endingBefore: query.ending_before }),
      query,
      blockListEntryView,
    ),
});

export const handler = lambdaHandler(endpoint);
