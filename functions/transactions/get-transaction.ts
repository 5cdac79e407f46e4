import { getTransaction } from '../../shared/commands/transactions.ts';
import { transactionView } from '../../shared/domain/views.ts';
import { defineEndpoint } from '../../shared/http/endpoint.ts';
import { TransactionIdParams } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';
import { lambdaHandler } from '../../shared/runtime/aws.ts';

export const endpoint = defineEndpoint({
  route: ROUTES.getTransaction,
  params: TransactionIdParams,
  run: async ({ params, merchantId, deps }) => transactionView(await getTransaction(deps, merchantId, params.id)),
});

export const handler = lambdaHandler(endpoint);
