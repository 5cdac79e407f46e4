import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, type LocalCredentials } from '../../lib/local/dynamodb-local.ts';
import { cryptoIds } from '../../shared/adapters/system.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    /** The run's own database in DynamoDB Local (as the local gateway has): other credentials see no table. */
    dynamoCredentials: LocalCredentials;
    /** The run's temporary folder (gateways' data dirs): removed when the run ends, whatever failed. */
    scratchDir: string;
  }
}

/** One in-memory DynamoDB Local for the whole run (each test file makes its own table), and one scratch folder. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  buildClient();
  const scratchDir = mkdtempSync(join(tmpdir(), 'paygate-test-'));
  // Whatever the tests and the tools they run put in a temporary folder (CDK's synth output,
  // Chromium's files) lands here, and goes with it.
  process.env['TMPDIR'] = scratchDir;
  const credentials = { accessKeyId: `PGTEST${cryptoIds.secret(14).toUpperCase()}`, secretAccessKey: cryptoIds.secret(40) };
  const dynamo = await startDynamoDbLocal({ credentials }).catch((error: unknown) => {
    rmSync(scratchDir, { recursive: true, force: true });
    throw error;
  });
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('dynamoCredentials', credentials);
  project.provide('scratchDir', scratchDir);
  return async () => {
    await dynamo.stop();
    rmSync(scratchDir, { recursive: true, force: true });
  };
}

/**
 * The typed client's JavaScript and types (client/dist/, ignored by git), built from its sources
 * for every run, so the tests that run it as a package (Node 20, the README's examples) never run
 * a stale build.
 */
function buildClient(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(import.meta.dirname, '..', '..', 'client')], { stdio: 'inherit' });
}
