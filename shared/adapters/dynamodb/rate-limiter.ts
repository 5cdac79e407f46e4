import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateDecision, RateLimiter, RateWindow } from '../../ports.ts';
import { TABLE } from './table.ts';

/** How many earlier windows' counters of a shorter window each update removes (all but the one just before). */
export const STALE_COUNTERS_REMOVED = 60;

const windowStartOf = (nowMs: number, windowSeconds: number) => Math.floor(nowMs / 1000 / windowSeconds) * windowSeconds;

/** The item counting `window` at `nowMs` (the longest window of a request names the item; it counts in `hits`). */
export function windowItemKey(window: Pick<RateWindow, 'key' | 'windowSeconds'>, nowMs: number): { pk: string; sk: string } {
  return { pk: `RATE#${window.key}#${window.windowSeconds}#${windowStartOf(nowMs, window.windowSeconds)}`, sk: 'RATE' };
}

/** What the item of a single window has counted so far (its `hits`). */
export function countedIn(item: Record<string, unknown> | undefined): number {
  return Number(item?.['hits'] ?? 0);
}

/** When the window counting at `nowMs` ends, in epoch seconds. */
export function windowResetOf(window: Pick<RateWindow, 'windowSeconds'>, nowMs: number): number {
  return windowStartOf(nowMs, window.windowSeconds) + window.windowSeconds;
}

/**
 * Fixed-window counters in the table, every window of a request in ONE item and ONE conditional
 * update (one write request, one write unit), refused as a whole once any window is full, so the
 * count is exact across every concurrent instance and a refused request counts nowhere.
 *
 * The item belongs to the longest window (`RATE#<key>#<seconds>#<start>`, expiring by TTL after
 * it) and counts it in `hits`; each shorter window counts in an attribute named after its own
 * start (`w1_1764583200`), so a new second needs no reset: its counter starts at nothing. The
 * same update removes that window's counters of the minute before (but the last one, which a
 * slightly late instance may still be counting in), so the item stays small.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.doc = DynamoDBDocumentClient.from(client);
    this.tableName = tableName;
  }

  async hit(windows: readonly RateWindow[], nowMs: number): Promise<RateDecision> {
    const longest = [...windows].sort((a, b) => b.windowSeconds - a.windowSeconds)[0];
    if (!longest || windows.some((w) => w.key !== longest.key)) throw new Error('rate windows must be one or more windows of one key');
    const itemStart = windowStartOf(nowMs, longest.windowSeconds);
    const counters = windows.map((window) => {
      const start = windowStartOf(nowMs, window.windowSeconds);
      const attribute = window === longest ? 'hits' : `w${window.windowSeconds}_${start}`;
      return { window, attribute, start, resetEpochSeconds: start + window.windowSeconds };
    });

    const names: Record<string, string> = { '#ttl': TABLE.ttlAttribute };
    const values: Record<string, unknown> = { ':one': 1, ':ttl': itemStart + longest.windowSeconds + 60 };
    const conditions: string[] = [];
    const removals: string[] = [];
    counters.forEach(({ window, attribute, start }, i) => {
      names[`#c${i}`] = attribute;
      values[`:limit${i}`] = window.limit;
      conditions.push(`(attribute_not_exists(#c${i}) OR #c${i} < :limit${i})`);
      if (window === longest) return;
      // Not the window just before this one: a request of another instance whose clock is a
      // little behind may still count there, and would start it again from nothing.
      for (let back = 2; back <= STALE_COUNTERS_REMOVED + 1; back++) {
        const name = `w${window.windowSeconds}_${start - back * window.windowSeconds}`;
        names[`#r${i}_${back}`] = name;
        removals.push(`#r${i}_${back}`);
      }
    });
    const add = counters.map((_, i) => `#c${i} :one`).join(', ');

    const decide = (counts: Record<string, unknown> | undefined, allowed: boolean): RateDecision => {
      const decisions = counters.map(({ window, attribute, resetEpochSeconds }) => {
        const hits = Number(counts?.[attribute] ?? 0);
        return { allowed: allowed || hits < window.limit, limit: window.limit, remaining: Math.max(0, window.limit - hits), resetEpochSeconds };
      });
      // Refused: the window that is full (the one that resets last, if several); else the tightest.
      const full = decisions.filter((d) => !d.allowed).sort((a, b) => b.resetEpochSeconds - a.resetEpochSeconds)[0];
      return full ?? decisions.sort((a, b) => a.remaining - b.remaining)[0]!;
    };

    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: windowItemKey(longest, nowMs),
          UpdateExpression: `ADD ${add} SET #ttl = :ttl${removals.length ? ` REMOVE ${removals.join(', ')}` : ''}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return decide(out.Attributes, true);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The counts as they were: at least one window was full.
      const old = error.Item ? Object.fromEntries(Object.entries(error.Item).map(([k, v]) => [k, v.N ?? v.S])) : undefined;
      const decision = decide(old, false);
      return { ...decision, allowed: false, remaining: 0 };
    }
  }
}
