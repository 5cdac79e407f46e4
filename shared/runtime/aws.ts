import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { DynamoDbRateLimiter } from '../adapters/dynamodb/rate-limiter.ts';
import { DynamoDbStore } from '../adapters/dynamodb/store.ts';
import { createWebhookTransport } from '../adapters/http-webhook-transport.ts';
import { SimulatedIssuer } from '../adapters/issuer/simulated-issuer.ts';
import { KmsKeyService, macKeyIdsFrom } from '../adapters/kms/kms-key-service.ts';
import { EnvelopeVault } from '../adapters/vault/envelope-vault.ts';
import type { Dependencies } from '../dependencies.ts';
import { DEFAULT_FRAUD_RULES } from '../domain/fraud.ts';
import type { Vault } from '../ports.ts';
import type { AnyEndpoint } from '../http/endpoint.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { basicAwsDependencies, lambdaHandlerOf, required, unavailable } from './aws-basics.ts';

/** The composition root of the Lambda runtime: AWS adapters, configured by the stack's environment. */
export function awsDependencies(): Dependencies {
  // Each function gets only the key ids (and the IAM) its access uses; none, no vault at all.
  const cardKeyId = process.env['PAYGATE_CARD_KEY_ID'];
  const macKeyIds = macKeyIdsFrom(process.env);
  const vault =
    cardKeyId || Object.keys(macKeyIds).length > 0
      ? new EnvelopeVault(new KmsKeyService(new KMSClient({}), cardKeyId, macKeyIds), { dataKeyMaxAgeMs: 5 * 60_000, dataKeyMaxUses: 10_000 })
      : unavailable<Vault>('access to card data');
  const dynamo = new DynamoDBClient({});
  const tableName = required('PAYGATE_TABLE_NAME');
  const basics = basicAwsDependencies();
  return {
    ...basics,
    store: new DynamoDbStore(dynamo, tableName, { eventRetentionSeconds: basics.settings.eventRetentionSeconds }),
    rateLimiter: new DynamoDbRateLimiter(dynamo, tableName),
    webhookTransport: createWebhookTransport({ allowLoopback: false }),
    vault,
    issuer: new SimulatedIssuer(randomBytes),
    fraudRules: DEFAULT_FRAUD_RULES,
  };
}

let shared: Dependencies | undefined;

/** The execution environment's dependencies, built once. */
export function sharedAwsDependencies(): Dependencies {
  return (shared ??= awsDependencies());
}

/** The Lambda entry of an endpoint: dependencies are built once per execution environment. */
export function lambdaHandler(endpoint: AnyEndpoint): (event: HttpEvent, context: Context) => Promise<HttpResult> {
  return lambdaHandlerOf(endpoint, sharedAwsDependencies);
}
