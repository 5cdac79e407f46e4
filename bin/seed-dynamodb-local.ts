/**
 * For `sam local start-api` against DynamoDB Local (README, "Deploy on AWS"): creates the stage's
 * table in a running DynamoDB Local, with its TTL, and a test merchant, and prints the merchant's
 * API key. Under sam local the operator routes refuse every call (there is no IAM there), so the
 * first merchant comes from here.
 *
 *   npm run seed-dynamodb-local -- --endpoint http://127.0.0.1:8000 --table paygate-test
 *
 * That DynamoDB Local runs with `-sharedDb` (one database whatever the credentials), so the
 * functions under sam local, whose credentials are SAM's, see the table made here.
 */
import { parseArgs } from 'node:util';
import { DynamoDbStore } from '../shared/adapters/dynamodb/store.ts';
import { cryptoIds, systemClock } from '../shared/adapters/system.ts';
import { createMerchant } from '../shared/commands/merchants.ts';
import type { Dependencies } from '../shared/dependencies.ts';
import { ensureTable, localClient } from '../lib/local/dynamodb-local.ts';

const { values } = parseArgs({
  options: {
    endpoint: { type: 'string', default: 'http://127.0.0.1:8000' },
    table: { type: 'string', default: 'paygate-test' },
    name: { type: 'string', default: 'Test Merchant' },
  },
});
const endpoint = values.endpoint;
if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(endpoint)) {
  console.error('seed-dynamodb-local: --endpoint must be a DynamoDB Local on this machine (http://127.0.0.1:PORT)');
  process.exit(1);
}

const client = localClient(endpoint, { accessKeyId: 'local', secretAccessKey: 'local' });
try {
  await ensureTable(client, values.table);
  // createMerchant uses the store, the ids, the clock and the key prefix only.
  const deps: Pick<Dependencies, 'store' | 'ids' | 'clock' | 'settings'> = {
    store: new DynamoDbStore(client, values.table),
    ids: cryptoIds,
    clock: systemClock,
    settings: { apiKeyPrefix: 'sk_test_' } as Dependencies['settings'],
  };
  const { merchant, key } = await createMerchant(deps as Dependencies, values.name);
  console.log(`table:    ${values.table} (${endpoint})`);
  console.log(`merchant: ${merchant.id}`);
  console.log(`API key:  ${key.apiKey}`);
} finally {
  client.destroy();
}
