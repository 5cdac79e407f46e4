import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts the items DynamoDB examined for the requests sent while measuring: a Query's ScannedCount
 * (what it read, before any filter), every key a BatchGetItem asked for, one per GetItem. What the
 * list tests hold a page's reads to.
 */
export class ExaminedItems {
  private counting = false;
  private examined = 0;

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (this.counting) this.examined += examinedBy(context.commandName ?? '', args.input, result.output);
        return result;
      },
      { step: 'initialize', name: 'examinedItems' },
    );
  }

  async during<T>(run: () => Promise<T>): Promise<{ result: T; examined: number }> {
    this.examined = 0;
    this.counting = true;
    try {
      return { result: await run(), examined: this.examined };
    } finally {
      this.counting = false;
    }
  }
}

function examinedBy(command: string, input: object, output: object): number {
  if (command === 'QueryCommand' || command === 'ScanCommand') return (output as { ScannedCount?: number }).ScannedCount ?? 0;
  if (command === 'BatchGetCommand' || command === 'BatchGetItemCommand') {
    const { RequestItems } = input as { RequestItems?: Record<string, { Keys?: unknown[] }> };
    return Object.values(RequestItems ?? {}).reduce((sum, table) => sum + (table.Keys?.length ?? 0), 0);
  }
  return command === 'GetCommand' || command === 'GetItemCommand' ? 1 : 0;
}
