import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { RouteSpec } from '../../shared/routes.ts';

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
  throttle: Throttle;
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

export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

/** Operator calls: a handful a minute is the job; a burst beyond this is a script gone wrong or a guesser. */
export const ADMIN_ROUTE_THROTTLE: Throttle = { rateLimit: 5, burstLimit: 10 };

/**
 * A route's own throttle, where it must not take the payment routes' share of the stage's:
 * operator routes, the browser routes (checkout pages, public intent reads) a fifth of the stage, and the
 * routes anyone may call without a secret (`/health`, and `$default`: what scanners hit) a tenth.
 * Merchant routes share the stage's throttle (their per-merchant limits are the functions').
 */
export function routeThrottle(route: Pick<RouteSpec, 'auth' | 'rateLimit' | 'takesCards'>, stage: StageConfig): Throttle | undefined {
  const share = (fraction: number): Throttle => ({
    rateLimit: Math.max(1, Math.floor(stage.throttle.rateLimit * fraction)),
    burstLimit: Math.max(1, Math.floor(stage.throttle.burstLimit * fraction)),
  });
  if (route.auth === 'admin') return ADMIN_ROUTE_THROTTLE;
  // The customer's payment (public confirm) is a payment route: it shares the stage's throttle.
  if (route.takesCards) return undefined;
  if (route.auth === 'client_secret' || route.rateLimit === 'public') return share(0.2);
  if (route.auth === 'none') return share(0.1);
  return undefined;
}

/** The stage of `-c stage=...` (default `test`); anything else is refused at synth time. */
export function stageConfig(name: unknown = 'test'): StageConfig {
  if (!STAGES.includes(name as StageName)) {
    throw new Error(`stage must be one of ${STAGES.join(', ')} (got ${JSON.stringify(name)}): cdk synth -c stage=test`);
  }
  const stage = name as StageName;
  return { name: stage, prefix: `paygate-${stage}`, ...CONFIGS[stage] };
}
