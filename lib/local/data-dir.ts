import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
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

/** Writes a secret file whole or not at all (temporary file, fsync, rename), and only when it changes. */
export function writeSecretFile(path: string, content: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return;
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** A JSON file of the data dir; a broken one is named in the error, with what to do. */
export function parseJsonFile<T>(path: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${path} is not valid JSON (damaged?): restore it from a backup, or remove it to start that part afresh`);
  }
}

export interface DataDirLock {
  /** Notes the running DynamoDB Local, so the next start can stop it should this gateway die alone. */
  recordStore(pid: number | undefined): void;
  release(): void;
}

interface LockRecord {
  pid: number;
  storePid?: number;
}

/** Whether `pid` runs and its command line holds `marker` (where /proc can tell; else whether it runs). */
function runs(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true;
  try {
    return readFileSync(cmdline, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/**
 * One gateway per data dir: two on one SQLite file answer 500s and worse. The lock file names the
 * gateway and its DynamoDB Local; a lock left by a gateway that died is taken over, and the
 * DynamoDB Local it left running (a `kill -9` of node alone orphans java) is stopped first.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, 'gateway.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, JSON.stringify({ pid: process.pid } satisfies LockRecord), { mode: 0o600, flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    let held: LockRecord | null = null;
    try {
      held = JSON.parse(readFileSync(path, 'utf8')) as LockRecord;
    } catch {
      // unreadable: a crash while writing it; nobody holds it
    }
    if (held && held.pid !== process.pid && runs(held.pid, 'local.ts')) {
      throw new Error(`another gateway (pid ${held.pid}) is using ${dataDir}: stop it, or give this one its own PAYGATE_DATA_DIR`);
    }
    if (held?.storePid !== undefined && runs(held.storePid, dataDir)) {
      process.kill(held.storePid, 'SIGKILL');
      for (let wait = 0; wait < 50 && runs(held.storePid, dataDir); wait++) await new Promise((r) => setTimeout(r, 100));
    }
    rmSync(path, { force: true });
  }
  return {
    recordStore: (storePid) => writeSecretFile(path, JSON.stringify({ pid: process.pid, ...(storePid !== undefined ? { storePid } : {}) } satisfies LockRecord)),
    release: () => rmSync(path, { force: true }),
  };
}
