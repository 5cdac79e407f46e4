import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../shared/routes.ts';
import { PaygateStack } from '../../lib/aws/paygate-stack.ts';
import { pickSettings, SETTING_NAMES } from '../../lib/aws/settings.ts';
import { stageConfig } from '../../lib/aws/stage.ts';
import { WORKERS } from '../../shared/workers.ts';
import { PLACEHOLDER_CHECKOUT_ASSETS, PLACEHOLDER_DOCS_SITE, PLACEHOLDER_OPENAPI_DOCUMENT, synthesize, type Synthesized } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

let live: Synthesized;
let resources: Record<string, Resource>;
const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);

beforeAll(() => {
  live = synthesize('live', { bundle: false, props: { settings: { RATE_LIMIT_PAYMENT_PER_SECOND: '50' } } });
  resources = live.template.toJSON()['Resources'] as Record<string, Resource>;
}, 120_000);

describe('the live stage', () => {
  it('is named for its stage, down to the table, the functions, the log groups and the key aliases', () => {
    expect(live.stack.stackName).toBe('paygate-live');
    expect(ofType('AWS::DynamoDB::Table')[0]!.Properties['TableName']).toBe('paygate-live');
    for (const fn of ofType('AWS::Lambda::Function')) expect(fn.Properties['FunctionName']).toMatch(/^paygate-live-[a-z-]+$/);
    for (const group of ofType('AWS::Logs::LogGroup')) {
      expect(group.Properties['LogGroupName']).toMatch(/^(\/aws\/(lambda|apigateway|vendedlogs\/states)\/paygate-live-|aws-waf-logs-paygate-live$)/);
    }
    expect(ofType('AWS::SQS::Queue').map((q) => q.Properties['QueueName']).sort()).toEqual(['paygate-live-relay-dlq', 'paygate-live-work', 'paygate-live-work-dlq']);
    expect(ofType('AWS::StepFunctions::StateMachine').map((m) => m.Properties['StateMachineName']).sort()).toEqual([
      'paygate-live-authorization-expiry',
      'paygate-live-webhook-retries',
    ]);
    for (const alarm of ofType('AWS::CloudWatch::Alarm')) expect(alarm.Properties['AlarmName']).toMatch(/^paygate-live-/);
    expect(ofType('AWS::KMS::Alias').map((a) => a.Properties['AliasName']).sort()).toEqual([
      'alias/paygate-live/card',
      'alias/paygate-live/card-fingerprint',
      'alias/paygate-live/data',
      'alias/paygate-live/mac-client-secret',
      'alias/paygate-live/mac-request-hash',
      'alias/paygate-live/mac-webhook-secret',
    ]);
  });

  it('protects the table from deletion and retains it, its keys, its logs, its queues and its waiting state machines when the stack goes', () => {
    const [table] = ofType('AWS::DynamoDB::Table');
    expect(table!.Properties['DeletionProtectionEnabled']).toBe(true);
    expect(table!.DeletionPolicy).toBe('Retain');
    expect(table!.UpdateReplacePolicy).toBe('Retain');
    for (const key of ofType('AWS::KMS::Key')) {
      expect(key.DeletionPolicy).toBe('Retain');
      expect(key.Properties['PendingWindowInDays']).toBe(30);
    }
    for (const group of ofType('AWS::Logs::LogGroup')) expect(group.DeletionPolicy).toBe('Retain');
    // Queued work and dead letters; executions waiting for a webhook retry or an authorization's expiry.
    for (const type of ['AWS::SQS::Queue', 'AWS::StepFunctions::StateMachine']) {
      expect(ofType(type).length, type).toBeGreaterThan(0);
      for (const resource of ofType(type)) {
        expect(resource.DeletionPolicy, type).toBe('Retain');
        expect(resource.UpdateReplacePolicy, type).toBe('Retain');
      }
    }
  });

  it('keeps logs a year', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    // One per function (routes, $default, workers), the access log, one per state machine, the WAF's.
    expect(groups).toHaveLength(Object.keys(ROUTES).length + 1 + Object.keys(WORKERS).length + 1 + 2 + 1);
    for (const group of groups) expect(group.Properties['RetentionInDays']).toBe(365);
  });

  it('tells every function it is live (so it issues sk_live_ keys) and passes the settings given', () => {
    for (const fn of ofType('AWS::Lambda::Function')) {
      const env = (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
      expect(env['PAYGATE_STAGE']).toBe('live');
      expect(env['RATE_LIMIT_PAYMENT_PER_SECOND']).toBe('50');
      expect(env).not.toHaveProperty('AWS_ENDPOINT_URL_DYNAMODB');
    }
  });

  it('puts CloudFront with the WAF in front of the API, one client IP limited to 50,000 requests per 5 minutes', () => {
    expect(ofType('AWS::CloudFront::Distribution')).toHaveLength(1);
    const [acl] = ofType('AWS::WAFv2::WebACL');
    expect(acl!.Properties['Scope']).toBe('CLOUDFRONT');
    expect(JSON.stringify(acl!.Properties['Rules'])).toContain('"RateBasedStatement":{"AggregateKeyType":"IP","EvaluationWindowSec":300,"Limit":50000}');
    expect(live.stack.region).toBe('us-east-1');
  });

  it('passes the AwsSolutions checks too', () => {
    expect(live.nagErrors).toEqual([]);
  });
});

describe('the stage and settings given at synth time', () => {
  it('refuses a stage that is neither test nor live', () => {
    expect(() => stageConfig('prod')).toThrow(/stage must be one of test, live/);
    expect(stageConfig(undefined).name).toBe('test');
  });

  it('refuses a setting shared/config.ts would refuse, before anything is deployed', () => {
    expect(SETTING_NAMES).toContain('IDEMPOTENCY_TTL_SECONDS');
    expect(SETTING_NAMES.some((n) => n.startsWith('PAYGATE_'))).toBe(false);
    expect(() => pickSettings((n) => (n === 'RATE_LIMIT_PAYMENT_PER_SECOND' ? 'fast' : undefined))).toThrow(/RATE_LIMIT_PAYMENT_PER_SECOND/);
    expect(pickSettings((n) => (n === 'IDEMPOTENCY_TTL_SECONDS' ? 3600 : undefined))).toEqual({ IDEMPOTENCY_TTL_SECONDS: '3600' });
  });

  it('never points a live stack at a local DynamoDB', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => new PaygateStack(app, 'x', { stage: stageConfig('live'), checkoutAssets: PLACEHOLDER_CHECKOUT_ASSETS, openApiDocument: PLACEHOLDER_OPENAPI_DOCUMENT, docsSite: PLACEHOLDER_DOCS_SITE, localDynamoDbEndpoint: 'http://127.0.0.1:8000' })).toThrow(
      /test stage only/,
    );
  });
});
