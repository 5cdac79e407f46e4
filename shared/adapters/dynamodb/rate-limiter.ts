import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateDecision, RateLimiter, RateWindow } from '../../ports.ts';
import { TABLE } from './table.ts';

/**
 * Fixed-window counters in the table: one conditional `ADD` per window per request, refused once
 * the window is full, so the count is exact across every concurrent instance. Counters expire by TTL.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.doc = DynamoDBDocumentClient.from(client);
    this.tableName = tableName;
  }

  async hit(window: RateWindow, nowMs: number): Promise<RateDecision> {
    const windowStart = Math.floor(nowMs / 1000 / window.windowSeconds) * window.windowSeconds;
    const resetEpochSeconds = windowStart + window.windowSeconds;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `RATE#${window.key}#${window.windowSeconds}#${windowStart}`, sk: 'RATE' },
          UpdateExpression: 'ADD hits :one SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
          ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':one': 1, ':limit': window.limit, ':ttl': resetEpochSeconds + 60 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const hits = Number(out.Attributes?.['hits'] ?? window.limit);
      return { allowed: true, limit: window.limit, remaining: Math.max(0, window.limit - hits), resetEpochSeconds };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { allowed: false, limit: window.limit, remaining: 0, resetEpochSeconds };
    }
  }
}
