import { listTransactions } from '../../shared/commands/transactions.ts';
import { transactionView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { ListTransactionsQuery } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.listTransactions,
  query: ListTransactionsQuery,
  run: async ({ query, merchantId, deps }) => {
    const page = await listTransactions(deps, merchantId, query);
    return { object: 'list', data: page.items.map(transactionView), limit: query.limit, offset: query.offset, has_more: page.hasMore };
  },
});

export const handler = lambdaHandler(endpoint);
