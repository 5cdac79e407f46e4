import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDbRateLimiter } from '../../shared/adapters/dynamodb/rate-limiter.ts';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import { createWebhookTransport } from '../../shared/adapters/http-webhook-transport.ts';
import { SimulatedIssuer } from '../../shared/adapters/issuer/simulated-issuer.ts';
import { FileKeyService } from '../../shared/adapters/local/file-key-service.ts';
import { cryptoIds, systemClock } from '../../shared/adapters/system.ts';
import { EnvelopeVault } from '../../shared/adapters/vault/envelope-vault.ts';
import { createMerchant, hashApiKey, API_KEY_PATTERN } from '../../shared/commands/merchants.ts';
import { readSettings } from '../../shared/config.ts';
import type { Dependencies } from '../../shared/dependencies.ts';
import { DEFAULT_FRAUD_RULES } from '../../shared/domain/fraud.ts';
import { buildHandler, type AnyEndpoint } from '../../shared/http/endpoint.ts';
import type { OpenApiDocument } from '../../shared/http/openapi-document.ts';
import { header } from '../../shared/http/types.ts';
import { consoleLogger, type Logger } from '../../shared/logger.ts';
import { ROUTES, type RouteSpec } from '../../shared/routes.ts';
import { lockDataDir, parseJsonFile, prepareDataDir, readSecretFile, writeSecretFile, type DataDirLock } from './data-dir.ts';
import { databaseFile, ensureTable, SHARED_DATABASE_FILE, startDynamoDbLocal, type LocalCredentials } from './dynamodb-local.ts';
import { createHttpBridge, type MountedRoute } from './http-bridge.ts';
import { startWorker } from './worker.ts';
import { buildCheckoutAssets } from '../checkout-build.ts';
import { openApiDocumentFromSources } from '../openapi/document.ts';

export const LOCAL_TABLE_NAME = 'paygate';

/** The data dir's secrets, each of mode 0600. */
const MASTER_KEY_FILE = 'vault-master.key';
const STORE_CREDENTIALS_FILE = 'store-credentials.json';
const TEST_MERCHANT_FILE = 'test-merchant.json';

export interface GatewayOptions {
  env: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Called when the gateway stopped on its own because its store died for good: the process should exit non-zero. */
  onFatal?: (reason: string) => void;
  /** Sees the store's client before any request (`npm run bench` counts its requests with an SDK middleware). */
  instrumentStore?: (client: DynamoDBClient) => void;
}

export interface RunningGateway {
  url: string;
  port: number;
  merchantId: string;
  apiKey: string;
  dataDir: string;
  stop(): Promise<void>;
}

interface TestMerchantFile {
  merchant_id: string;
  api_key: string;
}

/** Loads every handler module named in the route table. */
async function loadEndpoints(routes: RouteSpec[]): Promise<Map<RouteSpec, AnyEndpoint>> {
  const loaded = new Map<RouteSpec, AnyEndpoint>();
  for (const route of routes) {
    const module = (await import(`../../functions/${route.handler}.ts`)) as { endpoint: AnyEndpoint };
    loaded.set(route, module.endpoint);
  }
  return loaded;
}

/**
 * The OpenAPI document, built from the sources as the stack builds it for its function (its server
 * is added per request), on the first request for it: building it costs the start of every gateway
 * half a second, for a document most never serve.
 */
function openApiDocumentOnFirstUse(): Dependencies['openApiDocument'] {
  let built: Promise<OpenApiDocument> | undefined;
  return () => (built ??= openApiDocumentFromSources());
}

/** How often the worker looks for due work (deliveries, retries, expiries). */
function workerIntervalMs(env: NodeJS.ProcessEnv): number {
  const value = Number(env['PAYGATE_WORKER_INTERVAL_MS'] ?? 500);
  return Number.isInteger(value) && value >= 10 ? value : 500;
}

function adminCheck(adminKey: string | undefined): Dependencies['isAdmin'] {
  if (!adminKey) return () => false;
  const expected = createHash('sha256').update(adminKey).digest();
  return (event) => {
    const presented = /^Bearer\s+(\S+)$/i.exec(header(event, 'authorization') ?? '')?.[1] ?? '';
    return timingSafeEqual(createHash('sha256').update(presented).digest(), expected);
  };
}

/**
 * The local twin of the team's seeded test merchant: its id and key are kept in the data dir
 * (mode 0600) so the same key works across restarts; PAYGATE_API_KEY, when set, is that key.
 */
