/**
 * The README's commands, run as written against a real gateway: the quick start's
 * authorize-then-capture block (in bash, with curl and the machine's Node 20), the same with the
 * typed client (as `pay.mjs`, on Node 20) and the merchant's webhook receiver (as `receiver.mjs`,
 * on Node 20, verifying with the client). Both are read from README.md at test time, and
 * only what the README tells the reader to change is changed (the printed URL and key; the
 * receiver's port), so a README command that silently rots fails here. The guides' curl commands
 * (docs/guides/quick-start.md, idempotency.md, webhooks.md, served at /docs) likewise.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { freePort } from '../../lib/local/dynamodb-local.ts';
import { client, startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { checkedClient, onboardMerchant, paymentBody, UNTHROTTLED, waitFor } from './helpers.ts';

const REPO = join(import.meta.dirname, '..', '..');

/** The gateway address and key placeholder of the quick start, which the reader replaces. */
const README_URL = 'http://127.0.0.1:3000';
const README_KEY_LINE = 'KEY=sk_test_...   # the printed test API key';

/** The README promises Node 20 works: the machine's own Node is 20 here, the project's is 24. */
const README_NODE = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
const README_ENV = {
  PATH: [dirname(README_NODE), process.env['PATH'] ?? ''].join(delimiter),
  HOME: process.env['HOME'] ?? '',
};

/** The body of the first fenced block of README.md in `language` that contains `text`. */
function readmeBlock(language: string, text: string): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  for (const [, lang, body] of readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    if (lang === language && body!.includes(text)) return body!;
  }
  throw new Error(`README.md has no \`\`\`${language} block containing ${text}`);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a script with `bash -euo pipefail -c`, in a process group of its own (killed whole if it
 * outlives `timeoutMs`). Its stdout and stderr are files, which a command can open again as
 * /dev/stderr, as it can a terminal; the sockets Node gives a child for 'pipe' cannot be (ENXIO).
 */
async function runBash(script: string, timeoutMs = 20_000): Promise<Run> {
  const folder = mkdtempSync(join(inject('scratchDir'), 'readme-sh-'));
  const [out, err] = [join(folder, 'stdout'), join(folder, 'stderr')];
  const fds = [openSync(out, 'w'), openSync(err, 'w')] as const;
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: REPO, env: README_ENV, stdio: ['ignore', fds[0], fds[1]], detached: true });
  closeSync(fds[0]);
  closeSync(fds[1]);
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  const stderr = readFileSync(err, 'utf8') + (code === null ? `\n(killed after ${timeoutMs} ms)` : '');
  return { code, stdout: readFileSync(out, 'utf8'), stderr };
}

/** The statuses the gateway logged for `route` (one JSON line per request), in order. */
function loggedStatuses(gateway: GatewayProcess, route: string): number[] {
  return gateway
    .output()
    .split('\n')
    .slice(0, -1) // the last line may be half written
    .filter((line) => line.startsWith('{') && line.includes('"message":"request"'))
    .map((line) => JSON.parse(line) as { route: string; status: number })
    .filter((entry) => entry.route === route)
    .map((entry) => entry.status);
}


