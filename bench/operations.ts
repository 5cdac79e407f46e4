/**
 * `npm run bench` (first half; `npm run bench:operations` alone): what each API operation costs
 * in DynamoDB, and how fast the gateway authorizes compared with its bare store. In one run:
 *
 * 1. Requests and capacity per operation. A gateway is started in-process (`startGateway`, PORT=0,
 *    a fresh temp data dir, rate limits nobody reaches, a worker that polls only at start) with an
 *    SDK middleware on its store's client that records every command (name, marshalled input,
 *    output). Each operation runs over real HTTP, alone, and the commands recorded between its
 *    start and its end are its own. Capacity units are computed per item, as AWS on-demand bills
 *    them (DynamoDB Local under-reports transactions); items written by an update are read back
 *    for their size through a separate, unrecorded client.
 * 2. The cost of a million authorizations (with an Idempotency-Key) at AWS on-demand list prices.
 * 3. Authorize throughput and latency at several concurrencies, against the gateway and against the
 *    bare store replaying the gateway's own DynamoDB requests for one authorize (fresh ids each time).
 * 4. Lists of a merchant with 10,000 payments (copies of a real one, written aside): what a page of
 *    each filter reads, which must follow `limit`, not the history.
 *
 *   npm run bench:operations -- --requests 400
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type BatchGetItemCommandInput,
  type DeleteItemCommandInput,
  type GetItemCommandInput,
  type PutItemCommandInput,
  type QueryCommandInput,
  type TransactWriteItem,
  type TransactWriteItemsCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_TABLE_NAME as TABLE_NAME, startGateway, type RunningGateway } from '../lib/local/gateway.ts';
import { paymentListKeys } from '../shared/adapters/dynamodb/payment-records.ts';
import { TABLE } from '../shared/adapters/dynamodb/table.ts';
import type { Payment } from '../shared/domain/payment.ts';
import type { Logger } from '../shared/logger.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '200' } } });
const REQUESTS_PER_LEVEL = Number(values.requests);
if (!Number.isInteger(REQUESTS_PER_LEVEL) || REQUESTS_PER_LEVEL < 10) throw new Error('--requests must be an integer >= 10');
const CONCURRENCIES = [1, 8, 32];
const WARM_UP_REQUESTS = 30;

/** AWS on-demand list prices (us-east-1), in dollars. */
const PRICES = {
  writeRequestUnit: 0.625 / 1e6,
  readRequestUnit: 0.125 / 1e6,
  httpApiRequest: 1.0 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  lambdaMemoryGb: 512 / 1024,
};

type Item = Record<string, AttributeValue>;
type Json = Record<string, unknown>;

// ---------------------------------------------------------------- recording the store's commands

/** A written item as it was before the command and after it, read aside (by a client the recorder does not see). */
interface Images {
  before?: Item | undefined;
  after?: Item | undefined;
}

/** One command the gateway's store client sent: what it asked, what it got, and items read aside. */
interface StoreCall {
  command: string;
  /** As marshalled: the low-level command's input. */
  input: object;
  /** As the document client's commands see it at this step: already unmarshalled (so sizes are read aside). */
  output: unknown;
  error: string | null;
  /** Every item the command writes or checks, before and after it, by table and key. */
  written: Map<string, Images>;
  /** What a read returned, in bytes: the same read again, aside, in DynamoDB's own form. */
  readBytes: number;
  /** A batch read: the size of each item it asked for (0: not found), each billed on its own. */
  batchItemBytes?: number[];
}

const keyId = (table: string, key: Item) => `${table} ${key[TABLE.partitionKey]?.S ?? ''} ${key[TABLE.sortKey]?.S ?? ''}`;

/** Every item a write command puts, updates, deletes or checks: its images are read aside before and after it. */
function itemsToReadAside(command: string, input: object): { table: string; key: Item }[] {
  const keyOf = (item: Item): Item => ({ [TABLE.partitionKey]: item[TABLE.partitionKey]!, [TABLE.sortKey]: item[TABLE.sortKey]! });
  if (command === 'PutItem') {
    const { TableName, Item } = input as PutItemCommandInput;
    return [{ table: TableName!, key: keyOf(Item!) }];
  }
  if (command === 'UpdateItem' || command === 'DeleteItem') {
    const { TableName, Key } = input as UpdateItemCommandInput;
    return [{ table: TableName!, key: Key! }];
  }
  if (command !== 'TransactWriteItems') return [];
  return ((input as TransactWriteItemsCommandInput).TransactItems ?? []).flatMap((t) => {
    if (t.Put) return [{ table: t.Put.TableName!, key: keyOf(t.Put.Item!) }];
    const part = t.Update ?? t.Delete ?? t.ConditionCheck;
    return part ? [{ table: part.TableName!, key: part.Key! }] : [];
  });
}

/** The local runtime's own probes of its store (is it up?), which no operation sends: not recorded. */
const STORE_PROBES = new Set(['ListTables', 'DescribeTable']);

/**
 * The SDK middleware `instrumentStore` adds: at the build step the document client has marshalled
 * the input, so items are AttributeValues as DynamoDB receives them. Recording is on only while
 * an operation is measured; the throughput runs pass straight through.
 */
