import { blockListValue, canonicalIp, DEFAULT_FRAUD_THRESHOLDS, type BlockListEntry, type BlockListType, type FraudThresholds } from '../../domain/fraud.ts';
import type { BlockListQuery, FraudAttempt, FraudSignals, FraudStore, FraudSubject, IdempotencyPart, Page } from '../../ports.ts';
import { TABLE } from './table.ts';
import { cancellationReasons, keys, listWindow, type Item, type TableAccess, type TransactItem } from './table-access.ts';

/** The counters' window: the fraud rules read counts of the last hour. */
export const FRAUD_WINDOW_SECONDS = 3600;
/** Counts are kept per 5-minute bucket, so the window slides by 5 minutes: the hour is 12 buckets and the one now filling. */
export const FRAUD_BUCKET_SECONDS = 300;
const BUCKETS_IN_WINDOW = FRAUD_WINDOW_SECONDS / FRAUD_BUCKET_SECONDS;

/** What each counter item counts per bucket: attempts, declines, new cards (IP only), small amounts (IP only). */
const COUNTS = { attempts: 'a', declines: 'd', newCards: 'n', smallAmounts: 's' } as const;
type Count = keyof typeof COUNTS;

/** A merchant's usual amounts: its approved payments per currency, counted per day over the last week and the day now filling. */
export const USUAL_AMOUNT_DAYS = 7;
const DAY_SECONDS = 86_400;
/**
 * Every payment of a merchant counts into its usual amounts: one item would make concurrent
 * payments conflict on it, so the counts are spread over a few items (by payment id), read together.
 */
export const USUAL_AMOUNT_SHARDS = 4;

const dayOf = (nowMs: number) => Math.floor(nowMs / 1000 / DAY_SECONDS) * DAY_SECONDS;
const shardOf = (paymentId: string) => [...paymentId].reduce((sum, char) => sum + char.charCodeAt(0), 0) % USUAL_AMOUNT_SHARDS;

const bucketOf = (nowMs: number) => Math.floor(nowMs / 1000 / FRAUD_BUCKET_SECONDS) * FRAUD_BUCKET_SECONDS;
const attributeOf = (count: Count, bucketStart: number) => `${COUNTS[count]}_${String(bucketStart)}`;

export const fraudKeys = {
  card: (merchantId: string, fingerprint: string) => ({ pk: `FRAUD#${merchantId}#CARD#${fingerprint}`, sk: 'FRAUD' }),
  /** Counted under one spelling of the address, however the caller wrote it. */
  ip: (merchantId: string, ip: string) => ({ pk: `FRAUD#${merchantId}#IP#${canonicalIp(ip)}`, sk: 'FRAUD' }),
  /** One of the items counting the merchant's approved payments and their amounts in a currency. */
  usualAmounts: (merchantId: string, currency: string, shard: number) => ({ pk: `FRAUD#${merchantId}#AMOUNTS#${currency}`, sk: `SHARD#${String(shard)}` }),
  /** The merchant's thresholds, where it changed them. */
  settings: (merchantId: string) => ({ pk: `MERCHANT#${merchantId}`, sk: 'FRAUD_SETTINGS' }),
  /** A value on a merchant's block list (emails lower case). */
  blocked: (merchantId: string, type: BlockListType, value: string) => ({ pk: `FRAUDBLOCK#${merchantId}#${type}#${value}`, sk: 'BLOCK' }),
};


function thresholdsOf(item: Item | undefined): FraudThresholds {
  return item ? { reviewAbove: Number(item['reviewAbove']), declineAbove: Number(item['declineAbove']) } : DEFAULT_FRAUD_THRESHOLDS;
}

/** The approved payments and their total over the days of the week that ends now, in these items. */
function usualAmountsIn(items: readonly Item[], nowMs: number): { payments: number; amountTotal: number } {
  const today = dayOf(nowMs);
  let payments = 0;
  let amountTotal = 0;
  for (const item of items) {
    for (let back = 0; back <= USUAL_AMOUNT_DAYS; back++) {
      const day = String(today - back * DAY_SECONDS);
      payments += Number(item[`c_${day}`] ?? 0);
      amountTotal += Number(item[`t_${day}`] ?? 0);
    }
  }
  return { payments, amountTotal };
}

/** The sum of a count over the buckets of the window that ends now. */
function countInWindow(item: Item | undefined, count: Count, nowMs: number): number {
  if (!item) return 0;
  const current = bucketOf(nowMs);
  let sum = 0;
  for (let back = 0; back <= BUCKETS_IN_WINDOW; back++) sum += Number(item[attributeOf(count, current - back * FRAUD_BUCKET_SECONDS)] ?? 0);
  return sum;
}

