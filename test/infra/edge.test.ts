/** The edge (`-c edge=waf`, lib/aws/edge.ts): CloudFront with an AWS WAF web ACL in front of the HTTP API. */
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CACHED_ERROR_STATUSES, COUNTED_COMMON_RULES, VIEWER_IP_FUNCTION_CODE, wafLogGroupName } from '../../lib/aws/edge.ts';
import { PaygateStack } from '../../lib/aws/paygate-stack.ts';
import { stageConfig, withEdgeOptions } from '../../lib/aws/stage.ts';
import { EDGE_SECRET_HEADER, VIEWER_IP_HEADER } from '../../shared/http/client-ip.ts';
import { ROUTES } from '../../shared/routes.ts';
import { WORKERS } from '../../shared/workers.ts';
import { logicalId, PLACEHOLDER_CHECKOUT_ASSETS, PLACEHOLDER_DOCS_SITE, PLACEHOLDER_OPENAPI_DOCUMENT, synthesize, type Synthesized } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
type Environment = { Variables: Record<string, unknown> };

/** A limit of its own, so that the test sees the option reach the rule (the test stage's is 10,000). */
const RATE_LIMIT = 2_500;
const EDGE_TYPES = ['AWS::CloudFront::Distribution', 'AWS::WAFv2::WebACL', 'AWS::WAFv2::LoggingConfiguration', 'AWS::CloudFront::Function', 'AWS::SecretsManager::Secret'];

let edge: Synthesized;
let resources: Record<string, Resource>;
const ofType = (type: string): [string, Resource][] => Object.entries(resources).filter(([, r]) => r.Type === type);
const only = (type: string): [string, Resource] => {
  const found = ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const distributionConfig = () => only('AWS::CloudFront::Distribution')[1].Properties['DistributionConfig'] as Record<string, unknown>;
const defaultBehavior = () => distributionConfig()['DefaultCacheBehavior'] as Record<string, unknown>;
const environmentOf = (resource: Resource) => (resource.Properties['Environment'] as Environment).Variables;

beforeAll(() => {
  edge = synthesize('test', { bundle: false, context: { edge: 'waf', edgeRateLimit: String(RATE_LIMIT) } });
  resources = edge.template.toJSON()['Resources'] as Record<string, Resource>;
}, 120_000);

describe('the edge’s WAF', () => {
  it('is a web ACL of scope CLOUDFRONT that allows what no rule blocks', () => {
    edge.template.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} }, Name: 'paygate-test-edge' });
  });

  it('first blocks a client IP over the stage’s limit per 5 minutes, with the contract’s 429 and Retry-After', () => {
    const acl = only('AWS::WAFv2::WebACL')[1].Properties;
    const [first] = acl['Rules'] as Record<string, unknown>[];
    expect(first).toMatchObject({
      Priority: 0,
      Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: RATE_LIMIT, EvaluationWindowSec: 300 } },
      Action: { Block: { CustomResponse: { ResponseCode: 429, ResponseHeaders: [{ Name: 'retry-after', Value: '60' }] } } },
    });
    const bodyKey = (first as { Action: { Block: { CustomResponse: { CustomResponseBodyKey: string } } } }).Action.Block.CustomResponse.CustomResponseBodyKey;
    const body = (acl['CustomResponseBodies'] as Record<string, { Content: string; ContentType: string }>)[bodyKey]!;
    expect(body.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(body.Content)).toEqual({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: expect.any(String) } });
  });

  it('then applies the AWS managed rule groups, counting (not blocking) the common rules that would refuse valid requests', () => {
    const rules = only('AWS::WAFv2::WebACL')[1].Properties['Rules'] as { Priority: number; Statement: { ManagedRuleGroupStatement?: Record<string, unknown> }; OverrideAction?: unknown }[];
    const managed = rules.filter((r) => r.Statement.ManagedRuleGroupStatement).sort((a, b) => a.Priority - b.Priority);
    expect(managed.map((r) => r.Statement.ManagedRuleGroupStatement!['Name'])).toEqual([
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesKnownBadInputsRuleSet',
      'AWSManagedRulesCommonRuleSet',
    ]);
    for (const rule of managed) {
      expect(rule.Priority).toBeGreaterThan(0);
      expect(rule.OverrideAction).toEqual({ None: {} });
    }
    const common = managed[2]!.Statement.ManagedRuleGroupStatement!;
    expect(common['RuleActionOverrides']).toEqual(COUNTED_COMMON_RULES.map((name) => ({ Name: name, ActionToUse: { Count: {} } })));
    expect(COUNTED_COMMON_RULES).toContain('SizeRestrictions_BODY');
  });

  it('logs what a rule blocked or counted, with the query string and credential headers redacted, to a KMS-encrypted group', () => {
    const [aclId] = only('AWS::WAFv2::WebACL');
    const logging = only('AWS::WAFv2::LoggingConfiguration')[1].Properties;
    expect(logging['ResourceArn']).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    expect(JSON.stringify(logging['LogDestinationConfigs'])).toContain(`:log-group:${wafLogGroupName(edge.stack.stage)}"`);
    expect(logging['RedactedFields']).toEqual([
      { QueryString: {} },
      { SingleHeader: { Name: 'authorization' } },
      { SingleHeader: { Name: 'x-api-key' } },
      { SingleHeader: { Name: 'x-client-secret' } },
    ]);
    expect(logging['LoggingFilter']).toMatchObject({ DefaultBehavior: 'DROP', Filters: [{ Behavior: 'KEEP', Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }] }] });
    edge.template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: 'aws-waf-logs-paygate-test',
      KmsKeyId: { 'Fn::GetAtt': [logicalId(edge.stack.data.dataKey), 'Arn'] },
      RetentionInDays: 30,
    });
    // The data key lets CloudWatch Logs encrypt that group too.
    expect(JSON.stringify(edge.template.findResources('AWS::KMS::Key'))).toContain(':log-group:aws-waf-logs-paygate-test"');
  });
});

