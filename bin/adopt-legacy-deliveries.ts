/**
 * Once, after deploying the stack that keys deliveries by status, endpoint and event (gsi3 and the
 * event's links): gives the deliveries written before it their keys, so that the filtered lists
 * of `GET /api/v1/webhook-deliveries` find them. Until it has run, they are in the unfiltered list
 * only. It scans the table, which no function of the stack may do, so it runs with the operator's
 * own credentials (the default AWS chain: `aws sso login`, AWS_PROFILE, AWS_REGION...):
 *
 *   npm run adopt-legacy-deliveries -- --table paygate-test
 *
 * Run again, it finds nothing left to do (a marker item says it ran through); interrupted, it
 * starts again where the scan finds deliveries still without their keys. The local gateway does
 * the same at every start.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseArgs } from 'node:util';
import { DynamoDbStore } from '../shared/adapters/dynamodb/store.ts';

const { values } = parseArgs({ options: { table: { type: 'string' } } });
if (!values.table) {
  console.error('adopt-legacy-deliveries: --table <the stack\'s table name, e.g. paygate-test> is required');
  process.exit(1);
}

const client = new DynamoDBClient({});
try {
  const indexed = await new DynamoDbStore(client, values.table).adoptLegacyDeliveries();
  console.log(`${values.table}: ${indexed} deliveries keyed by status, endpoint and event`);
} finally {
  client.destroy();
}