class StoreRecorder {
  readonly calls: StoreCall[] = [];
  /** Reads items aside while recording; set once the store's endpoint is known. */
  sideClient: DynamoDBClient | null = null;
  private recording = false;
  private inFlight = 0;
  private lastActivity = performance.now();

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        this.inFlight++;
        this.lastActivity = performance.now();
        const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        const call: StoreCall | null =
          this.recording && !STORE_PROBES.has(command)
            ? { command, input: structuredClone(args.input), output: null, error: null, written: new Map(), readBytes: 0 }
            : null;
        try {
          if (call) this.calls.push(call);
          if (call) await this.sizeWrites(call, 'before');
          const result = await next(args);
          if (call) {
            call.output = structuredClone(result.output);
            await this.sizeWrites(call, 'after');
            await this.sizeRead(call);
          }
          return result;
        } catch (error) {
          if (call) call.error = error instanceof Error ? error.name : String(error);
          throw error;
        } finally {
          this.inFlight--;
          this.lastActivity = performance.now();
        }
      },
      { step: 'build', name: 'benchStoreRecorder' },
    );
  }

  private async sizeWrites(call: StoreCall, when: 'before' | 'after'): Promise<void> {
    for (const target of itemsToReadAside(call.command, call.input)) {
      const { Item } = await this.sideClient!.send(new GetItemCommand({ TableName: target.table, Key: target.key, ConsistentRead: true }));
      const id = keyId(target.table, target.key);
      call.written.set(id, { ...call.written.get(id), [when]: Item });
    }
  }

  /** A read is billed on the whole items it read: the same read again, aside (nothing changes them meanwhile). */
  private async sizeRead(call: StoreCall): Promise<void> {
    if (call.command === 'GetItem') {
      const { TableName, Key } = call.input as GetItemCommandInput;
      const { Item } = await this.sideClient!.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));
      call.readBytes = Item ? itemSize(Item) : 0;
    } else if (call.command === 'Query') {
      const { Items = [] } = await this.sideClient!.send(new QueryCommand(call.input as QueryCommandInput));
      call.readBytes = Items.reduce((n, item) => n + itemSize(item), 0);
    } else if (call.command === 'BatchGetItem') {
      const sizes: number[] = [];
      for (const [TableName, { Keys = [] }] of Object.entries((call.input as BatchGetItemCommandInput).RequestItems ?? {})) {
        for (const Key of Keys) {
          const { Item } = await this.sideClient!.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));
          sizes.push(Item ? itemSize(Item) : 0);
        }
      }
      call.batchItemBytes = sizes;
      call.readBytes = sizes.reduce((n, b) => n + b, 0);
    }
  }

  /** Resolves once no command has been in flight for `quietMs`: the worker's start-up poll, a late write. */
  async settle(quietMs = 150): Promise<void> {
    while (this.inFlight > 0 || performance.now() - this.lastActivity < quietMs) await sleep(25);
  }

  /** Records every command `run` causes (those still running when it answers included). */
  async around(run: () => Promise<void>): Promise<StoreCall[]> {
    await this.settle();
    const from = this.calls.length;
    this.recording = true;
    try {
      await run();
      await this.settle();
    } finally {
      this.recording = false;
    }
    return this.calls.slice(from);
  }
}

// ---------------------------------------------------------------- capacity units, as AWS bills them

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number's size: about one byte per two significant digits, plus one. */
function numberSize(text: string): number {
  const digits = text.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

const binarySize = (value: Uint8Array | string) => (typeof value === 'string' ? Buffer.from(value, 'base64').length : value.length);

/** The size of an attribute value by AWS's rules (maps and lists: 3 bytes, and 1 byte per element). */
function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return binarySize(value.B);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((n, s) => n + utf8(s), 0);
  if (value.NS) return value.NS.reduce((n, s) => n + numberSize(s), 0);
  if (value.BS) return value.BS.reduce((n, b) => n + binarySize(b), 0);
  if (value.L) return 3 + value.L.reduce((n, v) => n + 1 + valueSize(v), 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((n, [name, v]) => n + 1 + utf8(name) + valueSize(v), 0);
  return 0;
}

/** An item's size: the sum of its attribute names and values. */
function itemSize(item: Item): number {
  return Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + valueSize(value), 0);
}

/** An item's entry in an index, as the index projects it (ALL: the whole item; the `due` index: keys and a few attributes). */
function indexEntry(item: Item | undefined, index: (typeof TABLE.indexes)[keyof typeof TABLE.indexes]): Item | undefined {
  if (!item?.[index.partitionKey] || !item[index.sortKey]) return undefined;
  if (index.name !== TABLE.indexes.due.name) return item;
  const kept: string[] = [TABLE.partitionKey, TABLE.sortKey, index.partitionKey, index.sortKey, ...TABLE.dueProjection];
  return Object.fromEntries(Object.entries(item).filter(([name]) => kept.includes(name)));
}

const kbUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/**
 * What one table write costs in one index, by AWS's rules for GSIs: an entry put, 1 write; a key
 * changed, 2 (delete and put); an entry removed, 1; projected attributes changed, 1; untouched, 0;
 * each write 1 WCU per started KB of the entry. The transactional 2x is the base table's alone (an
 * index write in a transaction costs what it costs outside one; measured against DynamoDB by
 * nubo-db/dynoxide#188).
 */
function indexUnits(images: Images, index: (typeof TABLE.indexes)[keyof typeof TABLE.indexes]): number {
  const before = indexEntry(images.before, index);
  const after = indexEntry(images.after, index);
  if (!before && !after) return 0;
  if (!before) return kbUnits(itemSize(after!));
  if (!after) return kbUnits(itemSize(before));
  const keyOf = (entry: Item) => JSON.stringify([entry[index.partitionKey], entry[index.sortKey]]);
  if (keyOf(before) !== keyOf(after)) return kbUnits(itemSize(before)) + kbUnits(itemSize(after));
  return JSON.stringify(before) === JSON.stringify(after) ? 0 : kbUnits(itemSize(after));
}