describe('the edge’s distribution', () => {
  it('uses the web ACL', () => {
    expect(distributionConfig()['WebACLId']).toEqual({ 'Fn::GetAtt': [only('AWS::WAFv2::WebACL')[0], 'Arn'] });
  });

  it('has the API as its one origin, reached over HTTPS with TLS 1.2 only', () => {
    const [origin, ...others] = distributionConfig()['Origins'] as Record<string, unknown>[];
    expect(others).toEqual([]);
    expect(origin!['CustomOriginConfig']).toEqual({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    expect(origin!['DomainName']).toEqual({ 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [logicalId(edge.stack.api.httpApi), 'ApiEndpoint'] }] }] });
    expect(distributionConfig()).not.toHaveProperty('CacheBehaviors');
  });

  it('forwards every method, every viewer header but Host (Authorization included) and the query string', () => {
    expect(defaultBehavior()['AllowedMethods']).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']);
    // Managed-AllViewerExceptHostHeader: all viewer headers, cookies and query strings but Host.
    expect(defaultBehavior()['OriginRequestPolicyId']).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
  });

  it('caches nothing, not even an error answer', () => {
    // Managed-CachingDisabled.
    expect(defaultBehavior()['CachePolicyId']).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    expect(distributionConfig()['CustomErrorResponses']).toEqual(CACHED_ERROR_STATUSES.map((code) => ({ ErrorCode: code, ErrorCachingMinTTL: 0 })));
    expect(CACHED_ERROR_STATUSES).toEqual(expect.arrayContaining([400, 403, 404, 500, 502, 503, 504]));
  });

  it('redirects viewers to HTTPS and answers on IPv4 only', () => {
    expect(defaultBehavior()['ViewerProtocolPolicy']).toBe('redirect-to-https');
    expect(distributionConfig()['IPV6Enabled']).toBe(false);
  });

  it('adds the origin secret to every request as an origin header, from Secrets Manager (never its value in the template)', () => {
    const [secretId, secret] = only('AWS::SecretsManager::Secret');
    expect(secret.Properties['GenerateSecretString']).toMatchObject({ PasswordLength: 48, ExcludePunctuation: true });
    const [origin] = distributionConfig()['Origins'] as { OriginCustomHeaders: { HeaderName: string; HeaderValue: unknown }[] }[];
    expect(origin!.OriginCustomHeaders).toEqual([{ HeaderName: EDGE_SECRET_HEADER, HeaderValue: secretReference(secretId) }]);
  });

  it('names the viewer’s address in a header the viewer cannot set itself', () => {
    const [functionId, cloudFrontFunction] = only('AWS::CloudFront::Function');
    expect(cloudFrontFunction.Properties).toMatchObject({ FunctionCode: VIEWER_IP_FUNCTION_CODE, FunctionConfig: { Runtime: 'cloudfront-js-2.0' }, AutoPublish: true });
    expect(defaultBehavior()['FunctionAssociations']).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } }]);

    // The function's code, run as CloudFront runs it, on a request naming a forged address.
    const handler = runInNewContext(`${VIEWER_IP_FUNCTION_CODE}; handler`) as (event: unknown) => { headers: Record<string, { value: string }> };
    const forwarded = handler({ viewer: { ip: '198.51.100.7' }, request: { method: 'GET', uri: '/health', headers: { [VIEWER_IP_HEADER]: { value: '10.0.0.1' }, host: { value: 'd1.cloudfront.net' } } } });
    expect(forwarded.headers[VIEWER_IP_HEADER]).toEqual({ value: '198.51.100.7' });
    expect(forwarded.headers['host']).toEqual({ value: 'd1.cloudfront.net' });
  });
});