const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe('the README examples, run as written', () => {
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await startGatewayProcess(UNTHROTTLED);
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('the quick start authorizes then captures a payment, with the machine node, and can be run again as it is', { timeout: 60_000 }, async () => {
    const block = readmeBlock('sh', 'PAY=$(curl');
    expect(block, 'the quick start block no longer has the key line the reader replaces').toContain(README_KEY_LINE);
    expect(block, 'the quick start block no longer calls the default address').toContain(README_URL);
    const script = block.replaceAll(README_URL, gateway.url).replace(README_KEY_LINE, `KEY=${gateway.apiKey}`);

    const node = await runBash('command -v node');
    expect(realpathSync(node.stdout.trim()), 'the node the block runs').toBe(realpathSync(README_NODE));

    const runOnce = async (label: string) => {
      const before = { authorize: loggedStatuses(gateway, '/api/v1/payments/authorize').length, capture: loggedStatuses(gateway, '/api/v1/payments/{id}/capture').length };
      const run = await runBash(script);
      const shown = `${label}: exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
      expect(run.code, shown).toBe(0);
      // The authorize answer is what the block prints to stderr; the capture answer is curl's stdout.
      expect(run.stderr, shown).toContain('"status":"authorized"');
      expect(run.stdout, shown).toContain('"status":"captured"');
      const authorized = JSON.parse(run.stderr) as Record<string, unknown>;
      const captured = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(authorized, shown).toMatchObject({ id: expect.stringMatching(/^pay_/), status: 'authorized', amount_capturable: 9999, description: 'Order #12345' });
      expect(captured, shown).toMatchObject({ id: authorized['id'], status: 'captured', amount_captured: 9999 });
      // curl -s shows no status code: the gateway's request log does (one line per request, read
      // from its stdout, which may arrive after curl has its answer).
      const logged = await waitFor('the gateway to log both requests', () => {
        const authorize = loggedStatuses(gateway, '/api/v1/payments/authorize').slice(before.authorize);
        const capture = loggedStatuses(gateway, '/api/v1/payments/{id}/capture').slice(before.capture);
        return authorize.length && capture.length ? { authorize, capture } : undefined;
      }, 5_000);
      expect(logged, shown).toEqual({ authorize: [201], capture: [200] });
      return authorized['id'] as string;
    };

    const first = await runOnce('first run');
    // The block's Idempotency-Key ends in `date +%s`: a rerun in the same second would be a replay.
    await new Promise((r) => setTimeout(r, 1100));
    const second = await runOnce('second run');
    expect(second, 'the second run captured the first run’s payment again').not.toBe(first);

    const call = checkedClient(gateway.url, gateway.apiKey);
    for (const id of [first, second]) {
      const stored = await call('GET', `/api/v1/payments/${id}`);
      expect(stored.body).toMatchObject({ id, status: 'captured', amount_captured: 9999 });
    }
  });

  it('the typed client example authorizes, captures, reports a decline as a CardError and lists, on the machine node', { timeout: 60_000 }, async () => {
    const example = readmeBlock('js', 'paygate.payments.authorize(');
    expect(example, 'the client example no longer calls the default address').toContain(`baseUrl: '${README_URL}'`);
    const folder = mkdtempSync(join(inject('scratchDir'), 'readme-client-'));
    writeFileSync(join(folder, 'pay.mjs'), example.replace(`baseUrl: '${README_URL}'`, `baseUrl: '${gateway.url}'`));
    // Stands for running it in this repository, where node_modules/@paygate/client is the workspace's client.
    symlinkSync(join(REPO, 'node_modules'), join(folder, 'node_modules'), 'dir');
    const merchant = await onboardMerchant(gateway.url, 'README client');
    const run = await runBash(`cd ${JSON.stringify(folder)} && PAYGATE_API_KEY=${merchant.apiKey} node pay.mjs`);
    expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^authorized pay_\w+$/);
    expect(lines[1]).toBe('captured 9999');
    expect(lines[2]).toMatch(/^card_declined insufficient_funds pay_\w+$/);
    expect(lines[3]).toBe('sale:failed capture:captured authorize:authorized');
    const paymentId = lines[0]!.split(' ')[1]!;
    const stored = await checkedClient(gateway.url, merchant.apiKey)('GET', `/api/v1/payments/${paymentId}`);
    expect(stored.body).toMatchObject({ status: 'captured', amount_captured: 9999, description: 'Order #12345' });
  });

  it('the webhook receiver, run with the machine node, verifies a real delivery and answers 400 to a tampered signature', { timeout: 60_000 }, async () => {
    const example = readmeBlock('js', 'verifyWebhookSignature(');
    const listen = ".listen(4000, '127.0.0.1')";
    expect(example, 'the receiver no longer listens where this test expects').toContain(listen);
    // The example's fixed port 4000 may be taken on this machine (or by another run at the same
    // time): only that number changes, to a port that was free a moment ago.
    const port = await freePort();
    const folder = mkdtempSync(join(inject('scratchDir'), 'readme-receiver-'));
    writeFileSync(join(folder, 'receiver.mjs'), example.replace(listen, `.listen(${port}, '127.0.0.1')`));
    // Stands for installing @paygate/client in that folder (the workspace links it; the run's global setup built it).
    symlinkSync(join(REPO, 'node_modules'), join(folder, 'node_modules'), 'dir');

    const call = checkedClient(gateway.url, gateway.apiKey);
    const endpoint = await call('POST', '/api/v1/webhook-endpoints', { url: `http://127.0.0.1:${port}/` });
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
    const secret = endpoint.body.secret as string;
    expect(secret).toMatch(/^whsec_/);

    const receiver = spawn(README_NODE, ['receiver.mjs'], {
      cwd: folder,
      env: { ...README_ENV, PAYGATE_WEBHOOK_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => receiver.once('close', () => resolve()));
    onTestFinished(async () => {
      if (receiver.exitCode === null && receiver.signalCode === null) receiver.kill('SIGKILL');
      await exited;
    });
    let output = '';
    receiver.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    receiver.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the receiver to listen', async () => {
      if (receiver.exitCode !== null) throw new Error(`receiver.mjs exited with ${receiver.exitCode}:\n${output}`);
      return (await accepts(port)) ? true : undefined;
    }, 10_000);

    const payment = await call('POST', '/api/v1/payments/authorize', paymentBody());
    expect(payment.status, JSON.stringify(payment.body)).toBe(201);
    // Events committed just before the endpoint existed may reach it too: wait for this payment's.
    const eventId = await waitFor('the payment.authorized event', async () => {
      const events = await call('GET', '/api/v1/events?type=payment.authorized');
      return (events.body.data as Array<{ id: string; data: { object: { id: string } } }>).find((e) => e.data.object.id === payment.body.id)?.id;
    }, 5_000);
    await waitFor(`receiver.mjs to print "verified payment.authorized ${eventId}"`, () => (output.includes(`verified payment.authorized ${eventId}\n`) ? true : undefined), 20_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}; it printed:\n${output}`);
      },
    );
    const delivery = await waitFor('the delivery to be recorded as succeeded', async () => {
      const deliveries = await call('GET', `/api/v1/webhook-deliveries?endpoint_id=${endpoint.body.id}`);
      return (deliveries.body.data as Array<{ event_id: string; status: string }>).find((d) => d.event_id === eventId && d.status === 'succeeded');
    }, 10_000);
    expect(delivery).toMatchObject({ status: 'succeeded', last_status_code: 204 });

    // A message signed with the endpoint's secret is accepted; the same with its signature changed is not.
    const body = JSON.stringify({ id: 'evt_readme_check', type: 'readme.check', data: {} });
    const now = new Date();
    const headers = { 'webhook-id': 'msg_readme_check', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)) };
    const signature = new Webhook(secret).sign(headers['webhook-id'], now, body);
    const tampered = signature.replace(/^v1,(.)/, (_, first: string) => `v1,${first === 'A' ? 'B' : 'A'}`);
    expect(tampered).not.toBe(signature);
    const post = client(`http://127.0.0.1:${port}`);
    expect((await post('POST', '/', body, { ...headers, 'webhook-signature': signature })).status).toBe(204);
    expect((await post('POST', '/', body, { ...headers, 'webhook-signature': tampered })).status).toBe(400);
  });
});

/** The fenced `sh` blocks of a guide (docs/guides/<name>.md), in order. */
function guideShellBlocks(name: string): string[] {
  const guide = readFileSync(join(REPO, 'docs', 'guides', `${name}.md`), 'utf8');
  return [...guide.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

describe("the guides' curl commands, run as written", () => {
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await startGatewayProcess(UNTHROTTLED);
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  /** A block with only what the guide tells the reader to replace replaced: the address, the key, the payment id. */
  const asRun = (block: string, pay = '') =>
    block
      .replaceAll(README_URL, gateway.url)
      .replace(/^KEY=sk_test_\.\.\..*$/m, `KEY=${gateway.apiKey}`)
      .replace(/^PAY=pay_\.\.\..*$/m, `PAY=${pay}`);

  it('the quick start authorizes, captures, reads and partly refunds a payment', { timeout: 60_000 }, async () => {
    const [start, setup, authorize, capture, lookUpAndRefund, ...rest] = guideShellBlocks('quick-start');
    expect(start).toContain('npm start');
    expect(rest).toEqual([]);
    const prefix = `${asRun(setup!)}\n`;
    const authorized = await runBash(prefix + asRun(authorize!));
    expect(authorized.code, authorized.stderr).toBe(0);
    const payment = JSON.parse(authorized.stdout) as { id: string; status: string; amount_capturable: number };
    expect(payment).toMatchObject({ status: 'authorized', amount_capturable: 9999 });
    const captured = await runBash(prefix + asRun(capture!, payment.id));
    expect(JSON.parse(captured.stdout)).toMatchObject({ id: payment.id, status: 'captured', amount_captured: 9999 });
    // The reader's shell still has PAY from step 3; a newline between the two answers (curl prints none).
    const [read, refunded] = (await runBash(`${prefix}PAY=${payment.id}\n${asRun(lookUpAndRefund!.replace('\ncurl', '\necho\ncurl'))}`)).stdout.trim().split('\n');
    expect(JSON.parse(read!)).toMatchObject({ id: payment.id, status: 'captured' });
    expect(JSON.parse(refunded!)).toMatchObject({ id: payment.id, status: 'partially_refunded', amount_refunded: 2500 });
  });

  it('the idempotency guide gets the same payment twice, the second time replayed', { timeout: 60_000 }, async () => {
    const [block] = guideShellBlocks('idempotency');
    const run = await runBash(asRun(block!));
    expect(run.code, run.stderr).toBe(0);
    // curl -i prints each answer's head and body with no newline after the body.
    const answers = run.stdout.split(/(?=HTTP\/1\.1 \d{3} )/);
    expect(answers).toHaveLength(2);
    expect(answers.map((a) => a.split(' ')[1])).toEqual(['201', '201']);
    expect(answers[0]).not.toMatch(/^idempotent-replayed: true/im);
    expect(answers[1]).toMatch(/^idempotent-replayed: true/im);
    const ids = answers.map((a) => /"id":"(pay_\w+)"/.exec(a)?.[1]);
    expect(ids[0]).toBeDefined();
    expect(ids[1]).toBe(ids[0]);
  });

  it('the webhooks guide registers an endpoint and gets its secret', { timeout: 60_000 }, async () => {
    const [block] = guideShellBlocks('webhooks');
    const run = await runBash(`KEY=${gateway.apiKey}\n${asRun(block!)}`);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ object: 'webhook_endpoint', events: ['payment.captured', 'payment.refunded'], secret: expect.stringMatching(/^whsec_/) });
  });
});
