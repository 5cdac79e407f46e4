import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

export const STAGES = ['test', 'live'] as const;
export type StageName = (typeof STAGES)[number];

/** Everything that differs between a test and a live deployment. */
export interface StageConfig {
  name: StageName;
  /** Prefix of every physical name (stack, table, functions, log groups, key aliases). */
  prefix: string;
  logRetention: RetentionDays;
  /** Test stages are torn down whole; live data and keys outlive the stack. */
  removalPolicy: RemovalPolicy;
  deletionProtection: boolean;
  /** Days a deleted KMS key waits before it is gone (7 is the minimum KMS allows). */
  keyPendingWindowDays: number;
  /** Stage-wide API Gateway throttle, above the per-merchant limits the functions enforce. */
  throttle: { rateLimit: number; burstLimit: number };
}

const CONFIGS: Record<StageName, Omit<StageConfig, 'name' | 'prefix'>> = {
  test: {
    logRetention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    keyPendingWindowDays: 7,
    throttle: { rateLimit: 100, burstLimit: 200 },
  },
  live: {
    logRetention: RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    keyPendingWindowDays: 30,
    throttle: { rateLimit: 1000, burstLimit: 2000 },
  },
};

/** The stage of `-c stage=...` (default `test`); anything else is refused at synth time. */
export function stageConfig(name: unknown = 'test'): StageConfig {
  if (!STAGES.includes(name as StageName)) {
    throw new Error(`stage must be one of ${STAGES.join(', ')} (got ${JSON.stringify(name)}): cdk synth -c stage=test`);
  }
  const stage = name as StageName;
  return { name: stage, prefix: `paygate-${stage}`, ...CONFIGS[stage] };
}
