import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local gateway's data dir holds DynamoDB Local's database, the vault master key, the store's
 * access key id and the test merchant's key: it is the local twin of a KMS key and an IAM policy,
 * so nobody but its owner may read it, whatever existed before.
 */
export function prepareDataDir(dataDir: string, secretFiles: readonly string[]): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stat = statSync(dataDir);
  if (!stat.isDirectory()) throw new Error(`PAYGATE_DATA_DIR ${dataDir} is not a directory`);
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
    throw new Error(`PAYGATE_DATA_DIR ${dataDir} belongs to another user; use a directory of your own`);
  }
  // Secrets first: one that others could read is refused, not quietly closed.
  for (const file of secretFiles) checkSecretFileMode(join(dataDir, file));
  closeToOthers(dataDir, 2);
}

function checkSecretFileMode(path: string): void {
  if (!existsSync(path)) return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(`${path} has mode ${mode.toString(8)}: other users may read it. If none did, run: chmod 600 ${path}`);
  }
}

/** Takes group and other permissions away from a folder and what it holds (to `depth` levels). */
function closeToOthers(path: string, depth: number): void {
  const stat = statSync(path);
  if ((stat.mode & 0o077) !== 0) {
    try {
      chmodSync(path, stat.mode & 0o700);
    } catch {
      throw new Error(`${path} is readable by other users and could not be changed; run: chmod go-rwx ${path}`);
    }
  }
  if (stat.isDirectory() && depth > 0) {
    for (const entry of readdirSync(path)) closeToOthers(join(path, entry), depth - 1);
  }
}

/**
 * A secret kept in a file of mode 0600: created (with `create`) on first use, refused when its
 * mode lets anyone else read it (then it may have leaked already: the owner decides, as ssh does).
 */
export function readSecretFile(path: string, create: () => string): string {
  if (!existsSync(path)) writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
  checkSecretFileMode(path);
  return readFileSync(path, 'utf8').trim();
}
