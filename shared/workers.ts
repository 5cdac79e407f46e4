/**
 * The functions that are not HTTP routes: the CDK stack wires them to the table's stream and to
 * the work queue, or run them on a schedule. `vault: 'mac'` marks the one that derives webhook
 * signing secrets to sign deliveries.
 */
export const WORKERS = {
  relayWork: { handler: 'workers/relay-work', trigger: 'table-stream' },
  runWork: { handler: 'workers/run-work', trigger: 'work-queue', vault: 'mac' },
  sweepWork: { handler: 'workers/sweep-work', trigger: 'schedule' },
} as const;
