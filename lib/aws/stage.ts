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
  /** CloudFront and AWS WAF in front of the API (lib/aws/edge.ts), or not. */
  edge: EdgeConfig;
}

/**
 * The edge: a CloudFront distribution whose WAF web ACL blocks any client IP over its rate, so one
 * client cannot use up the stage throttle that every merchant shares.
 */
export interface EdgeConfig {
  enabled: boolean;
  /** Requests one client IP may send in any 5 minutes before the WAF answers it 429. */
  requestsPerIpPer5Minutes: number;
}

/** The bounds AWS WAF puts on a rate-based rule's limit. */
export const WAF_RATE_LIMIT_BOUNDS = { min: 10, max: 2_000_000_000 } as const;

const CONFIGS: Record<StageName, Omit<StageConfig, 'name' | 'prefix'>> = {
  test: {
    logRetention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    keyPendingWindowDays: 7,
    throttle: { rateLimit: 100, burstLimit: 200 },
    // Off: a test stage carries integration traffic, not the public's, and the edge costs a fixed
    // $9 a month and needs the stack in us-east-1. 10,000 per 5 minutes (33/s) when turned on.
    edge: { enabled: false, requestsPerIpPer5Minutes: 10_000 },
  },
  live: {
    logRetention: RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    keyPendingWindowDays: 30,
    throttle: { rateLimit: 1000, burstLimit: 2000 },
    // 50,000 per 5 minutes (167/s on average): above what one merchant's own limits let it send
    // from one IP (20 payments and 100 queries a second: 36,000), a sixth of the stage throttle.
    edge: { enabled: true, requestsPerIpPer5Minutes: 50_000 },
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

/**
 * The stage with the edge options of the CDK context applied: `-c edge=waf` or `-c edge=off`
 * (default: the stage's own), `-c edgeRateLimit=<requests per client IP per 5 minutes>`.
 * Anything else is refused at synth time.
 */
export function withEdgeOptions(stage: StageConfig, lookup: (name: string) => unknown): StageConfig {
  const edge = lookup('edge');
  if (edge !== undefined && edge !== 'waf' && edge !== 'off') {
    throw new Error(`edge must be waf or off (got ${JSON.stringify(edge)}): cdk synth -c edge=waf`);
  }
  const rate = lookup('edgeRateLimit');
  const limit = rate === undefined ? stage.edge.requestsPerIpPer5Minutes : Number(rate);
  if (!Number.isInteger(limit) || limit < WAF_RATE_LIMIT_BOUNDS.min || limit > WAF_RATE_LIMIT_BOUNDS.max) {
    throw new Error(
      `edgeRateLimit must be a whole number of requests per client IP per 5 minutes, from ${WAF_RATE_LIMIT_BOUNDS.min} to ${WAF_RATE_LIMIT_BOUNDS.max} (got ${JSON.stringify(rate)})`,
    );
  }
  return { ...stage, edge: { enabled: edge === undefined ? stage.edge.enabled : edge === 'waf', requestsPerIpPer5Minutes: limit } };
}
