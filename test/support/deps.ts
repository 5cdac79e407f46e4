import { randomBytes, randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { DynamoDbRateLimiter } from '../../shared/adapters/dynamodb/rate-limiter.ts';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import { createWebhookTransport } from '../../shared/adapters/http-webhook-transport.ts';
import { SimulatedIssuer } from '../../shared/adapters/issuer/simulated-issuer.ts';
import { FileKeyService } from '../../shared/adapters/local/file-key-service.ts';
import { cryptoIds } from '../../shared/adapters/system.ts';
import { EnvelopeVault } from '../../shared/adapters/vault/envelope-vault.ts';
import type { Dependencies } from '../../shared/dependencies.ts';
import { ApiError } from '../../shared/domain/errors.ts';
import { DEFAULT_FRAUD_RULES } from '../../shared/domain/fraud.ts';
import { jsonLogger } from '../../shared/logger.ts';
import { IdempotencyPart, type Clock, type IdempotencyLock, type IdempotentAnswer } from '../../shared/ports.ts';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, localClient } from '../../lib/local/dynamodb-local.ts';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  private current: Date;
  constructor(start = new Date('2026-11-24T10:00:00.000Z')) {
    this.current = start;
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(at: Date): void {
    this.current = at;
  }
}

export interface TestDependencies extends Dependencies {
  clock: ManualClock;
  logLines: string[];
  tableName: string;
  /** A plain client of the same DynamoDB Local, for reading items as stored. */
  rawClient: DynamoDBClient;
}

/** Real adapters against the run's DynamoDB Local, on a fresh table; a manual clock; logs kept in memory. */
export async function testDependencies(overrides: Partial<Dependencies> = {}): Promise<TestDependencies> {
  const client = localClient(inject('dynamoEndpoint'), inject('dynamoCredentials'));
  const tableName = `paygate-test-${randomUUID()}`;
  await ensureTable(client, tableName);
  const logLines: string[] = [];
  const clock = new ManualClock();
  return {
    store: new DynamoDbStore(client, tableName),
    rateLimiter: new DynamoDbRateLimiter(client, tableName),
    webhookTransport: createWebhookTransport({ allowLoopback: true }),
    checkoutAssets: null,
    // A stand-in: the document itself is built and checked in test/unit/openapi.test.ts.
    openApiDocument: async () => ({ openapi: '3.1.0' }),
    // Stand-ins likewise: the site is built and checked in test/unit/docs-site.test.ts and test/browser/docs.test.ts.
    docsPages: async () => ({ reference: '<!doctype html>', guides: { 'quick-start': '', idempotency: '', webhooks: '', 'test-cards': '', errors: '' } }),
    docsAssets: async () => ({ 'docs.000000000000.css': { contentType: 'text/css; charset=utf-8', body: '' } }),
    vault: new EnvelopeVault(new FileKeyService(randomBytes(32)), { dataKeyMaxAgeMs: 60_000, dataKeyMaxUses: 1000 }),
    issuer: new SimulatedIssuer(randomBytes),
    ids: cryptoIds,
    logger: jsonLogger((line) => logLines.push(line), 'debug'),
    fraudRules: DEFAULT_FRAUD_RULES,
    settings: { allowLoopbackUrls: true, authorizationTtlSeconds: 604_800, intentTtlSeconds: 3600, idempotencyTtlSeconds: 86_400, apiKeyPrefix: 'sk_test_', publicUrl: 'http://localhost:3000',
      rateLimits: { paymentPerSecond: 1000, paymentPerHour: 100_000, transactionPerSecond: 1000, publicPerSecond: 1000, authFailuresPerMinute: 1000, adminPerMinute: 1000 },
      webhookRetryDelaysSeconds: [300, 900, 3600, 21600],
      webhookEventTtlSeconds: 86_400,
      eventRetentionSeconds: 30 * 86_400,
      edgeOriginSecret: null },
    isAdmin: () => false,
    ...overrides,
    clock,
    logLines,
    tableName,
    rawClient: client,
  } as TestDependencies;
}

/** A valid card that the simulated issuer approves, expiring well after the manual clock's date. */
export const VISA = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvv: '123' };

export function newPayment(overrides: Record<string, unknown> = {}) {
  return {
    amount: 1000,
    currency: 'USD' as const,
    card: VISA,
    customer: null,
    description: null,
    metadata: {},
    capture: false,
    ...overrides,
  };
}

/** What a request holding an idempotency key passes to a command: here a key held by `lock`, whatever the answer. */
export function heldKey(lock: IdempotencyLock): IdempotentAnswer {
  return { partFor: async () => new IdempotencyPart(lock, { statusCode: 201, body: '{}' }) };
}

/** The rejection of a promise, which must be an ApiError. */
export async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => new Error('expected a rejection, got an answer'),
    (e: unknown) => e,
  );
  if (!(error instanceof ApiError)) throw error;
  return error;
}
