import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, KeyLookup, Merchant, MerchantStore, RateWindow } from '../../ports.ts';
import { countedIn, windowItemKey } from './rate-limiter.ts';
import { keys, strip, type Item, type TableAccess, type TransactItem } from './table-access.ts';

/** Merchants and their API keys (each key kept twice: by its hash, to authenticate, and under its merchant, to revoke). */
export class MerchantRecords implements MerchantStore {
  private readonly table: TableAccess;

  constructor(table: TableAccess) {
    this.table = table;
  }

  async createMerchant(merchant: Merchant, firstKey: ApiKeyRecord): Promise<void> {
    await this.table.transact([
      {
        Put: {
          TableName: this.table.tableName,
          Item: { ...keys.merchant(merchant.id), entity: 'merchant', ...merchant },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...this.apiKeyPuts(firstKey),
    ]);
  }

  async getMerchant(merchantId: string): Promise<Merchant | null> {
    const { Item } = await this.table.doc.send(new GetCommand({ TableName: this.table.tableName, Key: keys.merchant(merchantId) }));
    return Item ? strip<Merchant>(Item) : null;
  }

  async addApiKey(key: ApiKeyRecord): Promise<void> {
    await this.table.transact([
      {
        ConditionCheck: {
          TableName: this.table.tableName,
          Key: keys.merchant(key.merchantId),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      ...this.apiKeyPuts(key),
    ]);
  }

  private apiKeyPuts(key: ApiKeyRecord): TransactItem[] {
    return [
      {
        Put: {
          TableName: this.table.tableName,
          Item: { ...keys.apiKey(key.keyHash), entity: 'api_key', ...key },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.table.tableName,
          Item: { ...keys.merchantKey(key.merchantId, key.id), entity: 'merchant_api_key', ...key },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
  }

  async revokeApiKey(merchantId: string, keyId: string, at: string): Promise<boolean> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.merchantKey(merchantId, keyId), ConsistentRead: true }),
    );
    if (!Item) return false;
    const record = strip<ApiKeyRecord>(Item);
    if (record.revokedAt !== null) return true;
    const revoke = (Key: Item): TransactItem => ({
      Update: {
        TableName: this.table.tableName,
        Key,
        UpdateExpression: 'SET revokedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND merchantId = :m',
        ExpressionAttributeValues: { ':at': at, ':m': merchantId },
      },
    });
    await this.table.transact([revoke(keys.apiKey(record.keyHash)), revoke(keys.merchantKey(merchantId, keyId))]);
    return true;
  }

  async findApiKey(keyHash: string, caller?: { failures: RateWindow; nowMs: number }): Promise<KeyLookup> {
    const keyItem = keys.apiKey(keyHash);
    if (!caller) {
      const { Item } = await this.table.doc.send(new GetCommand({ TableName: this.table.tableName, Key: keyItem }));
      return { record: Item ? strip<ApiKeyRecord>(Item) : null, callerFailures: 0 };
    }
    // One read request for both: the key, and how often its caller failed lately.
    const counter = windowItemKey(caller.failures, caller.nowMs);
    const found = await this.table.getMany([keyItem, counter]);
    const record = found.find((item) => item['pk'] === keyItem.pk);
    return { record: record ? strip<ApiKeyRecord>(record) : null, callerFailures: countedIn(found.find((item) => item['pk'] === counter.pk)) };
  }
}
