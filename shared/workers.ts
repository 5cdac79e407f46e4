/**
 * The functions that are not HTTP routes: the CDK stack wires them to the table's stream and to
 * the work queue, or run them on a schedule. `macs` names what each derives, as the route table does:
 * the work runner derives webhook signing secrets to sign deliveries.
 */
export const WORKERS = {
  relayWork: { handler: 'workers/relay-work', trigger: 'table-stream' },
  runWork: { handler: 'workers/run-work', trigger: 'work-queue', macs: ['webhook-secret'] },
  sweepWork: { handler: 'workers/sweep-work', trigger: 'schedule' },
} as const;