/** Read units: 1 per started 4 KB, half that if eventually consistent. */
function readUnits(bytes: number, consistent: boolean): number {
  return Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
}

/** One written item's bill: what it is (its pk's prefix), its size, its index writes, its units. */
interface ItemBill {
  label: string;
  bytes: number;
  /** Units of the index writes, by index, in the total `wcu`. */
  indexes: Record<string, number>;
  wcu: number;
}

/** One command's bill. A barrier is the local runtime's durability read: not in AWS, not in the budget. */
type Bill =
  | { kind: 'read'; rcu: number }
  | { kind: 'write'; wcu: number; items: ItemBill[] }
  | { kind: 'barrier' }
  | { kind: 'unbilled'; why: string };

const labelOf = (key: Item | undefined) => key?.[TABLE.partitionKey]?.S?.split('#')[0] ?? '?';

/**
 * A put or an update bills the larger of its item before and after, a delete or a check its
 * item before; 2x in a transaction; then each index the write touches (indexUnits). A failed
 * conditional write bills 1 WCU (2 in a transaction) and writes no index.
 */
function billItem(call: StoreCall, table: string, write: { Item?: Item; Key?: Item }, kind: 'put' | 'update' | 'delete' | 'check', transactional: boolean): ItemBill {
  const key = write.Key ?? { [TABLE.partitionKey]: write.Item![TABLE.partitionKey]!, [TABLE.sortKey]: write.Item![TABLE.sortKey]! };
  const images = call.written.get(keyId(table, key)) ?? {};
  const size = (item: Item | undefined) => (item ? itemSize(item) : 0);
  const bytes =
    kind === 'put' ? Math.max(size(images.before), size(write.Item)) : kind === 'update' ? Math.max(size(images.before), size(images.after)) : size(images.before);
  const label = labelOf(write.Item ?? write.Key);
  if (call.error) return { label, bytes, indexes: {}, wcu: transactional ? 2 : 1 };
  const indexes: Record<string, number> = {};
  if (kind !== 'check') {
    for (const index of Object.values(TABLE.indexes)) {
      const indexWcu = indexUnits(images, index);
      if (indexWcu > 0) indexes[index.name] = indexWcu;
    }
  }
  const wcu = kbUnits(bytes) * (transactional ? 2 : 1) + Object.values(indexes).reduce((n, u) => n + u, 0);
  return { label, bytes, indexes, wcu };
}

/** The item a transaction writes first (what the local runtime's barrier reads), as `keyId` names it. */
function firstItemOf(transaction: TransactWriteItemsCommandInput): string | undefined {
  const first = transaction.TransactItems?.[0];
  if (first?.Put) return keyId(first.Put.TableName!, first.Put.Item!);
  const part = first?.Update ?? first?.Delete ?? first?.ConditionCheck;
  return part ? keyId(part.TableName!, part.Key!) : undefined;
}

/** Whether `call` is the durability barrier of the transaction just before it: a consistent GetItem of its first item. */
function isBarrier(call: StoreCall, previous: StoreCall | undefined): boolean {
  if (call.command !== 'GetItem' || previous?.command !== 'TransactWriteItems') return false;
  const input = call.input as GetItemCommandInput;
  return input.ConsistentRead === true && keyId(input.TableName!, input.Key!) === firstItemOf(previous.input as TransactWriteItemsCommandInput);
}

function billOf(call: StoreCall, previous: StoreCall | undefined): Bill {
  if (isBarrier(call, previous)) return { kind: 'barrier' };
  switch (call.command) {
    case 'GetItem':
      return { kind: 'read', rcu: readUnits(call.readBytes, (call.input as GetItemCommandInput).ConsistentRead === true) };
    case 'BatchGetItem':
      // Each item asked for is a read of its own (one not found still bills the minimum).
      return { kind: 'read', rcu: (call.batchItemBytes ?? []).reduce((n, bytes) => n + readUnits(bytes, false), 0) };
    case 'Query': {
      const input = call.input as QueryCommandInput;
      if (input.FilterExpression) return { kind: 'unbilled', why: 'a Query with a filter bills the items it filters out too' };
      return { kind: 'read', rcu: readUnits(call.readBytes, input.ConsistentRead === true) };
    }
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem': {
      const input = call.input as PutItemCommandInput & UpdateItemCommandInput & DeleteItemCommandInput;
      const kind = call.command === 'PutItem' ? 'put' : call.command === 'UpdateItem' ? 'update' : 'delete';
      const item = billItem(call, input.TableName!, input, kind, false);
      return { kind: 'write', wcu: item.wcu, items: [item] };
    }
    case 'TransactWriteItems': {
      const items = ((call.input as TransactWriteItemsCommandInput).TransactItems ?? []).map((t: TransactWriteItem) => {
        const part = (t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck)!;
        const kind = t.Put ? 'put' : t.Update ? 'update' : t.Delete ? 'delete' : 'check';
        return billItem(call, part.TableName!, part, kind, true);
      });
      return { kind: 'write', wcu: items.reduce((n, i) => n + i.wcu, 0), items };
    }
    default:
      return { kind: 'unbilled', why: `${call.command} is not billed by this bench` };
  }
}

interface Usage {
  reads: number;
  writes: number;
  rcu: number;
  wcu: number;
  barrierReads: number;
  /** What this bench could not bill (listed under the table). */
  unbilled: string[];
}