async function seedTestMerchant(deps: Dependencies, dataDir: string, envKey: string | undefined): Promise<TestMerchantFile> {
  const file = join(dataDir, TEST_MERCHANT_FILE);
  const saved = existsSync(file) ? parseJsonFile<TestMerchantFile>(file, readFileSync(file, 'utf8')) : null;
  const apiKey = envKey ?? saved?.api_key;
  if (apiKey !== undefined && !API_KEY_PATTERN.test(apiKey)) {
    throw new Error('PAYGATE_API_KEY must be sk_test_ or sk_live_ followed by 32+ letters and digits');
  }
  // Known already (also when the file was lost, say by a crash right after the merchant's commit).
  const existing = apiKey !== undefined ? (await deps.store.findApiKey(hashApiKey(apiKey))).record : null;
  if (existing && existing.revokedAt !== null && envKey !== undefined) throw new Error('PAYGATE_API_KEY was revoked: choose another');
  let seeded: TestMerchantFile;
  if (existing && existing.revokedAt === null) {
    seeded = { merchant_id: existing.merchantId, api_key: apiKey! };
  } else {
    // A new test merchant: with the key given or saved, unless that key was revoked (then a new one).
    const { merchant, key } = await createMerchant(deps, 'Test Merchant', apiKey !== undefined && !existing ? { apiKey } : {});
    seeded = { merchant_id: merchant.id, api_key: key.apiKey };
  }
  writeSecretFile(file, JSON.stringify(seeded));
  return seeded;
}

/** An operator key guessable in a day is no key: the admin routes mint merchants and API keys. */
export const MIN_ADMIN_KEY_LENGTH = 32;

function readAdminKey(env: NodeJS.ProcessEnv): string | undefined {
  const adminKey = env['PAYGATE_ADMIN_KEY'] || undefined;
  if (adminKey !== undefined && adminKey.length < MIN_ADMIN_KEY_LENGTH) {
    throw new Error(
      `PAYGATE_ADMIN_KEY must be at least ${MIN_ADMIN_KEY_LENGTH} characters (it has ${adminKey.length}); for example: ` +
        `PAYGATE_ADMIN_KEY=$(node -e "console.log(require('crypto').randomBytes(24).toString('base64url'))")`,
    );
  }
  return adminKey;
}

/** The store's access key id names its database in DynamoDB Local: a secret of the data dir. */
function storeCredentials(dataDir: string, logger: Logger): LocalCredentials {
  const path = join(dataDir, STORE_CREDENTIALS_FILE);
  const databases = join(dataDir, 'dynamodb');
  const existed = existsSync(path);
  const text = readSecretFile(path, () => JSON.stringify({ accessKeyId: `PGLOCAL${cryptoIds.secret(33).toUpperCase()}`, secretAccessKey: cryptoIds.secret(40) }));
  const parsed = parseJsonFile<Partial<LocalCredentials>>(path, text);
  if (typeof parsed.accessKeyId !== 'string' || typeof parsed.secretAccessKey !== 'string' || !/^[A-Z0-9]{16,64}$/.test(parsed.accessKeyId)) {
    throw new Error(`${path} is not a credentials file of this gateway`);
  }
  // Databases DynamoDB Local made for other access key ids: nobody's data but an intruder's (each
  // costs the store memory), unless our credentials are new, when they may be the lost ones'.
  const own = databaseFile(parsed.accessKeyId);
  const foreign = existsSync(databases) ? readdirSync(databases).filter((f) => f.endsWith('.db') && f !== own && f !== SHARED_DATABASE_FILE) : [];
  if (foreign.length > 0 && !existed) {
    rmSync(path);
    throw new Error(`${path} is missing but ${databases} holds a database: restore the file from a backup (or remove ${databases} to start empty)`);
  }
  for (const file of foreign) rmSync(join(databases, file));
  if (foreign.length > 0) logger.log('warn', 'removed databases of other access key ids from the data dir', { count: foreign.length });
  return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey };
}