describe('the functions behind the edge', () => {
  const routeFunctionIds = () => Object.keys(ROUTES).map((name) => logicalId(edge.stack.functions.get(name)!.function));

  it('get the distribution’s URL as their public URL, which the stack outputs', () => {
    const publicUrl = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [only('AWS::CloudFront::Distribution')[0], 'DomainName'] }]] };
    for (const [, fn] of ofType('AWS::Lambda::Function')) expect(environmentOf(fn)['PAYGATE_PUBLIC_URL']).toEqual(publicUrl);
    edge.template.hasOutput('PublicUrl', { Value: publicUrl });
    edge.template.hasOutput('DistributionDomainName', { Value: { 'Fn::GetAtt': [only('AWS::CloudFront::Distribution')[0], 'DomainName'] } });
    // Operators sign for the API's own host: CloudFront would change it.
    edge.template.hasOutput('ApiUrl', { Value: { 'Fn::GetAtt': [logicalId(edge.stack.api.httpApi), 'ApiEndpoint'] } });
  });

  it('that read a client IP (every route) get the origin secret, and nothing else does', () => {
    const [secretId] = only('AWS::SecretsManager::Secret');
    const routes = new Set(routeFunctionIds());
    expect(routes.size).toBe(Object.keys(ROUTES).length);
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      if (routes.has(id)) expect(environmentOf(fn)['PAYGATE_EDGE_ORIGIN_SECRET'], id).toEqual(secretReference(secretId));
      else expect(environmentOf(fn), id).not.toHaveProperty('PAYGATE_EDGE_ORIGIN_SECRET');
    }
    // The $default function and the workers: none of them counts a client.
    expect(ofType('AWS::Lambda::Function').length - routes.size).toBe(1 + Object.keys(WORKERS).length);
  });

  it('need no permission to read the secret (CloudFormation resolves it at deploy)', () => {
    expect(JSON.stringify(edge.template.findResources('AWS::IAM::Policy'))).not.toMatch(/secretsmanager:/);
  });
});

describe('the edge option', () => {
  it('passes the AwsSolutions checks, each accepted finding with its reason', () => {
    expect(edge.nagErrors).toEqual([]);
    const suppressed = JSON.stringify(only('AWS::CloudFront::Distribution')[1]);
    for (const id of ['AwsSolutions-CFR1', 'AwsSolutions-CFR3', 'AwsSolutions-CFR4']) expect(suppressed).toContain(id);
  });

  it('is off on the test stage by default: no distribution, no web ACL, no secret, and the API’s own URL is the public one', () => {
    const plain = synthesize('test', { bundle: false });
    for (const type of EDGE_TYPES) plain.template.resourceCountIs(type, 0);
    const apiEndpoint = { 'Fn::GetAtt': [logicalId(plain.stack.api.httpApi), 'ApiEndpoint'] };
    plain.template.hasOutput('PublicUrl', { Value: apiEndpoint });
    expect(plain.template.findOutputs('DistributionDomainName')).toEqual({});
    plain.template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PAYGATE_PUBLIC_URL: apiEndpoint, PAYGATE_EDGE_ORIGIN_SECRET: Match.absent() }) },
    });
  });

  it('is on on the live stage by default, off with -c edge=off', () => {
    expect(stageConfig('live').edge).toEqual({ enabled: true, requestsPerIpPer5Minutes: 50_000 });
    expect(withEdgeOptions(stageConfig('live'), (name) => (name === 'edge' ? 'off' : undefined)).edge.enabled).toBe(false);
    const liveWithout = synthesize('live', { bundle: false, context: { edge: 'off' } });
    for (const type of EDGE_TYPES) liveWithout.template.resourceCountIs(type, 0);
  });

  it.each([
    [{ edge: 'cloudfront' }, /edge must be waf or off/],
    [{ edgeRateLimit: '9' }, /edgeRateLimit must be a whole number .* from 10 to 2000000000/],
    [{ edgeRateLimit: '100.5' }, /edgeRateLimit must be a whole number/],
    [{ edgeRateLimit: 'fast' }, /edgeRateLimit must be a whole number/],
  ])('refuses %o at synth time', (context, message) => {
    expect(() => withEdgeOptions(stageConfig('test'), (name) => context[name as keyof typeof context])).toThrow(message);
  });

  it.each([
    ['in eu-west-1', 'eu-west-1', /needs the stack in us-east-1.*stack region: eu-west-1/],
    ['of no region (environment-agnostic)', undefined, /needs the stack in us-east-1.*stack region: not set/],
  ])('refuses a stack %s: a CLOUDFRONT web ACL is made in us-east-1 only', (_, region, message) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stage = withEdgeOptions(stageConfig('test'), (name) => (name === 'edge' ? 'waf' : undefined));
    expect(() => new PaygateStack(app, 'x', { stage, checkoutAssets: PLACEHOLDER_CHECKOUT_ASSETS, openApiDocument: PLACEHOLDER_OPENAPI_DOCUMENT, docsSite: PLACEHOLDER_DOCS_SITE, ...(region ? { env: { region } } : {}) })).toThrow(message);
  });
});

/** How CloudFormation is told to put a Secrets Manager secret's value in a property at deploy time. */
function secretReference(secretId: string) {
  return { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] };
}
