import { Duration, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CfnStage, CorsHttpMethod, HttpApi, HttpMethod, HttpRoute, HttpRouteKey, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../shared/routes.ts';
import { routeThrottle, type StageConfig, type Throttle } from './stage.ts';

export interface PaygateApiProps {
  stage: StageConfig;
  /** Origins allowed to call the browser routes (`/api/public/*`); `*` by default. */
  corsAllowOrigins: string[];
  logKey: IKey;
}

/**
 * The HTTP API (payload format 2.0, what the handlers take) and its one `$default` stage, with
 * stage-wide throttling and JSON access logs. Routes are added by the stack, one per route of
 * the route table.
 */
export class PaygateApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  private readonly iamAuthorizer = new HttpIamAuthorizer();
  private readonly stageConfig: StageConfig;

  constructor(scope: Construct, id: string, props: PaygateApiProps) {
    super(scope, id);
    const { stage } = props;
    this.stageConfig = stage;

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: stage.prefix,
      description: `Paygate ${stage.name}`,
      createDefaultStage: false,
      // HTTP APIs configure CORS for the whole API. Allowing neither credentials nor the
      // Authorization / X-API-Key headers keeps it to what the browser routes need: a browser
      // cannot send a secret API key or a SigV4 signature cross-origin (the preflight refuses).
      corsPreflight: {
        allowOrigins: props.corsAllowOrigins,
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST],
        allowHeaders: ['content-type', 'x-client-secret'],
        exposeHeaders: ['x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after'],
        allowCredentials: false,
        maxAge: Duration.hours(1),
      },
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${stage.prefix}-access`,
      retention: stage.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: stage.removalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: stage.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        // No query string and no header but the user agent: client secrets may travel in the query.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            method: '$context.httpMethod',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
            // The operator behind an IAM-authenticated (admin) call: the audit trail of onboarding.
            iamCaller: '$context.identity.userArn',
          }),
        ),
      },
    });
  }

  /** Routes a route of the table to its function; operator routes require SigV4 (IAM). */
  addRoute(routeName: string, route: RouteSpec, integration: HttpLambdaIntegration): HttpRoute {
    const [httpRoute] = this.httpApi.addRoutes({
      path: route.path,
      methods: [HttpMethod[route.method]],
      integration,
      authorizer: route.auth === 'admin' ? this.iamAuthorizer : undefined,
    });
    if (!httpRoute) throw new Error(`no route created for ${routeName}`);
    this.throttleRoute(`${route.method} ${route.path}`, httpRoute, routeThrottle(route, this.stageConfig));
    return httpRoute;
  }

  /**
   * A route's own throttle (`routeThrottle`), as the stage's RouteSettings: HTTP APIs throttle per
   * route, so an abusive client of one route class cannot use up the payment routes' share. The
   * stage is deployed after the route (a route setting must name an existing route).
   */
  private throttleRoute(routeKey: string, httpRoute: HttpRoute, throttle: Throttle | undefined): void {
    if (!throttle) return;
    const stage = this.stage.node.defaultChild as CfnStage;
    // RouteSettings is a JSON map in CloudFormation (typed `any`): its keys are written as CloudFormation spells them.
    const settings = (stage.routeSettings ?? {}) as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    stage.routeSettings = { ...settings, [routeKey]: { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit } };
    this.stage.node.addDependency(httpRoute);
  }

  /**
   * The `$default` route: what no route matches (any method, any path) goes to this integration
   * instead of API Gateway's own `{"message":"Not Found"}`. API Gateway matches every other route
   * key first, and answers CORS preflights itself.
   */
  addDefaultRoute(integration: HttpLambdaIntegration): HttpRoute {
    const route = new HttpRoute(this, 'DefaultRoute', { httpApi: this.httpApi, routeKey: HttpRouteKey.DEFAULT, integration });
    this.throttleRoute('$default', route, routeThrottle({ auth: 'none', rateLimit: null }, this.stageConfig));
    return route;
  }

  /** The execute-api ARN an operator's IAM policy grants `execute-api:Invoke` on. */
  operatorInvokeArn(): string {
    return Stack.of(this).formatArn({ service: 'execute-api', resource: this.httpApi.apiId, resourceName: '$default/*/api/admin/*' });
  }
}