function usageOf(calls: StoreCall[]): Usage {
  const usage: Usage = { reads: 0, writes: 0, rcu: 0, wcu: 0, barrierReads: 0, unbilled: [] };
  calls.forEach((call, i) => {
    const bill = billOf(call, calls[i - 1]);
    if (bill.kind === 'read') {
      usage.reads++;
      usage.rcu += bill.rcu;
    } else if (bill.kind === 'write') {
      usage.writes++;
      usage.wcu += bill.wcu;
    } else if (bill.kind === 'barrier') {
      usage.barrierReads++;
    } else {
      usage.unbilled.push(bill.why);
    }
  });
  return usage;
}

// ---------------------------------------------------------------- HTTP against the gateway

interface Answer {
  status: number;
  body: Json;
}

const THIS_YEAR = new Date().getUTCFullYear();
const VISA = { number: '4242424242424242', exp_month: 12, exp_year: THIS_YEAR + 3, cvv: '123' };

/** A client of the gateway: a merchant's with an API key, the checkout page's without. */
function apiClient(baseUrl: string, apiKey?: string) {
  const auth: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...auth, 'content-type': 'application/json', ...headers },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
  };
}
type Api = ReturnType<typeof apiClient>;

function expectStatus(answer: Answer, status: number, what: string): Json {
  if (answer.status !== status) throw new Error(`${what} answered ${answer.status}, not ${status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

// ---------------------------------------------------------------- the operations

interface Budget {
  reads?: number;
  writes?: number;
  requests?: number;
  wcu?: number;
}

/** The lean-core issue's budget (README, "Requests, capacity and cost per operation"). */
const BUDGETS = {
  newPayment: { reads: 1, writes: 2, wcu: 10 },
  replay: { requests: 2 },
  change: { reads: 2, writes: 2, wcu: 10 },
  read: { reads: 2, writes: 1 },
  confirm: { reads: 3, writes: 2, wcu: 12 },
  /** A page of a list: the key lookup and one query (a cursor: and its object), the rate limit. */
  list: { reads: 2, writes: 1 },
  listFrom: { reads: 3, writes: 1 },
} satisfies Record<string, Budget>;

interface Measured {
  operation: string;
  calls: StoreCall[];
  usage: Usage;
  budget: Budget | null;
}

/** Runs each operation alone over HTTP and keeps the commands it caused. */
async function measureOperations(api: Api, publicApi: Api, recorder: StoreRecorder): Promise<Measured[]> {
  const measured: Measured[] = [];
  const measure = async <T>(operation: string, budget: Budget | null, run: () => Promise<T>): Promise<T> => {
    let result: T | undefined;
    const calls = await recorder.around(async () => {
      result = await run();
    });
    measured.push({ operation, calls, usage: usageOf(calls), budget });
    return result as T;
  };
  const payment = (amount: number) => ({ amount, currency: 'USD', description: 'bench', card: VISA });
  const key = `bench-${randomUUID()}`;

  const toVoid = await measure('authorize', BUDGETS.newPayment, async () =>
    expectStatus(await api('POST', '/api/v1/payments/authorize', payment(1000)), 201, 'authorize'),
  );
  const keyed = await measure('authorize, Idempotency-Key', BUDGETS.newPayment, async () =>
    expectStatus(await api('POST', '/api/v1/payments/authorize', payment(2500), { 'idempotency-key': key }), 201, 'authorize with a key'),
  );
  await measure('replay of that key', BUDGETS.replay, async () =>
    expectStatus(await api('POST', '/api/v1/payments/authorize', payment(2500), { 'idempotency-key': key }), 201, 'replay'),
  );
  await measure('sale, Idempotency-Key', BUDGETS.newPayment, async () =>
    expectStatus(await api('POST', '/api/v1/payments/sale', payment(1200), { 'idempotency-key': `${key}-sale` }), 201, 'sale'),
  );
  await measure('capture', BUDGETS.change, async () => expectStatus(await api('POST', `/api/v1/payments/${String(keyed['id'])}/capture`, {}), 200, 'capture'));
  await measure('refund', BUDGETS.change, async () =>
    expectStatus(await api('POST', `/api/v1/payments/${String(keyed['id'])}/refund`, { amount: 500 }), 200, 'refund'),
  );
  await measure('void', BUDGETS.change, async () => expectStatus(await api('POST', `/api/v1/payments/${String(toVoid['id'])}/void`, {}), 200, 'void'));
  await measure('GET payment', BUDGETS.read, async () => expectStatus(await api('GET', `/api/v1/payments/${String(keyed['id'])}`), 200, 'GET payment'));
  await measure('list transactions', BUDGETS.read, async () => expectStatus(await api('GET', '/api/v1/transactions?limit=10'), 200, 'list transactions'));
  const intent = await measure('create intent', null, async () =>
    expectStatus(await api('POST', '/api/v1/payment-intents', { amount: 5000, currency: 'EUR', success_url: 'https://shop.example/thanks', customer_email: 'buyer@example.com' }), 201, 'create intent'),
  );
  await measure('confirm intent (public)', BUDGETS.confirm, async () =>
    expectStatus(
      await publicApi('POST', `/api/public/payment-intents/${String(intent['id'])}/confirm`, { client_secret: intent['client_secret'], card: VISA }),
      200,
      'confirm',
    ),
  );
  await measure('create webhook endpoint', null, async () =>
    expectStatus(await api('POST', '/api/v1/webhook-endpoints', { url: 'https://shop.example/hooks' }), 201, 'create webhook endpoint'),
  );
  return measured;
}

const LISTED_PAYMENTS = 10_000;
const LIST_EMAILS = ['ana@example.com', 'bo@example.com', 'cy@example.com', 'di@example.com'];
const LIST_STATUSES = ['authorized', 'captured', 'refunded', 'voided', 'failed'] as const;

/**
 * Gives the merchant of `sample` LISTED_PAYMENTS payments: copies of that real payment's item,
 * each with its own id, time (a minute apart, older than the sample), status and email, and the
 * list keys the store gives such a payment (written aside, unrecorded, 25 to a BatchWriteItem).
 */
async function seedPayments(side: DynamoDBClient, sampleId: string): Promise<void> {
  const { Item: sample } = await side.send(new GetItemCommand({ TableName: TABLE_NAME, Key: { pk: { S: `PAYMENT#${sampleId}` }, sk: { S: 'PAYMENT' } } }));
  if (!sample) throw new Error('the sample payment is not in the table');
  const merchantId = sample['merchantId']!.S!;
  const start = Date.now() - (LISTED_PAYMENTS + 10) * 60_000;
  const items: Item[] = [];
  for (let i = 0; i < LISTED_PAYMENTS; i++) {
    const id = `pay_${freshLike('x'.repeat(24))}`;
    const createdAt = new Date(start + i * 60_000).toISOString();
    const status = LIST_STATUSES[i % LIST_STATUSES.length]!;
    const email = LIST_EMAILS[i % LIST_EMAILS.length]!;
    const listed = { id, merchantId, createdAt, status, customer: { email, name: null, phone: null } } as unknown as Payment;
    const item: Item = { ...sample, pk: { S: `PAYMENT#${id}` }, id: { S: id }, createdAt: { S: createdAt }, updatedAt: { S: createdAt }, status: { S: status } };
    item['customer'] = { M: { email: { S: email }, name: { NULL: true }, phone: { NULL: true } } };
    for (const name of ['duepk', 'duesk', 'gsi3pk', 'gsi3sk']) delete item[name];
    for (const [name, value] of Object.entries(paymentListKeys(listed))) item[name] = { S: String(value) };
    items.push(item);
  }
  const batches: Item[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        let unprocessed: Record<string, { PutRequest: { Item: Item } }[]> | undefined = { [TABLE_NAME]: batches[next++]!.map((item) => ({ PutRequest: { Item: item } })) };
        while (unprocessed && Object.keys(unprocessed).length > 0) {
          const out = await side.send(new BatchWriteItemCommand({ RequestItems: unprocessed }));
          unprocessed = out.UnprocessedItems as typeof unprocessed;
        }
      }
    }),
  );
}

