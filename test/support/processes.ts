import { execFileSync } from 'node:child_process';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  stat: string;
  args: string;
}

export function processTable(): ProcessInfo[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), stat: m[3]!, args: m[4]! }));
}

export function descendantsOf(pid: number): ProcessInfo[] {
  const table = processTable();
  const found: ProcessInfo[] = [];
  let parents = [pid];
  while (parents.length) {
    const children = table.filter((p) => parents.includes(p.ppid));
    found.push(...children);
    parents = children.map((p) => p.pid);
  }
  return found;
}

/** Running (a zombie waiting to be reaped has already stopped). */
export const stillRunning = (pids: number[]) => processTable().filter((p) => pids.includes(p.pid) && !p.stat.startsWith('Z'));

/** The DynamoDB Local that a gateway process started for its data dir. */
export function dynamoDbLocalOf(gatewayPid: number, dataDir: string): ProcessInfo[] {
  return descendantsOf(gatewayPid).filter((p) => p.args.includes('DynamoDBLocal.jar') && p.args.includes(dataDir));
}
