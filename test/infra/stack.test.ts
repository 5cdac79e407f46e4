import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE } from '../../shared/adapters/dynamodb/table.ts';
import { ROUTES, type RouteSpec } from '../../shared/routes.ts';
import { WORKERS } from '../../shared/workers.ts';
import { MAC_PURPOSES, type MacPurpose } from '../../shared/ports.ts';
import { macKeyVariable } from '../../shared/adapters/kms/kms-key-service.ts';
import { NOT_FOUND_HANDLER } from '../../lib/aws/bundling.ts';
import { usesTable } from '../../lib/aws/paygate-stack.ts';
import { describeOutbox } from './outbox.suite.ts';
import { actionsOf, arnOf, logicalId, mentions, resourcesOf, statementsOfRole, synthesize, type Statement, type Synthesized } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; Metadata?: Record<string, unknown> };

const ROUTE_ENTRIES = Object.entries(ROUTES) as [string, RouteSpec][];
/** The only actions granted on every resource: AWS has no resource-level permission for them. */
const UNSCOPED_ACTIONS = [
  'dynamodb:ListStreams',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
];

let synth: Synthesized;
let resources: Record<string, Resource>;
const ofType = (type: string): [string, Resource][] => Object.entries(resources).filter(([, r]) => r.Type === type);

beforeAll(() => {
  // The one synthesis of this file. esbuild is skipped here: bundles.test.ts bundles every
  // handler with the stack's settings, and the NodejsFunction path once.
  synth = synthesize('test', { bundle: false });
  resources = synth.template.toJSON()['Resources'] as Record<string, Resource>;
}, 120_000);

const functionId = (routeName: string) => logicalId(synth.stack.functions.get(routeName)!.function);
const roleId = (routeName: string) => logicalId(synth.stack.functions.get(routeName)!.role);
const cardKeyId = () => logicalId(synth.stack.cardKeys.cardKey);
const fingerprintKeyId = () => logicalId(synth.stack.cardKeys.fingerprintKey);
const macKeyId = (purpose: MacPurpose) => logicalId(synth.stack.cardKeys.macKeys[purpose]);
const macKeyIds = () => MAC_PURPOSES.map(macKeyId);
/** The functions that derive each purpose's MACs: the routes naming it, and the work runner for webhook secrets. */
const macUsers = (purpose: MacPurpose) => [
  ...ROUTE_ENTRIES.filter(([, r]) => r.macs?.includes(purpose)).map(([name]) => roleId(name)),
  ...((WORKERS.runWork.macs as readonly MacPurpose[]).includes(purpose) ? [logicalId(synth.stack.outbox.worker.role)] : []),
];
const dataKeyId = () => logicalId(synth.stack.data.dataKey);
const tableId = () => logicalId(synth.stack.data.table);

