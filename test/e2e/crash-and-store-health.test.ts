/**
 * The local gateway as a server people can trust: an answered write survives a hard crash of the
 * whole process group (node and DynamoDB Local), `/health` tells the truth about the store, a
 * store that dies is restarted (or the gateway exits non-zero), the port answers only once every
 * route does, and the store is closed to every other client.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort, localClient } from '../../lib/local/dynamodb-local.ts';
import { client, startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { dynamoDbLocalOf, stillRunning } from '../support/processes.ts';
import { UNTHROTTLED, base62, checkedClient, paymentBody, uniqueKey, type Answer } from './helpers.ts';

const started: GatewayProcess[] = [];
async function gateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const g = await startGatewayProcess({ ...UNTHROTTLED, ...env });
  started.push(g);
  return g;
}

afterAll(async () => {
  await Promise.all(started.map((g) => g.stop()));
});

/** A start that must fail, with its reason; one that succeeds after all is stopped with the others. */
async function expectRefusedStart(env: Record<string, string>, reason: RegExp): Promise<void> {
  const outcome: GatewayProcess | Error = await startGatewayProcess(env).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  if (outcome instanceof Error) return expect(outcome.message).toMatch(reason);
  started.push(outcome);
  expect.fail(`the gateway started with ${JSON.stringify(env)}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function storeOf(g: GatewayProcess): { pid: number; port: number } {
  const [java] = dynamoDbLocalOf(g.child.pid!, g.dataDir);
  if (!java) throw new Error(`no DynamoDB Local under gateway ${g.child.pid}`);
  return { pid: java.pid, port: Number(/-port (\d+)/.exec(java.args)![1]) };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('a hard crash right after an answer', () => {
  it('loses no answered write: each is there after a restart, and its key replays it', async () => {
    const apiKey = `sk_test_${base62(40)}`;
    const port = String(await freePort());
    const env = { PAYGATE_API_KEY: apiKey, PORT: port };
    let g = await gateway(env);
    let call = checkedClient(g.url, apiKey);
    const answered: Array<{ path: string; body: unknown; key: string; answer: Answer }> = [];
    const post = async (path: string, body: unknown) => {
      const key = uniqueKey('crash');
      const answer = await call('POST', path, body, { 'idempotency-key': key });
      expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
      answered.push({ path, body, key, answer });
      return answer;
    };

    // Round 1: six authorizations at once, then the power goes out the moment the last is answered.
    const authorized = await Promise.all(Array.from({ length: 6 }, (_, i) => post('/api/v1/payments/authorize', paymentBody({ amount: 1000 + i }))));
    await g.crash();

    // Round 2, on the restarted gateway: capture, partial refund after a sale, void; crash again.
    g = await gateway({ ...env, PAYGATE_DATA_DIR: g.dataDir });
    call = checkedClient(g.url, apiKey);
    const [first, second] = authorized.map((a) => a.body.id as string);
    const sale = await post('/api/v1/payments/sale', paymentBody({ amount: 5000 }));
    await Promise.all([
      post(`/api/v1/payments/${first}/capture`, {}),
      post(`/api/v1/payments/${second}/void`, {}),
      post(`/api/v1/payments/${sale.body.id}/refund`, { amount: 1200 }),
    ]);
    await g.crash();

    g = await gateway({ ...env, PAYGATE_DATA_DIR: g.dataDir });
    call = checkedClient(g.url, apiKey);
    for (const a of authorized.slice(2)) {
      expect((await call('GET', `/api/v1/payments/${a.body.id}`)).body.status).toBe('authorized');
    }
    expect((await call('GET', `/api/v1/payments/${first}`)).body.status).toBe('captured');
    expect((await call('GET', `/api/v1/payments/${second}`)).body.status).toBe('voided');
    const refunded = await call('GET', `/api/v1/payments/${sale.body.id}`);
    expect(refunded.body.amount_refunded).toBe(1200);
    for (const { path, body, key, answer } of answered) {
      const replay = await call('POST', path, body, { 'idempotency-key': key });
      expect(replay.status, `${path} replayed`).toBe(answer.status);
      expect(replay.headers.get('idempotent-replayed'), `${path} replayed`).toBe('true');
      expect(replay.text).toBe(answer.text);
    }
  }, 120_000);
});

describe('the store dies', () => {
  it('answers 503 with Retry-After on /health and the API within 5 s, restarts the store, and recovers with its data', async () => {
    const g = await gateway();
    // Not the checked client: a 503 is what this test expects to see.
    const call = client(g.url, g.apiKey);
    const payment = await call('POST', '/api/v1/payments/authorize', paymentBody());
    expect(payment.status).toBe(201);
    const health = await call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });

    const store = storeOf(g);
    process.kill(store.pid, 'SIGKILL');
    const killedAt = Date.now();
    const down = await waitFor('/health 503', async () => {
      const answer = await call('GET', '/health');
      return answer.status === 503 ? answer : undefined;
    }, 5_000);
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(down.body.error).toMatchObject({ type: 'api_error', code: 'service_unavailable' });
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);

    // While it is down (or the moment it is back) an API call is a 503 to retry or a success: never a 500.
    const during = await call('GET', `/api/v1/payments/${payment.body.id}`);
    expect([200, 503]).toContain(during.status);
    if (during.status === 503) expect(during.headers.get('retry-after')).not.toBeNull();

    await waitFor('/health 200 again', async () => ((await call('GET', '/health')).status === 200 ? true : undefined), 60_000);
    expect(storeOf(g).pid).not.toBe(store.pid);
    expect((await call('GET', `/api/v1/payments/${payment.body.id}`)).body).toEqual(payment.body);
    expect(g.output()).toMatch(/DynamoDB Local exited; restarting it/);
    expect(g.output()).toMatch(/DynamoDB Local restarted/);
  }, 120_000);

  it('kills and restarts a store that runs but no longer answers (out of memory, stopped)', async () => {
    const g = await gateway();
    const call = client(g.url, g.apiKey);
    const store = storeOf(g);
    process.kill(store.pid, 'SIGSTOP');
    try {
      await waitFor('/health 503', async () => ((await call('GET', '/health')).status === 503 ? true : undefined), 10_000);
      await waitFor('/health 200 again', async () => ((await call('GET', '/health')).status === 200 ? true : undefined), 60_000);
    } finally {
      try {
        process.kill(store.pid, 'SIGCONT'); // if the watchdog did not kill it, do not leave it stopped
      } catch {
        // killed, as it should be
      }
    }
    expect(storeOf(g).pid).not.toBe(store.pid);
    expect(g.output()).toMatch(/does not answer; killing it to restart it/);
  }, 120_000);

  it('exits non-zero when the store cannot be restarted', async () => {
    const g = await gateway();
    const store = storeOf(g);
    process.kill(store.pid, 'SIGKILL');
    // Someone else takes the store's port the moment it is free: no restart can bind it.
    const squatter: Server = await waitFor('the port is free', () =>
      new Promise<Server | undefined>((resolve) => {
        const server = createServer((socket) => socket.destroy());
        server.once('error', () => resolve(undefined));
        server.listen(store.port, '0.0.0.0', () => resolve(server));
      }), 5_000);
    try {
      const code = await new Promise<number | null>((resolve) => {
        if (g.child.exitCode !== null) resolve(g.child.exitCode);
        g.child.once('exit', (c) => resolve(c));
      });
      expect(code).toBe(1);
      expect(g.output()).toMatch(/could not be restarted/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  }, 120_000);
});

describe('one gateway per data dir', () => {
  it('refuses a second gateway on a data dir in use, and stops what a gateway killed alone left running', async () => {
    const first = await gateway();
    await expectRefusedStart({ PAYGATE_DATA_DIR: first.dataDir }, /another gateway \(pid \d+\) is using/);

    // The OOM killer takes node alone: its DynamoDB Local (java) lives on, the database open.
    const orphan = storeOf(first);
    process.kill(first.child.pid!, 'SIGKILL');
    await new Promise((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r(undefined) : first.child.once('exit', r)));
    expect(stillRunning([orphan.pid])).toHaveLength(1);

    const next = await gateway({ PAYGATE_DATA_DIR: first.dataDir });
    expect(stillRunning([orphan.pid])).toEqual([]);
    expect((await checkedClient(next.url, next.apiKey)('GET', '/health')).status).toBe(200);
  }, 120_000);
});

describe('starting up', () => {
  it('answers nothing before every route answers and its printed key works: no 404 or 401 while starting', async () => {
    // A fresh data dir: the key is created while starting, so a port bound too early would answer 401.
    const apiKey = `sk_test_${base62(40)}`;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const call = client(url, apiKey);
    const seen: number[] = [];
    let starting = true;
    const probing = (async () => {
      while (starting) {
        for (const path of ['/health', '/api/v1/transactions']) {
          try {
            seen.push((await call('GET', path)).status);
          } catch {
            // connection refused: not listening yet, which is right
          }
        }
        await sleep(5);
      }
    })();
    const g = await gateway({ PAYGATE_API_KEY: apiKey, PORT: String(port) });
    await sleep(300);
    starting = false;
    await probing;
    expect(seen.length).toBeGreaterThan(0);
    expect([...new Set(seen)]).toEqual([200]);
    expect(g.url).toBe(url);
    // A key the operator chose is not printed whole (a supervisor keeps what the gateway prints).
    expect(g.output()).not.toContain(apiKey);
    expect(g.output()).toMatch(/test API key:\s+sk_test_\w{4}\.\.\. \(PAYGATE_API_KEY\)/);
  }, 120_000);
});

describe('the store is closed to others', () => {
  it('shows its table to no client without the data dir’s access key id, and closes a data dir others could read', async () => {
    // A data dir that existed before, readable by everyone, with a file readable by everyone.
    const dataDir = join(inject('scratchDir'), `open-${base62(8)}`);
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'notes.txt'), 'left here', { mode: 0o644 });
    const g = await gateway({ PAYGATE_DATA_DIR: dataDir });

    const { port } = storeOf(g);
    const endpoint = `http://127.0.0.1:${port}`;
    const own = JSON.parse(readFileSync(join(g.dataDir, 'store-credentials.json'), 'utf8')) as { accessKeyId: string; secretAccessKey: string };
    // With the gateway's credentials the table is there (so the test can fail)...
    const withOwn = localClient(endpoint, own);
    expect((await withOwn.send(new ListTablesCommand({}))).TableNames).toEqual(['paygate']);
    withOwn.destroy();
    // ...and with any other (the old fixed ones, random ones), there is no table at all.
    for (const credentials of [{ accessKeyId: 'local', secretAccessKey: 'local' }, { accessKeyId: `AKIA${base62(16).toUpperCase()}`, secretAccessKey: own.secretAccessKey }]) {
      const other = localClient(endpoint, credentials);
      expect((await other.send(new ListTablesCommand({}))).TableNames).toEqual([]);
      other.destroy();
    }

    const modeOf = (path: string) => statSync(path).mode & 0o777;
    expect(modeOf(dataDir).toString(8)).toBe('700');
    const readableByOthers = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        const own = (modeOf(path) & 0o077) !== 0 ? [`${path} ${modeOf(path).toString(8)}`] : [];
        return entry.isDirectory() ? [...own, ...readableByOthers(path)] : own;
      });
    expect(readableByOthers(dataDir)).toEqual([]);
    for (const secret of ['vault-master.key', 'store-credentials.json', 'test-merchant.json']) expect(modeOf(join(dataDir, secret)).toString(8)).toBe('600');
  }, 60_000);

  it('refuses to start with a master key others may read, or an admin key shorter than 32 characters', async () => {
    const dataDir = join(inject('scratchDir'), `loose-${base62(8)}`);
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(join(dataDir, 'vault-master.key'), randomBytes(32).toString('base64'), { mode: 0o644 });
    chmodSync(join(dataDir, 'vault-master.key'), 0o644);
    await expectRefusedStart({ PAYGATE_DATA_DIR: dataDir }, /vault-master\.key has mode 644[\s\S]*chmod 600/);
    await expectRefusedStart({ PAYGATE_ADMIN_KEY: 'a'.repeat(31) }, /PAYGATE_ADMIN_KEY must be at least 32 characters/);
  }, 60_000);
});