/**
 * The composition root of the local runtime: DynamoDB Local, a key file, the same handlers.
 * The port is bound last: when it answers, every route answers and the test merchant's key works.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { env } = options;
  const requestedPort = Number(env['PORT'] ?? 3000);
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) throw new Error('PORT must be a port number');
  const adminKey = readAdminKey(env);
  // No CloudFront in front of the local gateway: its clients are named by their socket's address only.
  const settings = { ...readSettings(env, `http://localhost:${requestedPort}`), allowLoopbackUrls: true, edgeOriginSecret: null };
  const dataDir = resolve(env['PAYGATE_DATA_DIR'] ?? '.paygate');
  prepareDataDir(dataDir, [MASTER_KEY_FILE, STORE_CREDENTIALS_FILE, TEST_MERCHANT_FILE]);
  const lock = await lockDataDir(dataDir);
  try {
    return await startOnLockedDataDir(options, { requestedPort, adminKey, settings, dataDir, lock });
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startOnLockedDataDir(
  options: GatewayOptions,
  context: { requestedPort: number; adminKey: string | undefined; settings: Dependencies['settings']; dataDir: string; lock: DataDirLock },
): Promise<RunningGateway> {
  const { env } = options;
  const { requestedPort, adminKey, settings, dataDir, lock } = context;
  const masterKey = Buffer.from(readSecretFile(join(dataDir, MASTER_KEY_FILE), () => randomBytes(32).toString('base64')), 'base64');
  const keyService = new FileKeyService(masterKey);
  const logger = options.logger ?? consoleLogger();

  let giveUp: (reason: string) => void = () => undefined;
  const dynamo = await startDynamoDbLocal({
    dataDir,
    credentials: storeCredentials(dataDir, logger),
    supervise: { logger, onGiveUp: (reason) => giveUp(reason), onStart: (pid) => lock.recordStore(pid) },
  });
  try {
    options.instrumentStore?.(dynamo.client);
    await ensureTable(dynamo.client, LOCAL_TABLE_NAME);
    const routes = Object.values(ROUTES).filter((r: RouteSpec) => r.auth !== 'admin' || adminKey !== undefined);
    const deps: Dependencies = {
      store: new DynamoDbStore(dynamo.client, LOCAL_TABLE_NAME, { eventRetentionSeconds: settings.eventRetentionSeconds }),
      rateLimiter: new DynamoDbRateLimiter(dynamo.client, LOCAL_TABLE_NAME),
      webhookTransport: createWebhookTransport({ allowLoopback: true }),
      checkoutAssets: await buildCheckoutAssets(),
      openApiDocument: openApiDocumentOnFirstUse(),
      vault: new EnvelopeVault(keyService, { dataKeyMaxAgeMs: 5 * 60_000, dataKeyMaxUses: 10_000 }),
      issuer: new SimulatedIssuer(randomBytes),
      clock: systemClock,
      ids: cryptoIds,
      logger,
      fraudRules: DEFAULT_FRAUD_RULES,
      settings,
      isAdmin: adminCheck(adminKey),
    };
    // A data dir from before the `due` index: its pending work items move into it (every start, so an interrupted move finishes).
    const adopted = await deps.store.adoptLegacyWork();
    if (adopted > 0) logger.log('info', 'moved work items into the due index', { moved: adopted });
    // And its deliveries get their keys by status, endpoint and event before any list is served (once: then a marker says done).
    const indexed = await deps.store.adoptLegacyDeliveries();
    if (indexed > 0) logger.log('info', 'indexed deliveries by status, endpoint and event', { indexed });
    // And its payments and intents get their list keys (once as well).
    const listed = await deps.store.adoptLegacyPaymentLists();
    if (listed > 0) logger.log('info', 'listed payments and intents stored before their lists', { listed });
    const endpoints = await loadEndpoints(routes);
    const mounted: MountedRoute[] = routes.map((route) => ({ route, handler: buildHandler(endpoints.get(route)!, deps) }));
    const seeded = await seedTestMerchant(deps, dataDir, env['PAYGATE_API_KEY'] || undefined);
    const server = createHttpBridge({ routes: mounted, newRequestId: () => cryptoIds.next('request'), logger, storeAvailable: dynamo.available, publicUrl: () => settings.publicUrl });
    const port = await new Promise<number>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(requestedPort, '127.0.0.1', () => {
        const bound = (server.address() as AddressInfo).port;
        // PORT=0: the public URL's port is known only now, before any connection is accepted.
        if (!env['PAYGATE_PUBLIC_URL']) settings.publicUrl = `http://localhost:${bound}`;
        resolveListen(bound);
      });
    });
    const worker = startWorker(deps, workerIntervalMs(env), dynamo.available);

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        dynamo.expectExit();
        await worker.stop();
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
        await dynamo.stop();
        lock.release();
      })());
    giveUp = (reason) => {
      logger.log('error', 'the store is gone and could not be restarted; stopping', { reason });
      void stop().finally(() => options.onFatal?.(reason));
    };
    return { url: `http://127.0.0.1:${port}`, port, merchantId: seeded.merchant_id, apiKey: seeded.api_key, dataDir, stop };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
}