describe('the functions', () => {
  it('are one per route of the route table, the $default route’s, and the two workers of the outbox', () => {
    expect(ofType('AWS::Lambda::Function')).toHaveLength(ROUTE_ENTRIES.length + 1 + Object.keys(WORKERS).length);
    expect(new Set(ROUTE_ENTRIES.map(([name]) => functionId(name))).size).toBe(ROUTE_ENTRIES.length);
  });

  it.each(ROUTE_ENTRIES)('%s runs on arm64, Node.js 22 or newer, from its own handler module', (name, route) => {
    const fn = resources[functionId(name)]!.Properties;
    expect(fn['Architectures']).toEqual(['arm64']);
    const major = Number(/^nodejs(\d+)\.x$/.exec(String(fn['Runtime']))?.[1]);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(fn['Handler']).toBe('index.handler');
    expect(fn['Description']).toBe(`${route.method} ${route.path} (functions/${route.handler}.ts)`);
  });

  it.each(ROUTE_ENTRIES)('%s gets the table, the public URL and the stage from its environment', (name) => {
    const env = (resources[functionId(name)]!.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env['PAYGATE_TABLE_NAME']).toEqual({ Ref: tableId() });
    expect(env['PAYGATE_PUBLIC_URL']).toEqual({ 'Fn::GetAtt': [logicalId(synth.stack.api.httpApi), 'ApiEndpoint'] });
    expect(env['PAYGATE_STAGE']).toBe('test');
    expect(env['NODE_OPTIONS']).toBe('--enable-source-maps');
  });

  it.each(ROUTE_ENTRIES)('%s gets exactly the key ids of the MAC purposes it derives, and no card key', (name, route) => {
    const env = (resources[functionId(name)]!.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env).not.toHaveProperty('PAYGATE_CARD_KEY_ID');
    const expected = Object.fromEntries((route.macs ?? []).map((purpose) => [macKeyVariable(purpose), arnOf(macKeyId(purpose))]));
    expect(Object.fromEntries(Object.entries(env).filter(([variable]) => variable.startsWith('PAYGATE_MAC_KEY_')))).toStrictEqual(expected);
  });

  it.each(ROUTE_ENTRIES)('%s logs to its own KMS-encrypted log group kept one month', (name) => {
    const fn = resources[functionId(name)]!.Properties;
    const logGroupId = (fn['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup.Ref;
    const logGroup = resources[logGroupId]!.Properties;
    expect(logGroup['RetentionInDays']).toBe(30);
    expect(logGroup['KmsKeyId']).toEqual(arnOf(dataKeyId()));
    expect(logGroup['LogGroupName']).toBe(`/aws/lambda/${String(fn['FunctionName'])}`);
  });
});

describe('the HTTP API', () => {
  const routeResource = (route: RouteSpec) => {
    const found = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties['RouteKey'] === `${route.method} ${route.path}`);
    expect(found, `${route.method} ${route.path}`).toHaveLength(1);
    return found[0]![1].Properties;
  };

  it('has exactly the routes of the route table, and $default', () => {
    const keys = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties['RouteKey']).sort();
    expect(keys).toEqual([...ROUTE_ENTRIES.map(([, r]) => `${r.method} ${r.path}`), '$default'].sort());
  });

  it('sends what no route matches ($default) to the not-found function, which touches nothing but its log group', () => {
    const [route, ...others] = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties['RouteKey'] === '$default');
    expect(others).toEqual([]);
    expect(route![1].Properties['AuthorizationType']).toBe('NONE');
    const integrationId = /"Ref":"([^"]+)"/.exec(JSON.stringify(route![1].Properties['Target']))?.[1];
    const notFound = synth.stack.notFoundFunction;
    expect(resources[integrationId!]!.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: arnOf(logicalId(notFound.function)) });
    expect(resources[logicalId(notFound.function)]!.Properties['Description']).toBe(`$default (any unknown route): 404 (functions/${NOT_FOUND_HANDLER}.ts)`);
    expect(statementsOfRole(synth.template, logicalId(notFound.role)).flatMap(actionsOf).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it.each(ROUTE_ENTRIES)('routes %s to its own function through a payload 2.0 Lambda proxy', (name, route) => {
    const target = JSON.stringify(routeResource(route)['Target']);
    const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1];
    const integration = resources[integrationId!]!;
    expect(integration.Type).toBe('AWS::ApiGatewayV2::Integration');
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: arnOf(functionId(name)),
    });
  });

  it.each(ROUTE_ENTRIES)('lets only this API invoke the function of %s, on its own path', (name, route) => {
    const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties['FunctionName']) === JSON.stringify(arnOf(functionId(name))));
    expect(permissions).toHaveLength(1);
    const permission = permissions[0]![1].Properties;
    expect(permission['Principal']).toBe('apigateway.amazonaws.com');
    const sourceArn = JSON.stringify(permission['SourceArn']);
    expect(sourceArn).toContain(`"Ref":"${logicalId(synth.stack.api.httpApi)}"`);
    expect(sourceArn).toContain(`/*/*${route.path}"`);
  });

  it.each(ROUTE_ENTRIES)('authorizes %s with IAM exactly when it is an operator route', (_name, route) => {
    expect(routeResource(route)['AuthorizationType']).toBe(route.auth === 'admin' ? 'AWS_IAM' : 'NONE');
  });

  it('writes JSON access logs, with the IAM caller and no query string, to an encrypted log group', () => {
    const [, stage] = ofType('AWS::ApiGatewayV2::Stage')[0]!;
    expect(stage.Properties['StageName']).toBe('$default');
    const settings = stage.Properties['AccessLogSettings'] as { DestinationArn: unknown; Format: string };
    const logGroupId = logicalId(synth.stack.api.accessLogs);
    expect(settings.DestinationArn).toEqual(arnOf(logGroupId));
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', routeKey: '$context.routeKey', iamCaller: '$context.identity.userArn' });
    expect(settings.Format).not.toMatch(/querystring|authorization/i);
    expect(resources[logGroupId]!.Properties).toMatchObject({ RetentionInDays: 30, KmsKeyId: arnOf(dataKeyId()) });
  });

  it('throttles every route of the stage', () => {
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
    });
  });

  it('gives operator, browser, health and unknown routes throttles of their own, so no one of them can use up the payment routes\' share', () => {
    const [stageId, stage] = ofType('AWS::ApiGatewayV2::Stage')[0]!;
    const settings = stage.Properties['RouteSettings'] as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    const throttled = (key: string) => settings[key] && { rateLimit: settings[key].ThrottlingRateLimit, burstLimit: settings[key].ThrottlingBurstLimit };
    for (const route of Object.values(ROUTES) as RouteSpec[]) {
      const key = `${route.method} ${route.path}`;
      if (route.auth === 'admin') expect(throttled(key), key).toEqual({ rateLimit: 5, burstLimit: 10 });
      else if (route.takesCards) expect(throttled(key), key).toBeUndefined();
      else if (route.auth === 'client_secret' || route.rateLimit === 'public') expect(throttled(key), key).toEqual({ rateLimit: 20, burstLimit: 40 });
      else if (route.auth === 'none') expect(throttled(key), key).toEqual({ rateLimit: 10, burstLimit: 20 });
      else expect(throttled(key), key).toBeUndefined();
    }
    expect(throttled('$default')).toEqual({ rateLimit: 10, burstLimit: 20 });
    // Every key names a route of the API, and the stage is deployed after them.
    const routeKeys = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties['RouteKey']);
    expect(routeKeys).toEqual(expect.arrayContaining(Object.keys(settings)));
    const dependsOn = (resources[stageId] as unknown as { DependsOn?: string[] }).DependsOn ?? [];
    const routeIds = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => Object.keys(settings).includes(r.Properties['RouteKey'] as string)).map(([id]) => id);
    expect(dependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('allows CORS for the browser routes without credentials, API keys or signatures', () => {
    const [, api] = ofType('AWS::ApiGatewayV2::Api')[0]!;
    const cors = api.Properties['CorsConfiguration'] as { AllowHeaders: string[]; AllowCredentials: boolean; AllowMethods: string[] };
    expect(cors.AllowCredentials).toBe(false);
    expect(cors.AllowHeaders).toContain('x-client-secret');
    expect(cors.AllowHeaders.map((h) => h.toLowerCase())).not.toContain('authorization');
    expect(cors.AllowHeaders.map((h) => h.toLowerCase())).not.toContain('x-api-key');
    expect(cors.AllowMethods).not.toContain('DELETE');
  });

  it('outputs the API URL and the ARN operators are granted', () => {
    synth.template.hasOutput('ApiUrl', { Value: { 'Fn::GetAtt': [logicalId(synth.stack.api.httpApi), 'ApiEndpoint'] } });
    expect(JSON.stringify(synth.template.findOutputs('OperatorInvokeArn'))).toContain('/$default/*/api/admin/*');
  });
});

