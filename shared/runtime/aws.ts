import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { DynamoDbRateLimiter } from '../adapters/dynamodb/rate-limiter.ts';
import { DynamoDbStore } from '../adapters/dynamodb/store.ts';
import { createWebhookTransport } from '../adapters/http-webhook-transport.ts';
import { SimulatedIssuer } from '../adapters/issuer/simulated-issuer.ts';
import { KmsKeyService } from '../adapters/kms/kms-key-service.ts';
import { cryptoIds, systemClock } from '../adapters/system.ts';
import { EnvelopeVault } from '../adapters/vault/envelope-vault.ts';
import { readSettings } from '../config.ts';
import { bundledCheckoutAssets } from '../checkout/assets.ts';
import type { Dependencies } from '../dependencies.ts';
import type { Vault } from '../ports.ts';
import { DEFAULT_FRAUD_RULES } from '../domain/fraud.ts';
import { buildHandler, type AnyEndpoint } from '../http/endpoint.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { consoleLogger } from '../logger.ts';

export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
}

/** The composition root of the Lambda runtime: AWS adapters, configured by the stack's environment. */
export function awsDependencies(): Dependencies {
  // Each function gets only the key ids (and the IAM) its access uses; none, no vault at all.
  const cardKeyId = process.env['PAYGATE_CARD_KEY_ID'];
  const macKeyId = process.env['PAYGATE_FINGERPRINT_KEY_ID'];
  const vault =
    cardKeyId || macKeyId
      ? new EnvelopeVault(new KmsKeyService(new KMSClient({}), cardKeyId, macKeyId), { dataKeyMaxAgeMs: 5 * 60_000, dataKeyMaxUses: 10_000 })
      : noCardAccess;
  const dynamo = new DynamoDBClient({});
  const tableName = required('PAYGATE_TABLE_NAME');
  const settings = readSettings(process.env, required('PAYGATE_PUBLIC_URL'));
  return {
    store: new DynamoDbStore(dynamo, tableName, { eventRetentionSeconds: settings.eventRetentionSeconds }),
    rateLimiter: new DynamoDbRateLimiter(dynamo, tableName),
    webhookTransport: createWebhookTransport({ allowLoopback: false }),
    checkoutAssets: bundledCheckoutAssets(),
    vault,
    issuer: new SimulatedIssuer(randomBytes),
    clock: systemClock,
    ids: cryptoIds,
    logger: consoleLogger(),
    fraudRules: DEFAULT_FRAUD_RULES,
    settings,
    // API Gateway lets an admin route through only with a valid SigV4 signature (IAM auth).
    isAdmin: (event) => 'authorizer' in event.requestContext && event.requestContext.authorizer !== undefined,
  };
}

const refuse = async (): Promise<never> => {
  throw new Error('this function has no access to card data');
};
const noCardAccess: Vault = { seal: refuse, open: refuse, fingerprint: refuse, mac: refuse };

let shared: Dependencies | undefined;

/** The execution environment's dependencies, built once. */
export function sharedAwsDependencies(): Dependencies {
  return (shared ??= awsDependencies());
}

/** The Lambda entry of an endpoint: dependencies are built once per execution environment. */
export function lambdaHandler(endpoint: AnyEndpoint): (event: HttpEvent, context: Context) => Promise<HttpResult> {
  let handler: ((event: HttpEvent, context: Context) => Promise<HttpResult>) | undefined;
  return (event, context) => {
    handler ??= buildHandler(endpoint, sharedAwsDependencies());
    return handler(event, context);
  };
}