/**
 * Fraud counters and block lists. A counter item per card (by fingerprint) and per shopper IP at
 * each merchant counts attempts in 5-minute buckets named by their start (`a_1764583200`), read
 * together with the block-list entries in one BatchGetItem before the payment is scored, and
 * counted by plain ADDs in the payment's own commit (so a payment and its count commit together,
 * and the counts cost no write request of their own). Each count also removes the buckets of the
 * hour before the window; an item nobody counts in for 2 hours expires by TTL.
 *
 * Two attempts of one card or IP at the same moment both read the counts before either counts,
 * so a burst of N concurrent attempts is seen once its first ones have committed: the rules count
 * the attempts before, and a card tester's next attempts see them.
 */
export class FraudRecords implements FraudStore {
  private readonly table: TableAccess;

  constructor(table: TableAccess) {
    this.table = table;
  }

  async readFraudSignals(subject: FraudSubject, nowMs: number): Promise<FraudSignals> {
    const { merchantId } = subject;
    const cardKey = fraudKeys.card(merchantId, subject.fingerprint);
    const ipKey = subject.clientIp === null ? null : fraudKeys.ip(merchantId, subject.clientIp);
    const blocked = (type: BlockListType, value: string): [BlockListType, { pk: string; sk: string }] => [type, fraudKeys.blocked(merchantId, type, blockListValue(type, value))];
    const blockKeys = [blocked('card_fingerprint', subject.fingerprint)];
    if (subject.email !== null) blockKeys.push(blocked('email', subject.email));
    if (subject.clientIp !== null) blockKeys.push(blocked('ip', subject.clientIp));

    const settingsKey = fraudKeys.settings(merchantId);
    const amountKeys = Array.from({ length: USUAL_AMOUNT_SHARDS }, (_, shard) => fraudKeys.usualAmounts(merchantId, subject.currency, shard));
    const found = await this.table.getMany([cardKey, ...(ipKey ? [ipKey] : []), settingsKey, ...blockKeys.map(([, key]) => key), ...amountKeys]);
    const byKey = new Map(found.map((item) => [`${String(item['pk'])}|${String(item['sk'])}`, item]));
    const at = (key: { pk: string; sk: string }) => byKey.get(`${key.pk}|${key.sk}`);
    const settings = at(settingsKey);
    const card = at(cardKey);
    const ip = ipKey ? at(ipKey) : undefined;
    return {
      history: {
        card: { attempts: countInWindow(card, 'attempts', nowMs), declines: countInWindow(card, 'declines', nowMs) },
        ip: ipKey
          ? {
              attempts: countInWindow(ip, 'attempts', nowMs),
              declines: countInWindow(ip, 'declines', nowMs),
              newCards: countInWindow(ip, 'newCards', nowMs),
              smallAmounts: countInWindow(ip, 'smallAmounts', nowMs),
            }
          : null,
        merchant: usualAmountsIn(amountKeys.map(at).filter((item): item is Item => item !== undefined), nowMs),
      },
      blocked: blockKeys.filter(([, key]) => at(key) !== undefined).map(([type]) => type),
      thresholds: thresholdsOf(settings),
    };
  }

  async getFraudThresholds(merchantId: string): Promise<FraudThresholds> {
    const [item] = await this.table.getMany([fraudKeys.settings(merchantId)]);
    return thresholdsOf(item);
  }

  async saveFraudThresholds(merchantId: string, thresholds: FraudThresholds, idempotency?: IdempotencyPart): Promise<void> {
    const item = { ...fraudKeys.settings(merchantId), entity: 'fraud_settings', merchantId, ...thresholds };
    await this.table.transact([{ Put: { TableName: this.table.tableName, Item: item } }], idempotency);
  }

  /**
   * The entry (listed under its merchant) and a marker keyed by its value (what a payment's read
   * looks up), in one transaction; the marker's condition keeps one entry per value.
   */
  async addBlockListEntry(entry: BlockListEntry, idempotency?: IdempotencyPart): Promise<{ added: true } | { added: false; existingId: string }> {
    const marker = fraudKeys.blocked(entry.merchantId, entry.type, entry.value);
    try {
      await this.table.transact(
        [
          this.table.put({ ...marker, entity: 'block_list_marker', merchantId: entry.merchantId, entryId: entry.id }),
          this.table.put({
            ...keys.blockListEntry(entry.id),
            entity: 'block_list_entry',
            gsi1pk: `MERCHANT#${entry.merchantId}#BLOCK`,
            gsi1sk: `${entry.createdAt}#${entry.id}`,
            ...entry,
          }),
        ],
        idempotency,
      );
      return { added: true };
    } catch (error) {
      if (cancellationReasons(error)[0]?.Code !== 'ConditionalCheckFailed') throw error;
      const [existing] = await this.table.getMany([marker]);
      return { added: false, existingId: String(existing?.['entryId'] ?? '') };
    }
  }