/** A page of each payment list of a merchant with LISTED_PAYMENTS payments: its requests and units. */
async function measureLists(api: Api, recorder: StoreRecorder, side: DynamoDBClient): Promise<Measured[]> {
  const sample = expectStatus(await api('POST', '/api/v1/payments/sale', { amount: 1500, currency: 'USD', card: VISA, customer: { email: LIST_EMAILS[0] } }), 201, 'sale');
  await seedPayments(side, String(sample['id']));
  const measured: Measured[] = [];
  const measure = async (operation: string, budget: Budget, path: string): Promise<Json> => {
    let page: Json = {};
    const calls = await recorder.around(async () => {
      page = expectStatus(await api('GET', path), 200, operation);
    });
    measured.push({ operation, calls, usage: usageOf(calls), budget });
    return page;
  };
  const first = await measure(`list payments (${LISTED_PAYMENTS.toLocaleString('en')}), limit=10`, BUDGETS.list, '/api/v1/payments?limit=10');
  const data = first['data'] as Json[];
  await measure('  next page: starting_after', BUDGETS.listFrom, `/api/v1/payments?limit=10&starting_after=${String(data.at(-1)!['id'])}`);
  await measure('  status=voided', BUDGETS.list, '/api/v1/payments?limit=10&status=voided');
  await measure('  status=expired (none)', BUDGETS.list, '/api/v1/payments?limit=10&status=expired');
  await measure('  customer_email', BUDGETS.list, `/api/v1/payments?limit=10&customer_email=${encodeURIComponent(LIST_EMAILS[2]!)}`);
  const day = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
  await measure('  created[gte], created[lt]: one hour (60)', BUDGETS.list, `/api/v1/payments?limit=100&created%5Bgte%5D=${day}T00:00:00Z&created%5Blt%5D=${day}T01:00:00Z`);
  await measure('  limit=100', BUDGETS.list, '/api/v1/payments?limit=100');
  return measured;
}

/** What a row misses of its budget ("meets" when nothing). */
function budgetVerdict(usage: Usage, budget: Budget | null): string {
  if (!budget) return '-';
  const misses: string[] = [];
  const check = (what: string, value: number, limit: number | undefined) => {
    if (limit !== undefined && value > limit) misses.push(`${what} ${value} > ${limit}`);
  };
  check('reads', usage.reads, budget.reads);
  check('writes', usage.writes, budget.writes);
  check('requests', usage.reads + usage.writes, budget.requests);
  check('WCU', usage.wcu, budget.wcu);
  return misses.length ? `over: ${misses.join(', ')}` : 'meets';
}

