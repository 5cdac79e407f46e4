import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Construct } from 'constructs';
import { ROUTES, type RouteSpec } from '../../shared/routes.ts';
import { PaygateApi } from './api.ts';
import { CardKeys } from './card-keys.ts';
import { PaygateData } from './data.ts';
import { suppressRouteFindings, suppressTableGrantFindings } from './nag.ts';
import { kebabCase, PaygateFunction } from './paygate-function.ts';
import type { StageConfig } from './stage.ts';

export interface PaygateStackProps extends StackProps {
  stage: StageConfig;
  /** The route table; ROUTES unless a test passes another. */
  routes?: Record<string, RouteSpec>;
  /** Optional settings of API.md set on every function (see settings.ts). */
  settings?: Record<string, string>;
  /** Origins allowed to call the browser routes; `['*']` by default. */
  corsAllowOrigins?: string[];
  /**
   * For `sam local start-api` only: points the functions' DynamoDB client at DynamoDB Local
   * (AWS_ENDPOINT_URL_DYNAMODB). Refused on the live stage.
   */
  localDynamoDbEndpoint?: string;
}

/**
 * Paygate's payment core on AWS: one function per route of the route table behind an HTTP API,
 * one DynamoDB table, the data key and the card keys.
 *
 * Later parts (the webhook work queue and its workers, the expiry state machine) come as
 * constructs of their own, added here, that take `data` (table, with `stream` turned on for the
 * outbox relay, and data key) and `cardKeys`, and build their functions as PaygateFunction:
 * a role that starts empty, then one grant per resource the function uses.
 */
export class PaygateStack extends Stack {
  readonly stage: StageConfig;
  readonly data: PaygateData;
  readonly cardKeys: CardKeys;
  readonly api: PaygateApi;
  /** The function of each route, by route name. */
  readonly functions: ReadonlyMap<string, PaygateFunction>;

  constructor(scope: Construct, id: string, props: PaygateStackProps) {
    super(scope, id, { description: `Paygate payment gateway (${props.stage.name} stage)`, ...props });
    const { stage } = props;
    this.stage = stage;
    if (props.localDynamoDbEndpoint !== undefined && stage.name === 'live') {
      throw new Error('localDynamoDbEndpoint is for sam local on the test stage only');
    }

    this.data = new PaygateData(this, 'Data', { stage });
    this.cardKeys = new CardKeys(this, 'CardKeys', { stage });
    this.api = new PaygateApi(this, 'Api', {
      stage,
      corsAllowOrigins: props.corsAllowOrigins ?? ['*'],
      logKey: this.data.dataKey,
    });

    const baseEnvironment: Record<string, string> = {
      ...props.settings,
      PAYGATE_STAGE: stage.name,
      PAYGATE_TABLE_NAME: this.data.table.tableName,
      // The API's own endpoint: an attribute of the API alone, so no cycle with the routes.
      PAYGATE_PUBLIC_URL: this.api.httpApi.apiEndpoint,
      ...(props.localDynamoDbEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: props.localDynamoDbEndpoint } : {}),
    };

    const functions = new Map<string, PaygateFunction>();
    for (const [routeName, route] of Object.entries(props.routes ?? ROUTES)) {
      const routeFunction = new PaygateFunction(this, `${routeName}Function`, {
        stage,
        name: kebabCase(routeName),
        handler: route.handler,
        description: `${route.method} ${route.path}`,
        environment: { ...baseEnvironment, ...(route.cardAccess ? this.cardKeys.environment() : {}) },
        logKey: this.data.dataKey,
      });
      if (usesTable(route)) {
        this.data.table.grantReadWriteData(routeFunction.role);
        suppressTableGrantFindings(routeFunction.role);
      }
      if (route.cardAccess) this.cardKeys.grant(routeFunction.role, route.cardAccess);

      const httpRoute = this.api.addRoute(routeName, route, new HttpLambdaIntegration(`${routeName}Integration`, routeFunction.function));
      suppressRouteFindings(httpRoute, route);
      functions.set(routeName, routeFunction);
    }
    this.functions = functions;

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the API', value: this.api.httpApi.apiEndpoint });
    new CfnOutput(this, 'OperatorInvokeArn', {
      description: 'Grant execute-api:Invoke on this ARN to the operators who onboard merchants',
      value: this.api.operatorInvokeArn(),
    });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
  }
}

/**
 * Which functions read and write the table: every authenticated route (API keys and client
 * secrets are looked up there, operators create merchants) and every rate-limited route (the
 * counters live there). The others (health) get no DynamoDB permission at all.
 */
export function usesTable(route: RouteSpec): boolean {
  return route.auth !== 'none' || route.rateLimit !== null;
}