  getBlockListEntry(merchantId: string, id: string): Promise<BlockListEntry | null> {
    return this.table.getOwned<BlockListEntry>(keys.blockListEntry(id), merchantId);
  }

  listBlockList(merchantId: string, query: BlockListQuery): Promise<Page<BlockListEntry>> {
    return this.table.newestFirst('byMerchant', `MERCHANT#${merchantId}#BLOCK`, listWindow(query));
  }

  async removeBlockListEntry(merchantId: string, id: string): Promise<boolean> {
    const entry = await this.getBlockListEntry(merchantId, id);
    if (!entry) return false;
    const owned = { ConditionExpression: 'merchantId = :m', ExpressionAttributeValues: { ':m': merchantId } };
    try {
      await this.table.transact([
        { Delete: { TableName: this.table.tableName, Key: keys.blockListEntry(id), ...owned } },
        { Delete: { TableName: this.table.tableName, Key: fraudKeys.blocked(merchantId, entry.type, entry.value), ...owned } },
      ]);
      return true;
    } catch (error) {
      // Removed meanwhile by another request: gone all the same.
      if (cancellationReasons(error).some((r) => r.Code === 'ConditionalCheckFailed')) return false;
      throw error;
    }
  }

  /** The commit items counting an attempt: one unconditional update of the card's counters, one of the IP's. */
  countItems(attempt: FraudAttempt): TransactItem[] {
    const { subject, atMs } = attempt;
    const items = [this.countItem(fraudKeys.card(subject.merchantId, subject.fingerprint), atMs, { attempts: 1, declines: attempt.declined ? 1 : 0 })];
    if (subject.clientIp !== null) {
      items.push(
        this.countItem(fraudKeys.ip(subject.merchantId, subject.clientIp), atMs, {
          attempts: 1,
          declines: attempt.declined ? 1 : 0,
          newCards: attempt.newCard ? 1 : 0,
          smallAmounts: attempt.smallAmount ? 1 : 0,
        }),
      );
    }
    // An approved payment counts into the merchant's usual amounts (a decline is no sign of what its customers pay).
    if (!attempt.declined) items.push(this.usualAmountItem(attempt));
    return items;
  }

  private usualAmountItem(attempt: FraudAttempt): TransactItem {
    const { subject, atMs } = attempt;
    const today = dayOf(atMs);
    const names: Record<string, string> = { '#ttl': TABLE.ttlAttribute, '#c': `c_${String(today)}`, '#t': `t_${String(today)}` };
    const removals: string[] = [];
    // The week before the window: whatever an earlier count left there.
    for (let back = USUAL_AMOUNT_DAYS + 1; back <= 2 * USUAL_AMOUNT_DAYS + 1; back++) {
      const day = String(today - back * DAY_SECONDS);
      names[`#c${String(back)}`] = `c_${day}`;
      names[`#t${String(back)}`] = `t_${day}`;
      removals.push(`#c${String(back)}`, `#t${String(back)}`);
    }
    return {
      Update: {
        TableName: this.table.tableName,
        Key: fraudKeys.usualAmounts(subject.merchantId, subject.currency, shardOf(attempt.paymentId)),
        UpdateExpression: `ADD #c :one, #t :amount SET #ttl = :ttl REMOVE ${removals.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':one': 1, ':amount': attempt.amount, ':ttl': Math.floor(atMs / 1000) + (USUAL_AMOUNT_DAYS + 2) * DAY_SECONDS },
      },
    };
  }

  private countItem(key: { pk: string; sk: string }, atMs: number, counts: Partial<Record<Count, number>>): TransactItem {
    const bucket = bucketOf(atMs);
    const names: Record<string, string> = { '#ttl': TABLE.ttlAttribute };
    const values: Record<string, unknown> = { ':ttl': Math.floor(atMs / 1000) + 2 * FRAUD_WINDOW_SECONDS };
    const adds: string[] = [];
    const removals: string[] = [];
    for (const [count, by] of Object.entries(counts) as Array<[Count, number]>) {
      names[`#${count}`] = attributeOf(count, bucket);
      values[`:${count}`] = by;
      adds.push(`#${count} :${count}`);
      // The hour of buckets before the window: whatever an earlier count left there.
      for (let back = BUCKETS_IN_WINDOW + 1; back <= 2 * BUCKETS_IN_WINDOW + 1; back++) {
        const name = `#${count}${String(back)}`;
        names[name] = attributeOf(count, bucket - back * FRAUD_BUCKET_SECONDS);
        removals.push(name);
      }
    }
    return {
      Update: {
        TableName: this.table.tableName,
        Key: key,
        UpdateExpression: `ADD ${adds.join(', ')} SET #ttl = :ttl REMOVE ${removals.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }
}
