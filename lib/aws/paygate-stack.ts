import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { CheckoutAssets } from '../../shared/checkout/assets.ts';
import type { OpenApiDocument } from '../../shared/http/openapi-document.ts';
import type { DocsSite } from '../../shared/docs/site.ts';
import { ROUTES, type RouteSpec } from '../../shared/routes.ts';
import { PaygateApi } from './api.ts';
import { NOT_FOUND_HANDLER, type BundleConstants } from './bundling.ts';
import { PaygateEdge } from './edge.ts';
import { CardKeys } from './card-keys.ts';
import { COUNTER_KEYS, PaygateData, READING_ROUTE_ACTIONS, WRITING_ROUTE_ACTIONS } from './data.ts';
import { suppressDefaultRouteFindings, suppressRouteFindings, suppressTableGrantFindings } from './nag.ts';
import { PaygateOutbox } from './outbox.ts';
import { kebabCase, PaygateFunction } from './paygate-function.ts';
import type { StageConfig } from './stage.ts';

export interface PaygateStackProps extends StackProps {
  stage: StageConfig;
  /** The route table; ROUTES unless a test passes another. */
  routes?: Record<string, RouteSpec>;
  /** Optional settings of API.md set on every function (see settings.ts). */
  settings?: Record<string, string>;
  /**
   * The hosted checkout page's script and style, built by lib/checkout-build.ts
   * (`await buildCheckoutAssets()` in bin/cdk.ts): bundled into the function that serves them.
   */
  checkoutAssets: CheckoutAssets;
  /**
   * The OpenAPI document, built from the zod schemas by lib/openapi/document.ts
   * (`await openApiDocumentFromSources()` in bin/cdk.ts): bundled into the function that serves it.
   */
  openApiDocument: OpenApiDocument;
  /**
   * The pages of `/docs` and their assets, built by lib/docs-build.ts (`await buildDocsSite()` in
   * bin/cdk.ts): the pages bundled into the page functions, the assets into the asset function.
   */
  docsSite: DocsSite;
  /** Origins allowed to call the browser routes; `['*']` by default. */
  corsAllowOrigins?: string[];
  /**
   * For `sam local start-api` only: points the functions' DynamoDB client at DynamoDB Local
   * (AWS_ENDPOINT_URL_DYNAMODB). Refused on the live stage.
   */
  localDynamoDbEndpoint?: string;
}

/**
 * Paygate on AWS: one function per route of the route table behind an HTTP API, one DynamoDB
 * table, the data key and the card keys, and the outbox (outbox.ts: the table stream's relay,
 * the work queue and its worker, the delayed-work state machines, dead-letter queues, alarms),
 * and, when the stage has it, the edge (edge.ts: CloudFront with AWS WAF in front of the API).
 * Every function is a PaygateFunction: a role that starts empty, then one grant per resource
 * the function uses.
 */
export class PaygateStack extends Stack {
  readonly stage: StageConfig;
  readonly data: PaygateData;
  readonly cardKeys: CardKeys;
  readonly api: PaygateApi;
  readonly outbox: PaygateOutbox;
  /** CloudFront and the WAF in front of the API; null when the stage has no edge. */
  readonly edge: PaygateEdge | null;
  /** Where merchants and customers reach the API: the distribution's URL with an edge, the API's own without. */
  readonly publicUrl: string;
  /** The function of each route, by route name. */
  readonly functions: ReadonlyMap<string, PaygateFunction>;
  /** The function of the `$default` route: the contract's 404 for any unknown route. */
  readonly notFoundFunction: PaygateFunction;

  constructor(scope: Construct, id: string, props: PaygateStackProps) {
    super(scope, id, { description: `Paygate payment gateway (${props.stage.name} stage)`, ...props });
    const { stage } = props;
    this.stage = stage;
    if (props.localDynamoDbEndpoint !== undefined && stage.name === 'live') {
      throw new Error('localDynamoDbEndpoint is for sam local on the test stage only');
    }

    // The stream feeds the outbox relay; its filter reads the inserted item (NEW_IMAGE).
    this.data = new PaygateData(this, 'Data', { stage, stream: StreamViewType.NEW_IMAGE });
    this.cardKeys = new CardKeys(this, 'CardKeys', { stage });
    this.api = new PaygateApi(this, 'Api', {
      stage,
      corsAllowOrigins: props.corsAllowOrigins ?? ['*'],
      logKey: this.data.dataKey,
    });

    this.edge = stage.edge.enabled ? new PaygateEdge(this, 'Edge', { stage, httpApi: this.api.httpApi, logKey: this.data.dataKey }) : null;
    // Attributes of the API (and of the distribution, whose origin is the API) alone: no cycle with the routes.
    this.publicUrl = this.edge?.publicUrl ?? this.api.httpApi.apiEndpoint;

    const baseEnvironment: Record<string, string> = {
      ...props.settings,
      PAYGATE_STAGE: stage.name,
      PAYGATE_TABLE_NAME: this.data.table.tableName,
      PAYGATE_PUBLIC_URL: this.publicUrl,
      ...(props.localDynamoDbEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: props.localDynamoDbEndpoint } : {}),
    };
    // The routes read the client IP (per-IP limits); the workers and $default do not.
    const routeEnvironment: Record<string, string> = { ...baseEnvironment, ...this.edge?.environment };

