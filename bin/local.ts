/** `npm start`: the whole gateway on this machine, DynamoDB Local as its store. */
import { startGateway } from '../lib/local/gateway.ts';

// What the gateway and its DynamoDB Local write (database, keys) is for this user alone.
process.umask(0o077);

const gateway = await startGateway({
  env: process.env,
  onFatal: (reason) => {
    console.error(`paygate: stopped: ${reason}`);
    process.exit(1);
  },
}).catch((error: unknown) => {
  console.error(`paygate: could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

// A key the operator chose (PAYGATE_API_KEY) is theirs already: it is not written to a log that a
// supervisor keeps. The one the gateway made is shown whole: it is the way to get it.
const fromEnvironment = Boolean(process.env['PAYGATE_API_KEY']);
const shownKey = fromEnvironment ? `${gateway.apiKey.slice(0, 12)}... (PAYGATE_API_KEY)` : gateway.apiKey;
const keyInCommand = fromEnvironment ? '$PAYGATE_API_KEY' : gateway.apiKey;

console.log(
  [
    '',
    `Paygate is listening on ${gateway.url}`,
    `  data dir:          ${gateway.dataDir}`,
    `  test merchant:     ${gateway.merchantId}`,
    `  test API key:      ${shownKey}`,
    `  admin routes:      ${process.env['PAYGATE_ADMIN_KEY'] ? 'enabled' : 'disabled (set PAYGATE_ADMIN_KEY to enable)'}`,
    '',
    'Try:',
    `  curl -s ${gateway.url}/api/v1/payments/authorize -H "Authorization: Bearer ${keyInCommand}" \\`,
    `    -H 'Content-Type: application/json' \\`,
    `    -d '{"amount":9999,"currency":"USD","card":{"number":"4242424242424242","exp_month":12,"exp_year":2040,"cvv":"123"}}'`,
    '',
    'Ctrl-C stops the gateway and DynamoDB Local.',
    '',
  ].join('\n'),
);

let shuttingDown = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (shuttingDown) return;
    shuttingDown = true;
    void gateway.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
