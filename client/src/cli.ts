#!/usr/bin/env node
/**
 * `paygate`: the client from a shell. PAYGATE_API_KEY and PAYGATE_URL (default the local gateway)
 * say where; each command is one client call, its answer printed as JSON; an error is printed as
 * the API's error (with status and request id) on stderr, exit code 1.
 *
 *   paygate payments authorize --data '{"amount":9999,"currency":"USD","card":{...}}'
 *   paygate payments capture pay_... [--data '{"amount":5000}'] [--idempotency-key order-7-capture]
 *   paygate transactions list --status captured --limit 100 [--all]
 */
import { Paygate, PaygateError } from './index.ts';

const USAGE = `usage: paygate <resource> <action> [id] [--data <json>] [--idempotency-key <key>] [--all] [--<filter> <value>]
  payments            authorize | sale | capture <id> | void <id> | refund <id> | retrieve <id> | list
  payment-intents     create | retrieve <id> | cancel <id> | list
  transactions        list | retrieve <id>
  webhook-endpoints   create | list | delete <id> | rotate-secret <id>
  webhook-deliveries  list | retry <id>
  events              list | retrieve <id>
environment: PAYGATE_API_KEY (required), PAYGATE_URL (default http://127.0.0.1:3000)`;

type Command = (paygate: Paygate, input: { id: string; data: Record<string, unknown>; query: Record<string, string>; all: boolean; options: { idempotencyKey?: string } }) => Promise<unknown>;

const list = (pages: { toArray(): Promise<unknown[]>; firstPage(): Promise<unknown> }, all: boolean) => (all ? pages.toArray() : pages.firstPage());

const COMMANDS: Record<string, Record<string, Command>> = {
  payments: {
    authorize: (p, i) => p.payments.authorize(i.data as never, i.options),
    sale: (p, i) => p.payments.sale(i.data as never, i.options),
    capture: (p, i) => p.payments.capture(i.id, i.data, i.options),
    void: (p, i) => p.payments.void(i.id, i.data, i.options),
    refund: (p, i) => p.payments.refund(i.id, i.data, i.options),
    retrieve: (p, i) => p.payments.retrieve(i.id),
    list: (p, i) => list(p.payments.list(i.query as never), i.all),
  },
  'payment-intents': {
    create: (p, i) => p.paymentIntents.create(i.data as never, i.options),
    retrieve: (p, i) => p.paymentIntents.retrieve(i.id),
    cancel: (p, i) => p.paymentIntents.cancel(i.id, i.options),
    list: (p, i) => list(p.paymentIntents.list(i.query as never), i.all),
  },
  transactions: {
    list: (p, i) => list(p.transactions.list(i.query as never), i.all),
    retrieve: (p, i) => p.transactions.retrieve(i.id),
  },
  'webhook-endpoints': {
    create: (p, i) => p.webhookEndpoints.create(i.data as never, i.options),
    list: (p) => p.webhookEndpoints.list(),
    delete: (p, i) => p.webhookEndpoints.del(i.id),
    'rotate-secret': (p, i) => p.webhookEndpoints.rotateSecret(i.id, i.options),
  },
  'webhook-deliveries': {
    list: (p, i) => list(p.webhookDeliveries.list(i.query as never), i.all),
    retry: (p, i) => p.webhookDeliveries.retry(i.id, i.options),
  },
  events: {
    list: (p, i) => list(p.events.list(i.query as never), i.all),
    retrieve: (p, i) => p.events.retrieve(i.id),
  },
};

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** `--name value` and `--name=value` options (`--all` and `--help` take none), and positionals. */
function parseCommandLine(args: readonly string[]): { positionals: string[]; options: Map<string, string | true> } {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (inline !== undefined) options.set(name, inline);
    else if (name === 'all' || name === 'help') options.set(name, true);
    else if (i + 1 < args.length) options.set(name, args[++i]!);
    else fail(`paygate: --${name} needs a value`);
  }
  return { positionals, options };
}

async function main(): Promise<void> {
  const { positionals, options } = parseCommandLine(process.argv.slice(2));
  const [resource, action, id = ''] = positionals;
  if (options.has('help') || !resource || !action) fail(USAGE, options.has('help') ? 0 : 2);
  const command = COMMANDS[resource]?.[action];
  if (!command) fail(`paygate: no command ${resource} ${action}\n${USAGE}`);
  const apiKey = process.env['PAYGATE_API_KEY'];
  if (!apiKey) fail('paygate: set PAYGATE_API_KEY to your secret key (sk_test_...)');

  let data: Record<string, unknown> = {};
  const rawData = options.get('data');
  if (typeof rawData === 'string') {
    try {
      data = JSON.parse(rawData) as Record<string, unknown>;
    } catch {
      fail('paygate: --data must be JSON');
    }
  }
  // Every other --name value is a list filter (dashes read as underscores: --endpoint-id).
  const query: Record<string, string> = {};
  for (const [name, value] of options) if (typeof value === 'string' && name !== 'data' && name !== 'idempotency-key') query[name.replaceAll('-', '_')] = value;
  const idempotencyKey = options.get('idempotency-key');
  const paygate = new Paygate(apiKey, { baseUrl: process.env['PAYGATE_URL'] || 'http://127.0.0.1:3000' });
  try {
    const answer = await command(paygate, { id, data, query, all: options.get('all') === true, options: typeof idempotencyKey === 'string' ? { idempotencyKey } : {} });
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  } catch (error) {
    if (!(error instanceof PaygateError)) throw error;
    const { status, type, code, message, decline_code, param, payment_id, request_id, doc_url } = error;
    process.stderr.write(`${JSON.stringify({ status, error: { type, code, message, decline_code, param, payment_id, request_id, doc_url } }, null, 2)}\n`);
    process.exitCode = 1;
  }
}

await main();