/** One command as listed under the table: `TransactWriteItems 30 WCU [PAYMENT 2 (611 B), TXN 6 (534 B, 2 GSI), ...]`. */
function describeCall(call: StoreCall, previous: StoreCall | undefined): string {
  const bill = billOf(call, previous);
  const failed = call.error ? ` (${call.error})` : '';
  switch (bill.kind) {
    case 'barrier':
      return '(barrier GetItem)';
    case 'read':
      return `${call.command} ${units(bill.rcu)} RCU (${call.readBytes} B)`;
    case 'unbilled':
      return `${call.command} (${bill.why})`;
    case 'write': {
      const items = bill.items.map((i) => {
        const indexes = Object.entries(i.indexes).map(([name, wcu]) => `${name} ${wcu}`);
        return `${i.label} ${i.wcu} (${i.bytes} B${indexes.length ? `; ${indexes.join(', ')}` : ''})`;
      });
      return `${call.command} ${bill.wcu} WCU${failed} [${items.join(', ')}]`;
    }
  }
}

// ---------------------------------------------------------------- throughput: gateway and bare store

/** Requests of one kind at one concurrency: their latencies (ms) and the wall time they took. */
interface Samples {
  latencies: number[];
  seconds: number;
}

interface Run {
  requestsPerSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summarize({ latencies, seconds }: Samples): Run {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { requestsPerSecond: latencies.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** `total` requests, `concurrency` at a time, added to `into`. */
async function drive(concurrency: number, total: number, one: () => Promise<void>, into: Samples = { latencies: [], seconds: 0 }): Promise<Samples> {
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        const t = performance.now();
        await one();
        into.latencies.push(performance.now() - t);
      }
    }),
  );
  into.seconds += (performance.now() - t0) / 1000;
  return into;
}

/** Ids (pay_/txn_/tok_/evt_/wrk_ + 24 base62), UUIDs (request tokens, owner tokens), the idempotency record's sha256. */
const UNIQUE_VALUES = /\b(?:pay|txn|tok|evt|wrk)_[0-9A-Za-z]{24}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|(?<=IDEMPOTENCY#mch_[0-9A-Za-z]+#)[0-9a-f]{64}\b/g;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function freshLike(value: string): string {
  if (/^[0-9a-f]{64}$/.test(value)) return randomBytes(32).toString('hex');
  if (value.includes('-')) return randomUUID();
  return `${value.slice(0, value.indexOf('_') + 1)}${Array.from(randomBytes(24), (b) => BASE62[b % 62]).join('')}`;
}

/** A recorded command sequence as JSON (binary values kept as base64), ready for fresh values. */
function sequenceTemplate(calls: StoreCall[]): string {
  return JSON.stringify(
    calls.map((c) => ({ command: c.command, input: c.input })),
    (_, value: unknown) => (value instanceof Uint8Array ? { $base64: Buffer.from(value).toString('base64') } : value),
  );
}

/** The same sequence with every unique value replaced, consistently (one old value, one new one). */
function freshSequence(template: string): { command: string; input: object }[] {
  const fresh = new Map<string, string>();
  const text = template.replace(UNIQUE_VALUES, (old) => {
    if (!fresh.has(old)) fresh.set(old, freshLike(old));
    return fresh.get(old)!;
  });
  return JSON.parse(text, (_, value: unknown) =>
    typeof value === 'object' && value !== null && '$base64' in value ? Buffer.from(String((value as Json)['$base64']), 'base64') : value,
  ) as { command: string; input: object }[];
}

async function sendRaw(client: DynamoDBClient, command: string, typed: object): Promise<void> {
  switch (command) {
    case 'GetItem':
      return void (await client.send(new GetItemCommand(typed as GetItemCommandInput)));
    case 'BatchGetItem':
      return void (await client.send(new BatchGetItemCommand(typed as BatchGetItemCommandInput)));
    case 'PutItem':
      return void (await client.send(new PutItemCommand(typed as PutItemCommandInput)));
    case 'UpdateItem':
      return void (await client.send(new UpdateItemCommand(typed as UpdateItemCommandInput)));
    case 'DeleteItem':
      return void (await client.send(new DeleteItemCommand(typed as DeleteItemCommandInput)));
    case 'Query':
      return void (await client.send(new QueryCommand(typed as QueryCommandInput)));
    case 'TransactWriteItems':
      return void (await client.send(new TransactWriteItemsCommand(typed as TransactWriteItemsCommandInput)));
    default:
      throw new Error(`the replay does not know ${command}`);
  }
}

interface Level {
  concurrency: number;
  gateway: Run;
  bare: Run;
}

/** Each level runs in rounds, gateway and bare store alternating, so a change in the machine's load hits both alike. */
const ROUNDS = 4;

/**
 * Each concurrency: the gateway's authorizes and the bare store's replays, interleaved. Also
 * answers the server-side durations of the concurrency-1 authorizes (what Lambda would bill),
 * which the gateway's logger appends to `durations`.
 */
async function throughput(api: Api, bare: DynamoDBClient, template: string, durations: number[]): Promise<{ levels: Level[]; authorizeMs: number[] }> {
  const runId = randomUUID();
  let sent = 0;
  const authorize = async () => {
    const n = sent++;
    const body = { amount: 1000 + (n % 1000), currency: 'USD', card: VISA };
    expectStatus(await api('POST', '/api/v1/payments/authorize', body, { 'idempotency-key': `${runId}-${n}` }), 201, 'authorize');
  };
  const replay = async () => {
    for (const { command, input } of freshSequence(template)) await sendRaw(bare, command, input);
  };
  await drive(8, WARM_UP_REQUESTS, authorize);
  await drive(8, WARM_UP_REQUESTS, replay);
  const levels: Level[] = [];
  const authorizeMs: number[] = [];
  for (const concurrency of CONCURRENCIES) {
    const gateway: Samples = { latencies: [], seconds: 0 };
    const bareStore: Samples = { latencies: [], seconds: 0 };
    const perRound = Math.ceil(REQUESTS_PER_LEVEL / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      const runGateway = async () => {
        const logged = durations.length;
        await drive(concurrency, perRound, authorize, gateway);
        if (concurrency === 1) authorizeMs.push(...durations.slice(logged));
      };
      const runBare = () => drive(concurrency, perRound, replay, bareStore);
      for (const run of round % 2 ? [runBare, runGateway] : [runGateway, runBare]) await run();
    }
    levels.push({ concurrency, gateway: summarize(gateway), bare: summarize(bareStore) });
  }
  return { levels, authorizeMs };
}

