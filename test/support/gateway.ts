import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { expectDocumentedAnswer } from './contract.ts';

export interface GatewayProcess {
  url: string;
  apiKey: string;
  merchantId: string;
  dataDir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends SIGINT (Ctrl-C) and waits for the exit code. */
  stop(): Promise<number | null>;
  /** A hard crash: SIGKILL to the gateway's whole process group (node and its DynamoDB Local). */
  crash(): Promise<void>;
  child: ChildProcess;
}

/** At least 32 characters, as the gateway requires of an admin key. */
export const ADMIN_KEY = 'test-admin-key-for-e2e-only-0123456789';

/** Process groups still running: killed if the test process exits without stopping them. */
const running = new Set<number>();
process.once('exit', () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Starts `node bin/local.ts` as `npm start` does, on a free port and a fresh (or given) data dir,
 * in a process group of its own (so a test can crash it whole, as a power cut would). Fresh data
 * dirs are made under the run's scratch folder, which the global teardown removes.
 */
export async function startGatewayProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const dataDir = env['PAYGATE_DATA_DIR'] ?? mkdtempSync(join(inject('scratchDir'), 'gateway-'));
  const child = spawn(process.execPath, ['bin/local.ts'], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: '0', PAYGATE_ADMIN_KEY: ADMIN_KEY, ...env, PAYGATE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid!;
  running.add(pid);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killGroup = async () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    await exited;
    running.delete(pid);
  };

  const deadline = Date.now() + 60_000;
  while (!/listening on (http:\/\/\S+)/.test(output)) {
    if (child.exitCode !== null) {
      await killGroup();
      throw new Error(`gateway exited during start-up:\n${output}`);
    }
    if (Date.now() > deadline) {
      await killGroup();
      throw new Error(`gateway did not start within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /listening on (http:\/\/\S+)/.exec(output)![1]!;
  // A key given in PAYGATE_API_KEY is not printed whole.
  const apiKey = env['PAYGATE_API_KEY'] || /test API key:\s+(\S+)/.exec(output)![1]!;
  const merchantId = /test merchant:\s+(\S+)/.exec(output)![1]!;
  return {
    url,
    apiKey,
    merchantId,
    dataDir,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const code = await exited;
      running.delete(pid);
      return code;
    },
    crash: killGroup,
  };
}

/**
 * A merchant's HTTP client: JSON in, status, headers and parsed body out. Every answer is checked
 * against the OpenAPI document (./contract.ts): one the document does not describe fails the test.
 */
export function client(baseUrl: string, apiKey?: string) {
  return async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers field by field
  ): Promise<{ status: number; headers: Headers; body: any; text: string }> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    await expectDocumentedAnswer(method, `${baseUrl}${path}`, response.status, response.headers, text);
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
}
