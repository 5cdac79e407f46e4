import { errors } from '../domain/errors.ts';
import type { Transaction } from '../domain/payment.ts';
import type { Dependencies } from '../dependencies.ts';
import type { Page, TransactionQuery } from '../ports.ts';
import { positioned, type ListRequest } from './lists.ts';

export async function getTransaction(deps: Dependencies, merchantId: string, transactionId: string): Promise<Transaction> {
  const transaction = await deps.store.getTransaction(merchantId, transactionId);
  if (!transaction) throw errors.notFound('transaction');
  return transaction;
}

export async function listTransactions(deps: Dependencies, merchantId: string, request: ListRequest<TransactionQuery>): Promise<Page<Transaction>> {
  return deps.store.listTransactions(merchantId, await positioned(request, (id) => deps.store.getTransaction(merchantId, id), 'transaction'));
}