describe('the table', () => {
  const table = () => ofType('AWS::DynamoDB::Table');

  it('is one table whose keys and indexes are those of shared/adapters/dynamodb/table.ts', () => {
    expect(table()).toHaveLength(1);
    const props = table()[0]![1].Properties;
    expect(props['KeySchema']).toEqual([
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ]);
    const indexes = (props['GlobalSecondaryIndexes'] as { IndexName: string; KeySchema: unknown; Projection: unknown }[]).map((i) => ({
      IndexName: i.IndexName,
      KeySchema: i.KeySchema,
      Projection: i.Projection,
    }));
    expect(indexes).toEqual(
      Object.values(TABLE.indexes).map((i) => ({
        IndexName: i.name,
        KeySchema: [
          { AttributeName: i.partitionKey, KeyType: 'HASH' },
          { AttributeName: i.sortKey, KeyType: 'RANGE' },
        ],
        // The due index projects only what a worker needs: each entry is a small write.
        Projection:
          i.name === TABLE.indexes.due.name
            ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...TABLE.dueProjection] }
            : { ProjectionType: 'ALL' },
      })),
    );
    expect(props['BillingMode']).toBe('PAY_PER_REQUEST');
    expect(props['TableName']).toBe('paygate-test');
  });

  it('has point-in-time recovery, TTL on the expiring records and SSE with the project data key', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arnOf(dataKeyId()) },
    });
  });

  it('is deleted with the test stage and has no deletion protection there', () => {
    const [, resource] = table()[0]!;
    expect(resource.DeletionPolicy).toBe('Delete');
    expect(resource.Properties['DeletionProtectionEnabled']).toBe(false);
  });
});