    const constants: BundleConstants = { checkoutAssets: props.checkoutAssets, openApiDocument: props.openApiDocument, docsSite: props.docsSite };
    const functions = new Map<string, PaygateFunction>();
    for (const [routeName, route] of Object.entries(props.routes ?? ROUTES)) {
      const routeFunction = new PaygateFunction(this, `${routeName}Function`, {
        stage,
        name: kebabCase(routeName),
        handler: route.handler,
        description: `${route.method} ${route.path}`,
        environment: { ...routeEnvironment, ...this.cardKeys.environment(route.macs ?? []) },
        logKey: this.data.dataKey,
        constants,
      });
      if (usesTable(route)) {
        const { privateIndexes = [] }: RouteSpec = route;
        if (route.readsOnly) this.data.grantItemActions(routeFunction.role, READING_ROUTE_ACTIONS, { updatesOnly: COUNTER_KEYS, privateIndexes });
        else this.data.grantItemActions(routeFunction.role, WRITING_ROUTE_ACTIONS, { privateIndexes });
        suppressTableGrantFindings(routeFunction.role);
      } else if (route.probesStore) {
        grantHealthProbe(routeFunction.role, this.data);
      }
      this.cardKeys.grant(routeFunction.role, route.macs ?? []);

      const httpRoute = this.api.addRoute(routeName, route, new HttpLambdaIntegration(`${routeName}Integration`, routeFunction.function));
      suppressRouteFindings(httpRoute, route);
      functions.set(routeName, routeFunction);
    }
    this.functions = functions;

    // Like health: no table, no key, nothing but its log group.
    this.notFoundFunction = new PaygateFunction(this, 'notFoundFunction', {
      stage,
      name: 'not-found',
      handler: NOT_FOUND_HANDLER,
      description: '$default (any unknown route): 404',
      environment: baseEnvironment,
      logKey: this.data.dataKey,
      constants,
    });
    suppressDefaultRouteFindings(this.api.addDefaultRoute(new HttpLambdaIntegration('notFoundIntegration', this.notFoundFunction.function)));

    this.outbox = new PaygateOutbox(this, 'Outbox', { stage, data: this.data, cardKeys: this.cardKeys, environment: baseEnvironment, constants });

    new CfnOutput(this, 'ApiUrl', {
      description: this.edge ? "The API's own endpoint, without the WAF: for operators' SigV4 calls (CloudFront would change the Host they sign)" : 'Base URL of the API',
      value: this.api.httpApi.apiEndpoint,
    });
    new CfnOutput(this, 'PublicUrl', { description: 'Where merchants and customers call the API (the functions’ PAYGATE_PUBLIC_URL)', value: this.publicUrl });
    if (this.edge) {
      new CfnOutput(this, 'DistributionDomainName', { description: 'The CloudFront distribution in front of the API', value: this.edge.distribution.distributionDomainName });
      new CfnOutput(this, 'EdgeWebAclArn', { description: 'The WAF web ACL of the distribution', value: this.edge.webAcl.attrArn });
    }
    new CfnOutput(this, 'OperatorInvokeArn', {
      description: 'Grant execute-api:Invoke on this ARN to the operators who onboard merchants',
      value: this.api.operatorInvokeArn(),
    });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'WorkQueueUrl', { description: 'The outbox work queue (the worker consumes it)', value: this.outbox.workQueue.queueUrl });
    new CfnOutput(this, 'WorkDeadLetterQueueUrl', {
      description: 'Work that failed 5 times: read, fix, redrive to the work queue',
      value: this.outbox.workDeadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'RelayDeadLetterQueueUrl', {
      description: 'Stream batches the relay gave up on (shard and sequence numbers)',
      value: this.outbox.relayDeadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'OutboxAlarms', {
      description: 'CloudWatch alarms of the outbox (no action attached: subscribe them)',
      value: this.outbox.alarms.map((alarm) => alarm.alarmName).join(','),
    });
  }
}

/**
 * The health check reads one item, `HEALTH` (shared/adapters/dynamodb/table-access.ts), which is
 * never written: GetItem on that partition key alone, and Decrypt on the table's key through
 * DynamoDB only (the table is encrypted with it).
 */
function grantHealthProbe(role: IRole, data: PaygateData): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:GetItem'],
      resources: [data.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['HEALTH'] } },
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [data.dataKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(role).region}.amazonaws.com` } },
    }),
  );
}

/**
 * Which functions read and write the table: every authenticated route (API keys and client
 * secrets are looked up there, operators create merchants) and every rate-limited route (the
 * counters live there). The others get no DynamoDB permission, but for health's one read.
 */
export function usesTable(route: RouteSpec): boolean {
  return route.auth !== 'none' || route.rateLimit !== null;
}
