import { listTransactions } from '../../shared/commands/transactions.ts';
import { listView, transactionView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { listRequest, ListTransactionsQuery } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.listTransactions,
  query: ListTransactionsQuery,
  run: async ({ query, merchantId, deps }) => listView(await listTransactions(deps, merchantId, { ...listRequest(query), status: query.status }), query, transactionView),
});

export const handler = lambdaHandler(endpoint);
