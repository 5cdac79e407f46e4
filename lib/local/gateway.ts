import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDbRateLimiter } from '../../shared/adapters/dynamodb/rate-limiter.ts';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import { fetchWebhookTransport } from '../../shared/adapters/http-webhook-transport.ts';
import { SimulatedIssuer } from '../../shared/adapters/issuer/simulated-issuer.ts';
import { FileKeyService } from '../../shared/adapters/local/file-key-service.ts';
import { cryptoIds, systemClock } from '../../shared/adapters/system.ts';
import { EnvelopeVault } from '../../shared/adapters/vault/envelope-vault.ts';
import { createMerchant, hashApiKey, API_KEY_PATTERN } from '../../shared/commands/merchants.ts';
import { readSettings } from '../../shared/config.ts';
import type { Dependencies } from '../../shared/dependencies.ts';
import { DEFAULT_FRAUD_RULES } from '../../shared/domain/fraud.ts';
import { buildHandler, type AnyEndpoint } from '../../shared/http/endpoint.ts';
import { header } from '../../shared/http/types.ts';
import { consoleLogger, type Logger } from '../../shared/logger.ts';
import { ROUTES, type RouteSpec } from '../../shared/routes.ts';
import { ensureTable, startDynamoDbLocal } from './dynamodb-local.ts';
import { createHttpBridge, type MountedRoute } from './http-bridge.ts';
import { startWorker } from './worker.ts';
import { buildCheckoutAssets } from '../checkout-build.ts';

export const LOCAL_TABLE_NAME = 'paygate';

export interface GatewayOptions {
  env: NodeJS.ProcessEnv;
  logger?: Logger;
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
  const file = join(dataDir, 'test-merchant.json');
  const saved: TestMerchantFile | null = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as TestMerchantFile) : null;
  const apiKey = envKey ?? saved?.api_key;
  if (apiKey !== undefined && !API_KEY_PATTERN.test(apiKey)) {
    throw new Error('PAYGATE_API_KEY must be sk_test_ or sk_live_ followed by 32+ letters and digits');
  }
  if (saved && apiKey !== undefined) {
    const existing = await deps.store.findApiKey(hashApiKey(apiKey));
    if (existing && existing.revokedAt === null) {
      const seeded = { merchant_id: existing.merchantId, api_key: apiKey };
      writeFileSync(file, JSON.stringify(seeded), { mode: 0o600 });
      return seeded;
    }
  }
  const { merchant, key } = await createMerchant(deps, 'Test Merchant', apiKey !== undefined ? { apiKey } : {});
  const seeded = { merchant_id: merchant.id, api_key: key.apiKey };
  writeFileSync(file, JSON.stringify(seeded), { mode: 0o600 });
  return seeded;
}

/** The composition root of the local runtime: DynamoDB Local, a key file, the same handlers. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { env } = options;
  const dataDir = resolve(env['PAYGATE_DATA_DIR'] ?? '.paygate');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const requestedPort = Number(env['PORT'] ?? 3000);
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) throw new Error('PORT must be a port number');

  const dynamo = await startDynamoDbLocal({ dataDir });
  try {
    await ensureTable(dynamo.client, LOCAL_TABLE_NAME);
    const logger = options.logger ?? consoleLogger();
    const keyService = FileKeyService.fromFile(join(dataDir, 'vault-master.key'));
    // Settings need the public URL, which needs the port: bind first, then build.
    const adminKey = env['PAYGATE_ADMIN_KEY'] || undefined;
    const routes = Object.values(ROUTES).filter((r: RouteSpec) => r.auth !== 'admin' || adminKey !== undefined);
    const { server, mount } = createHttpBridge(() => cryptoIds.next('request'), logger);
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(requestedPort, '127.0.0.1', () => resolveListen());
    });
    const port = (server.address() as AddressInfo).port;

    const settings = { ...readSettings(env, `http://localhost:${port}`), allowLoopbackUrls: true };
    const deps: Dependencies = {
      store: new DynamoDbStore(dynamo.client, LOCAL_TABLE_NAME, { eventRetentionSeconds: settings.eventRetentionSeconds }),
      rateLimiter: new DynamoDbRateLimiter(dynamo.client, LOCAL_TABLE_NAME),
      webhookTransport: fetchWebhookTransport,
      checkoutAssets: await buildCheckoutAssets(),
      vault: new EnvelopeVault(keyService, { dataKeyMaxAgeMs: 5 * 60_000, dataKeyMaxUses: 10_000 }),
      issuer: new SimulatedIssuer(randomBytes),
      clock: systemClock,
      ids: cryptoIds,
      logger,
      fraudRules: DEFAULT_FRAUD_RULES,
      settings,
      isAdmin: adminCheck(adminKey),
    };
    const endpoints = await loadEndpoints(routes);
    const mounted: MountedRoute[] = routes.map((route) => ({ route, handler: buildHandler(endpoints.get(route)!, deps) }));
    mount(mounted);
    const seeded = await seedTestMerchant(deps, dataDir, env['PAYGATE_API_KEY'] || undefined);
    const worker = startWorker(deps, workerIntervalMs(env));

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        await worker.stop();
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
        await dynamo.stop();
      })());
    return { url: `http://127.0.0.1:${port}`, port, merchantId: seeded.merchant_id, apiKey: seeded.api_key, dataDir, stop };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
}
