import { errors } from '../domain/errors.ts';
import type { Transaction, TransactionStatus } from '../domain/payment.ts';
import type { Dependencies } from '../dependencies.ts';
import type { Page } from '../ports.ts';

export async function getTransaction(deps: Dependencies, merchantId: string, transactionId: string): Promise<Transaction> {
  const transaction = await deps.store.getTransaction(merchantId, transactionId);
  if (!transaction) throw errors.notFound('transaction');
  return transaction;
}

export function listTransactions(
  deps: Dependencies,
  merchantId: string,
  query: { status?: TransactionStatus | undefined; limit: number; offset: number },
): Promise<Page<Transaction>> {
  return deps.store.listTransactions(merchantId, query);
}
