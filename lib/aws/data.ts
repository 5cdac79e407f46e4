import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption, type Attribute, type StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import { ServicePrincipal, PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { createTableInput, TABLE } from '../../shared/adapters/dynamodb/table.ts';
import type { PrivateIndex } from '../../shared/routes.ts';
import { wafLogGroupName } from './edge.ts';
import type { StageConfig } from './stage.ts';

export interface PaygateDataProps {
  stage: StageConfig;
  /** A change stream on the table, for the outbox relay (outbox.ts): NEW_IMAGE. */
  stream?: StreamViewType;
}

/**
 * The data at rest: the one DynamoDB table and the project's data key, which encrypts the table
 * and the log groups. Card numbers have keys of their own (CardKeys).
 */
/** The item-level DynamoDB actions a function may be given (`PaygateData.grantItemActions`). */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';

/** What a route that reads sends: key lookups (GetItem, BatchGetItem), lists (Query), and its counters (UpdateItem: rate limits, failed authentications). */
export const READING_ROUTE_ACTIONS: readonly TableAction[] = ['GetItem', 'BatchGetItem', 'Query', 'UpdateItem'];
/** The only items a read-only route updates: its rate-limit and failed-authentication counters (shared/adapters/dynamodb/rate-limiter.ts). */
export const COUNTER_KEYS: readonly string[] = ['RATE#*'];
/** What a route that changes something adds: puts, deletes and condition checks (in its transactions, its idempotency claim and release). */
export const WRITING_ROUTE_ACTIONS: readonly TableAction[] = [...READING_ROUTE_ACTIONS, 'PutItem', 'DeleteItem', 'ConditionCheckItem'];
/** The indexes no function may query unless its route names them (`RouteSpec.privateIndexes`). */
export const PRIVATE_INDEXES: readonly PrivateIndex[] = ['byParent'];

/** The names of the indexes a function may query: every index but the private ones it is not given. */
export function queryableIndexes(privateIndexes: readonly PrivateIndex[] = []): string[] {
  return Object.entries(TABLE.indexes)
    .filter(([key]) => !(PRIVATE_INDEXES as readonly string[]).includes(key) || (privateIndexes as readonly string[]).includes(key))
    .map(([, index]) => index.name);
}

export class PaygateData extends Construct {
  readonly table: Table;
  readonly dataKey: Key;

  constructor(scope: Construct, id: string, props: PaygateDataProps) {
    super(scope, id);
    const { stage } = props;

    this.dataKey = new Key(this, 'DataKey', {
      alias: `alias/${stage.prefix}/data`,
      description: `Paygate ${stage.name}: encrypts the DynamoDB table and the log groups`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(stage.keyPendingWindowDays),
      removalPolicy: stage.removalPolicy,
    });
    this.allowLogGroups(stage);

    // The table is built from the same description the local runtime creates DynamoDB Local's
    // table from (createTableInput), so keys and indexes cannot drift between the two.
    const input = createTableInput(stage.prefix);
    const attribute = (name: string): Attribute => {
      const definition = input.AttributeDefinitions?.find((a) => a.AttributeName === name);
      if (!definition) throw new Error(`createTableInput has no attribute definition for ${name}`);
      const type = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY }[definition.AttributeType ?? 'S'];
      if (!type) throw new Error(`unsupported attribute type ${definition.AttributeType} of ${name}`);
      return { name, type };
    };
    const keyOf = (schema: typeof input.KeySchema, kind: 'HASH' | 'RANGE'): Attribute | undefined => {
      const element = schema?.find((k) => k.KeyType === kind);
      return element?.AttributeName ? attribute(element.AttributeName) : undefined;
    };
    const partitionKey = keyOf(input.KeySchema, 'HASH');
    if (!partitionKey) throw new Error('createTableInput has no partition key');
    if (input.BillingMode !== 'PAY_PER_REQUEST') throw new Error('the stack expects an on-demand table');

    this.table = new Table(this, 'Table', {
      tableName: input.TableName,
      partitionKey,
      sortKey: keyOf(input.KeySchema, 'RANGE'),
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Idempotency records, rate-limit windows and expiring authorizations carry `ttl` (epoch seconds).
      timeToLiveAttribute: TABLE.ttlAttribute,
      deletionProtection: stage.deletionProtection,
      removalPolicy: stage.removalPolicy,
      ...(props.stream ? { stream: props.stream } : {}),
    });
    for (const index of input.GlobalSecondaryIndexes ?? []) {
      if (!index.IndexName) throw new Error('the stack expects named GSIs');
      const projection = index.Projection?.ProjectionType;
      if (projection !== 'ALL' && projection !== 'INCLUDE') throw new Error(`index ${index.IndexName}: unsupported projection ${projection}`);
      const indexPartitionKey = keyOf(index.KeySchema, 'HASH');
      if (!indexPartitionKey) throw new Error(`index ${index.IndexName} has no partition key`);
      this.table.addGlobalSecondaryIndex({
        indexName: index.IndexName,
        partitionKey: indexPartitionKey,
        sortKey: keyOf(index.KeySchema, 'RANGE'),
        ...(projection === 'ALL'
          ? { projectionType: ProjectionType.ALL }
          : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: index.Projection?.NonKeyAttributes ?? [] }),
      });
    }
  }

  /**
   * Exactly these item actions on the table and its indexes, each index by name (no Scan, no
   * BatchWriteItem, no DescribeTable: what grantReadWriteData would add, and no private index
   * unless given), and the table key's use through DynamoDB only (`kms:ViaService`): the key
   * encrypts the table, no function encrypts anything with it.
   */
  grantItemActions(
    role: IRole,
    actions: readonly TableAction[],
    options: { updatesOnly?: readonly string[]; privateIndexes?: readonly PrivateIndex[] } = {},
  ): void {
    const resources = [this.table.tableArn, ...queryableIndexes(options.privateIndexes).map((name) => `${this.table.tableArn}/index/${name}`)];
    const { updatesOnly } = options;
    const unconditioned = updatesOnly ? actions.filter((a) => a !== 'UpdateItem') : actions;
    role.addToPrincipalPolicy(new PolicyStatement({ actions: unconditioned.map((a) => `dynamodb:${a}`), resources }));
    if (updatesOnly && actions.includes('UpdateItem')) {
      // Updates only of the items whose partition keys match (a read-only route: its counters).
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['dynamodb:UpdateItem'],
          resources: [this.table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...updatesOnly] } },
        }),
      );
    }
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        resources: [this.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }

  /**
   * CloudWatch Logs encrypts a log group with a customer key only if the key policy lets the
   * regional Logs service use it; the condition keeps that to this stage's log groups.
   */
  private allowLogGroups(stage: StageConfig): void {
    const stack = Stack.of(this);
    this.dataKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisStagesLogGroups',
        principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        // In a key policy `*` is the key itself.
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': logGroupNamePatterns(stage).map((pattern) =>
              stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: pattern, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
            ),
          },
        },
      }),
    );
  }
}

/** Step Functions' own prefix for the log groups of state machines (vended logs: no per-group resource policy). */
export const STATE_MACHINE_LOG_GROUP_PREFIX = '/aws/vendedlogs/states/';

/** The log groups of a stage: one per function, the API's access log, one per state machine, and the WAF's (edge.ts). */
export function logGroupNamePatterns(stage: StageConfig): string[] {
  return [
    `/aws/lambda/${stage.prefix}-*`,
    `/aws/apigateway/${stage.prefix}-*`,
    `${STATE_MACHINE_LOG_GROUP_PREFIX}${stage.prefix}-*`,
    wafLogGroupName(stage),
  ];
}