describe('the KMS keys', () => {
  it('are the data key, the card key and one HMAC key per MAC purpose', () => {
    expect(ofType('AWS::KMS::Key')).toHaveLength(2 + MAC_PURPOSES.length);
    expect(new Set([dataKeyId(), cardKeyId(), ...macKeyIds()]).size).toBe(2 + MAC_PURPOSES.length);
  });

  it('keep the fingerprint key the one HMAC key of before (same logical id), so card fingerprints survive the split', () => {
    expect(fingerprintKeyId()).toBe(macKeyId('card-fingerprint'));
    expect(fingerprintKeyId()).toMatch(/^CardKeysFingerprintKey/);
  });

  it('rotate, except the HMAC keys, which KMS cannot rotate', () => {
    expect(resources[cardKeyId()]!.Properties).toMatchObject({ EnableKeyRotation: true });
    expect(resources[dataKeyId()]!.Properties).toMatchObject({ EnableKeyRotation: true });
    for (const id of macKeyIds()) expect(resources[id]!.Properties).toMatchObject({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
  });

  const keyPolicy = (id: string) => (resources[id]!.Properties['KeyPolicy'] as { Statement: Statement[] }).Statement;
  const USE_ACTIONS = ['kms:*', 'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey', 'kms:GenerateDataKey*', 'kms:GenerateMac', 'kms:CreateGrant', 'kms:Create*'];

  it.each([['card', cardKeyId], ...MAC_PURPOSES.map((purpose) => [purpose, () => macKeyId(purpose)] as const)] as const)(
    'let the account administer the %s key but not use it: an IAM policy allowing kms:* on * opens nothing',
    (_, keyId) => {
      const statements = keyPolicy(keyId());
      const account = statements.filter((st) => JSON.stringify(st.Principal).includes(':root'));
      expect(account).toHaveLength(1);
      expect(account[0]!.Effect).toBe('Allow');
      expect(actionsOf(account[0]!).filter((a) => USE_ACTIONS.includes(a))).toEqual([]);
      expect(actionsOf(account[0]!)).toEqual(expect.arrayContaining(['kms:Put*', 'kms:ScheduleKeyDeletion', 'kms:Describe*']));
    },
  );

  it('let nobody use the card key, and refuse kms:Decrypt with it to every principal', () => {
    const statements = keyPolicy(cardKeyId());
    const allowsUse = statements.filter((st) => st.Effect === 'Allow' && actionsOf(st).some((a) => USE_ACTIONS.includes(a)));
    expect(allowsUse).toEqual([]);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt' }));
  });

  it.each(MAC_PURPOSES)('let exactly the functions that derive %s MACs use its key, only for GenerateMac with HMAC-SHA-256', (purpose) => {
    const users = keyPolicy(macKeyId(purpose)).filter((st) => st.Effect === 'Allow' && !JSON.stringify(st.Principal).includes(':root'));
    expect(users.every((st) => JSON.stringify(actionsOf(st)) === JSON.stringify(['kms:GenerateMac']))).toBe(true);
    expect(users.every((st) => JSON.stringify(st.Condition) === JSON.stringify({ StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } }))).toBe(true);
    const principals = users.flatMap((st) => {
      const aws = (st.Principal as { AWS: unknown }).AWS;
      return Array.isArray(aws) ? aws : [aws];
    });
    const expected = macUsers(purpose).map((role) => arnOf(role));
    expect(expected.length).toBeGreaterThan(0);
    expect(principals).toHaveLength(expected.length);
    expect(principals).toEqual(expect.arrayContaining(expected));
  });

  it('keep the unauthenticated routes away from the webhook-secret and fingerprint keys: code running there cannot forge a webhook', () => {
    const anonymous = ROUTE_ENTRIES.filter(([, r]) => r.auth === 'client_secret' || r.auth === 'none').map(([name]) => roleId(name));
    const confirm = roleId('confirmPaymentIntent');
    for (const role of anonymous) expect(macUsers('webhook-secret'), role).not.toContain(role);
    // Only the customer's payment (confirm) among them fingerprints its card.
    expect(anonymous.filter((role) => macUsers('card-fingerprint').includes(role))).toEqual([confirm]);
  });

  it('let the Logs service use the data key only for this stage’s log groups', () => {
    const policy = resources[dataKeyId()]!.Properties['KeyPolicy'] as { Statement: Statement[] };
    const logs = policy.Statement.find((s) => JSON.stringify(s).includes('logs.'))!;
    expect(JSON.stringify(logs.Condition)).toContain('log-group:/aws/lambda/paygate-test-*');
    expect(JSON.stringify(logs.Condition)).toContain('log-group:/aws/apigateway/paygate-test-*');
    expect(JSON.stringify(logs.Condition)).toContain('log-group:/aws/vendedlogs/states/paygate-test-*');
  });
});

describe('the permissions of each function', () => {
  it.each(ROUTE_ENTRIES)('%s has its own role, with no managed policy', (name) => {
    const role = resources[roleId(name)]!.Properties;
    expect(role['ManagedPolicyArns']).toBeUndefined();
    expect(resources[functionId(name)]!.Properties['Role']).toEqual(arnOf(roleId(name)));
  });

  it.each(ROUTE_ENTRIES)('%s may write only to its own log group among the log groups', (name) => {
    const statements = statementsOfRole(synth.template, roleId(name));
    const logStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(logStatements).toHaveLength(1);
    expect(actionsOf(logStatements[0]!).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(logStatements[0]!.Resource).toEqual(arnOf(logicalId(synth.stack.functions.get(name)!.logGroup)));
  });

  it.each(ROUTE_ENTRIES)('%s may GenerateMac on the keys of its MAC purposes alone and has no statement on the card key', (name, route) => {
    const statements = statementsOfRole(synth.template, roleId(name));
    expect(statements.filter((s) => mentions(s, cardKeyId()))).toEqual([]);
    const onMacKeys = statements.filter((s) => macKeyIds().some((key) => mentions(s, key)));
    expect(onMacKeys.map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s) }))).toEqual(
      (route.macs ?? []).map((purpose) => ({ actions: ['kms:GenerateMac'], resources: [arnOf(macKeyId(purpose))] })),
    );
    if (!route.macs?.length) expect(statements.flatMap(actionsOf)).not.toContain('kms:GenerateMac');
  });

  it('gives no route function kms:Decrypt on the card key (only the webhook worker may, see outbox.test.ts)', () => {
    for (const [name] of ROUTE_ENTRIES) {
      const statements = statementsOfRole(synth.template, roleId(name)).filter((s) => mentions(s, cardKeyId()));
      expect(statements.flatMap(actionsOf), name).not.toContain('kms:Decrypt');
    }
  });

  it.each(ROUTE_ENTRIES)('%s reads and writes the table (and its key) exactly when its route authenticates or counts a rate limit', (name, route) => {
    const statements = statementsOfRole(synth.template, roleId(name));
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const onDataKey = statements.filter((s) => mentions(s, dataKeyId()));
    if (usesTable(route)) {
      // Item actions only: no Scan, no BatchWriteItem, no DescribeTable; puts and deletes only where the route changes something.
      const reads = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];
      const writes = [...reads, 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem'];
      expect(dynamo.flatMap(actionsOf).sort()).toEqual((route.readsOnly ? reads : writes).sort());
      // A read-only route updates nothing but its counters (rate limits, failed authentications).
      const updates = dynamo.filter((s) => actionsOf(s).includes('dynamodb:UpdateItem'));
      expect(updates).toHaveLength(1);
      if (route.readsOnly) expect(updates[0]!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RATE#*'] } });
      else expect(updates[0]!.Condition).toBeUndefined();
      expect(dynamo.every((s) => resourcesOf(s).every((r) => JSON.stringify(r).includes(`"${tableId()}"`)))).toBe(true);
      expect(onDataKey.flatMap(actionsOf)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt']));
      expect(onDataKey.every((s) => JSON.stringify(s.Condition).includes('kms:ViaService'))).toBe(true);
    } else if (route.probesStore) {
      expect(dynamo.flatMap(actionsOf)).toEqual(['dynamodb:GetItem']); // the next test says which item
    } else {
      expect(dynamo).toEqual([]);
      expect(onDataKey).toEqual([]);
    }
  });

  it('names the indexes a function may query; only the delivery and payment lists may query gsi3 (the deliveries of an endpoint, the payments of an email)', () => {
    const indexArn = (name: string) => ({ 'Fn::Join': ['', [arnOf(tableId()), `/index/${name}`]] });
    const open = [TABLE.indexes.byMerchant.name, TABLE.indexes.byMerchantStatus.name, TABLE.indexes.due.name];
    const roles: [string, string, boolean][] = [
      ...ROUTE_ENTRIES.filter(([, route]) => usesTable(route)).map(([name]): [string, string, boolean] => [name, roleId(name), name === 'listWebhookDeliveries' || name === 'listPayments']),
      ['runWork', logicalId(synth.stack.outbox.worker.role), false],
      ['sweepWork', logicalId(synth.stack.outbox.sweeper.role), false],
    ];
    for (const [name, role, mayQueryEndpointIndex] of roles) {
      const onTable = statementsOfRole(synth.template, role).filter((s) => actionsOf(s).includes('dynamodb:Query'));
      expect(onTable, name).toHaveLength(1);
      const expected = [arnOf(tableId()), ...open.map(indexArn), ...(mayQueryEndpointIndex ? [indexArn(TABLE.indexes.byParent.name)] : [])];
      expect(resourcesOf(onTable[0]!), name).toEqual(expected);
    }
  });

  it('the health function may read the one HEALTH item of the table (through DynamoDB only) and write its log group, nothing else', () => {
    const statements = statementsOfRole(synth.template, roleId('health'));
    expect(statements.flatMap(actionsOf).sort()).toEqual(['dynamodb:GetItem', 'kms:Decrypt', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    const read = statements.find((s) => actionsOf(s).includes('dynamodb:GetItem'))!;
    expect(resourcesOf(read)).toEqual([arnOf(tableId())]);
    expect(read.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['HEALTH'] } });
    const decrypt = statements.find((s) => actionsOf(s).includes('kms:Decrypt'))!;
    expect(resourcesOf(decrypt)).toEqual([arnOf(dataKeyId())]);
    expect(JSON.stringify(decrypt.Condition)).toContain('kms:ViaService');
  });

  it('no IAM statement anywhere grants Action "*" or a service-wide wildcard, or an unnamed resource but where AWS offers none', () => {
    const policies = ofType('AWS::IAM::Policy').flatMap(([, p]) => (p.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement);
    expect(policies.length).toBeGreaterThan(0);
    for (const statement of policies) {
      if (statement.Resource === '*') {
        // Actions without resource-level permissions (suppressed for cdk-nag with these reasons):
        // the stream event source's ListStreams, the state machines' log delivery and tracing.
        expect(UNSCOPED_ACTIONS).toEqual(expect.arrayContaining(actionsOf(statement)));
        continue;
      }
      for (const action of actionsOf(statement)) {
        expect(action).not.toBe('*');
        expect(action).not.toMatch(/:\*$/);
        // The only wildcard actions are the grant of the table's key (ReEncryptFrom/To, GenerateDataKey[WithoutPlaintext]).
        if (action.includes('*')) expect(['kms:ReEncrypt*', 'kms:GenerateDataKey*']).toContain(action);
      }
      for (const resource of resourcesOf(statement)) {
        expect(resource).not.toBe('*');
        expect(typeof resource).not.toBe('string');
        // No wildcard in any resource: even the table's indexes are named one by one.
        expect(JSON.stringify(resource)).not.toContain('*');
      }
    }
  });
});

describe('cdk-nag', () => {
  it('AwsSolutions checks leave no unsuppressed error', () => {
    expect(synth.nagErrors).toEqual([]);
  });

  it('every suppression states its reason', () => {
    const suppressions = Object.values(resources).flatMap(
      (r) => ((r.Metadata?.['cdk_nag'] as { rules_to_suppress?: { id: string; reason: string }[] } | undefined)?.rules_to_suppress ?? []),
    );
    expect(suppressions.length).toBeGreaterThan(0);
    for (const s of suppressions) expect(s.reason.length, s.id).toBeGreaterThan(40);
  });
});

describe('the outbox', () => {
  describeOutbox(() => synth);
});
