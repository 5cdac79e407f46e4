/**
 * Once, after deploying the stack that keys deliveries by status, endpoint and event (gsi3 and the
 * event's links) and lists payments and intents: gives the deliveries written before it their
 * keys, so that the filtered lists of `GET /api/v1/webhook-deliveries` find them (until it has run,
 * they are in the unfiltered list only), and the payments and intents theirs, so that
 * `GET /api/v1/payments` and `GET /api/v1/payment-intents` list them. It scans the table, which no function of the stack may do, so it runs with the operator's
 * own credentials (the default AWS chain: `aws sso login`, AWS_PROFILE, AWS_REGION...):
 *
 *   npm run adopt-legacy-lists -- --table paygate-test
 *
 * Run again, it finds nothing left to do (marker items say it ran through); interrupted, it
 * starts again where the scan finds items still without their keys. The local gateway does
 * the same at every start.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseArgs } from 'node:util';
import { DynamoDbStore } from '../shared/adapters/dynamodb/store.ts';

const { values } = parseArgs({ options: { table: { type: 'string' } } });
if (!values.table) {
  console.error('adopt-legacy-lists: --table <the stack\'s table name, e.g. paygate-test> is required');
  process.exit(1);
}

const client = new DynamoDBClient({});
try {
  const store = new DynamoDbStore(client, values.table);
  const indexed = await store.adoptLegacyDeliveries();
  console.log(`${values.table}: ${indexed} deliveries keyed by status, endpoint and event`);
  const listed = await store.adoptLegacyPaymentLists();
  console.log(`${values.table}: ${listed} payments and intents listed`);
} finally {
  client.destroy();
}