// ---------------------------------------------------------------- output

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function table(header: string[], rows: string[][], rightAligned: (i: number) => boolean): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (rightAligned(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (rightAligned(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)];
}

const units = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function printMachine(): void {
  const cores = cpus();
  const load = loadavg().map((l) => l.toFixed(1)).join(' / ');
  console.log(`machine: ${cores.length} cores, ${cores[0]?.model.trim() ?? 'unknown CPU'}; Node ${process.version}; ${new Date().toISOString()}`);
  console.log(`load average at start (1 / 5 / 15 min): ${load}`);
  console.log('');
}

function printOperations(measured: Measured[], title = 'DynamoDB requests and capacity per operation (AWS on-demand billing, computed per item):'): void {
  console.log(title);
  console.log('');
  const rows = measured.map(({ operation, usage, budget }) => [
    operation,
    String(usage.reads),
    String(usage.writes),
    units(usage.rcu),
    units(usage.wcu),
    String(usage.barrierReads),
    budgetVerdict(usage, budget),
  ]);
  const header = ['operation', 'read requests', 'write requests', 'read units', 'write units', 'barrier reads*', 'lean-core budget'];
  for (const line of table(header, rows, (i) => i >= 1 && i <= 5)) console.log(line);
  console.log('');
  console.log('* The local runtime\'s durability read barrier (a consistent GetItem of the first item after each TransactWriteItems,');
  console.log('  lib/local/dynamodb-local.ts): counted here, NOT in the budget columns (the AWS runtime has no such read).');
  console.log('  Item sizes: AWS rules on the marshalled item (attribute names + values; numbers ceil(digits/2)+1 bytes; maps and');
  console.log('  lists 3 bytes + 1 per element). Writes: 1 WCU per started KB, 2x in TransactWriteItems; puts and updates');
  console.log('  bill the larger of the item before and after, deletes and condition checks the item before (read aside). Each index');
  console.log('  a write touches bills its entry (ALL: the item; `due`: keys and a few attributes), 1 WCU per started KB, per put');
  console.log('  or removal of an entry (a moved key: both), not doubled in a transaction (nubo-db/dynoxide#188, measured against');
  console.log('  DynamoDB); a failed conditional write bills 1 WCU (2 per item in a transaction). Reads:');
  console.log('  0.5 RCU per started 4 KB (1 if consistent); a Query bills its returned items\' total size. No Idempotency-Key');
  console.log('  unless stated; the rate limit (1 UpdateItem) and the API key lookup (1 GetItem) are in every row that has them.');
  for (const { operation, usage } of measured) {
    for (const why of new Set(usage.unbilled)) console.log(`  NOT in the units of "${operation}": ${why}.`);
  }
  console.log('');
  console.log('Commands sent, in order, with their units (item: WCU (size; index writes in it)):');
  for (const { operation, calls } of measured) {
    console.log(`  ${operation}:`);
    calls.forEach((call, i) => console.log(`    ${describeCall(call, calls[i - 1])}`));
  }
  console.log('');
}

function printThroughput(levels: Level[]): void {
  console.log(`Authorize (Idempotency-Key) throughput, ${REQUESTS_PER_LEVEL} requests per level, gateway over HTTP vs the bare store:`);
  console.log('');
  const ms = (n: number) => n.toFixed(1);
  const rows = levels.map(({ concurrency, gateway, bare }) => [
    String(concurrency),
    gateway.requestsPerSecond.toFixed(0),
    ms(gateway.p50),
    ms(gateway.p99),
    bare.requestsPerSecond.toFixed(0),
    ms(bare.p50),
    ms(bare.p99),
    (gateway.requestsPerSecond / bare.requestsPerSecond).toFixed(2),
  ]);
  const header = ['concurrency', 'gateway req/s', 'p50 ms', 'p99 ms', 'bare store req/s', 'p50 ms', 'p99 ms', 'gateway/bare'];
  for (const line of table(header, rows, () => true)) console.log(line);
  console.log('');
  console.log('  Bare store: the DynamoDB commands the gateway sent for one authorize (the barrier read included, as the local');
  console.log('  gateway sends it), replayed in order through a plain DynamoDBClient to the same DynamoDB Local, with fresh ids,');
  console.log('  UUIDs and idempotency hash per request. Load generator, gateway and replay share this process and its 2 cores');
  console.log(`  with DynamoDB Local. Each level runs in ${ROUNDS} rounds, gateway and bare store alternating.`);
  const at8 = levels.find((l) => l.concurrency === 8);
  if (at8) {
    const ratio = at8.gateway.requestsPerSecond / at8.bare.requestsPerSecond;
    console.log(`  Budget: gateway/bare >= 0.85 at concurrency 8: ${ratio >= 0.85 ? 'meets' : 'misses'} (${ratio.toFixed(2)}).`);
  }
  console.log('');
}

function printCost(usage: Usage, medianMs: number): void {
  const dynamo = usage.wcu * PRICES.writeRequestUnit + usage.rcu * PRICES.readRequestUnit;
  const billedSeconds = Math.ceil(medianMs) / 1000;
  const lambda = PRICES.lambdaRequest + PRICES.lambdaMemoryGb * billedSeconds * PRICES.lambdaGbSecondArm;
  const total = dynamo + PRICES.httpApiRequest + lambda;
  const perMillion = (dollars: number) => `$${(dollars * 1e6).toFixed(2)}`;
  console.log('Cost per million authorizations (with an Idempotency-Key), AWS on-demand list prices:');
  console.log('');
  const rows = [
    ['DynamoDB', `${units(usage.wcu)} WRU x $0.625/M + ${units(usage.rcu)} RRU x $0.125/M`, perMillion(dynamo)],
    ['API Gateway HTTP API', '$1.00 per million requests', perMillion(PRICES.httpApiRequest)],
    ['Lambda arm64, 512 MB', `$0.20/M requests + ${Math.ceil(medianMs)} ms x 0.5 GB x $0.0000133334/GB-s`, perMillion(lambda)],
    ['total', '', perMillion(total)],
  ];
  for (const line of table(['', 'how', 'per million'], rows, (i) => i === 2)) console.log(line);
  console.log('');
  console.log(`  Lambda duration: the median server-side duration of an authorize here (${medianMs.toFixed(0)} ms, handler start to answer, at`);
  console.log('  concurrency 1, against DynamoDB Local, barrier read included). KMS is not counted: the vault caches its data and MAC');
  console.log(`  keys per merchant. Budget: <= $7 per million: ${total * 1e6 <= 7 ? 'meets' : 'over'}.`);
  console.log('  Not counted (the request path only): the outbox side of each event, in AWS the relay and worker invocations, an');
  console.log('  SQS message, a consistent GetItem of the event, a Query of the merchant\'s endpoints and the UpdateItem taking the');
  console.log('  event out of the due index (about 4 WCU: its ALL-projected list entries are rewritten with it), and deliveries.');
}

// ---------------------------------------------------------------- main

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collects the server-side duration of every authorize; errors still reach stderr. */
function benchLogger(durations: number[]): Logger {
  return {
    log(level, message, fields = {}) {
      if (level === 'error' || level === 'warn') console.error(JSON.stringify({ level, message, ...fields }));
      if (message === 'request' && fields['route'] === '/api/v1/payments/authorize' && typeof fields['duration_ms'] === 'number') {
        durations.push(fields['duration_ms']);
      }
    },
  };
}

/** A client of the store that the recorder does not see: sizes read aside, and the bare replay. */
async function plainClientLike(client: DynamoDBClient): Promise<DynamoDBClient> {
  const endpoint = await client.config.endpoint?.();
  if (!endpoint) throw new Error('the store client has no endpoint');
  const { accessKeyId, secretAccessKey } = await client.config.credentials();
  return new DynamoDBClient({
    endpoint: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port ?? ''}${endpoint.path}`,
    region: await client.config.region(),
    credentials: { accessKeyId, secretAccessKey },
  });
}

async function main(): Promise<void> {
  process.umask(0o077);
  printMachine();
  const dataDir = mkdtempSync(join(tmpdir(), 'paygate-bench-ops-'));
  const recorder = new StoreRecorder();
  const durations: number[] = [];
  let sideClient: DynamoDBClient | null = null;
  let gateway: RunningGateway | null = null;
  const cleanUp = async () => {
    await gateway?.stop();
    gateway = null;
    sideClient?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const interrupted = () => void cleanUp().finally(() => process.exit(130));
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    let store: DynamoDBClient | undefined;
    gateway = await startGateway({
      env: {
        PATH: process.env['PATH'] ?? '',
        PORT: '0',
        PAYGATE_DATA_DIR: dataDir,
        PAYGATE_WORKER_INTERVAL_MS: String(24 * 3600 * 1000),
        RATE_LIMIT_PAYMENT_PER_SECOND: '100000000',
        RATE_LIMIT_PAYMENT_PER_HOUR: '100000000',
        RATE_LIMIT_TRANSACTION_PER_SECOND: '100000000',
        RATE_LIMIT_PUBLIC_PER_SECOND: '100000000',
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '100000000',
        RATE_LIMIT_ADMIN_PER_MINUTE: '100000000',
      },
      logger: benchLogger(durations),
      instrumentStore: (client) => {
        store = client;
        recorder.attach(client);
      },
    });
    if (!store) throw new Error('startGateway did not call instrumentStore');
    // Sizes read aside, and the bare replay: same endpoint and credentials, no recorder, no barrier.
    sideClient = recorder.sideClient = await plainClientLike(store);
    await sleep(500); // the worker's one poll at start (recorder.around also waits for quiet)
    const api = apiClient(gateway.url, gateway.apiKey);

    const measured = await measureOperations(api, apiClient(gateway.url), recorder);
    printOperations(measured);
    const keyed = measured.find((m) => m.operation === 'authorize, Idempotency-Key')!;

    const { levels, authorizeMs } = await throughput(api, sideClient, sequenceTemplate(keyed.calls), durations);
    printThroughput(levels);
    printCost(keyed.usage, median(authorizeMs));
    printOperations(
      await measureLists(api, recorder, sideClient),
      `Payment lists of a merchant with ${LISTED_PAYMENTS.toLocaleString('en')} payments (each filter a key condition: read units follow the page, not the history):`,
    );
  } finally {
    await cleanUp();
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}

await main();
