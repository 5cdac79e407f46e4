import { ArnFormat, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnLoggingConfiguration, CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { errors } from '../../shared/domain/errors.ts';
import { EDGE_SECRET_HEADER, VIEWER_IP_HEADER } from '../../shared/http/client-ip.ts';
import { suppressEdgeFindings } from './nag.ts';
import type { StageConfig } from './stage.ts';

/** A web ACL for CloudFront (scope CLOUDFRONT) can be created in this region only. */
export const EDGE_REGION = 'us-east-1';

/** The log group of the WAF's log: WAF delivers only to groups whose name starts `aws-waf-logs-`. */
export const wafLogGroupName = (stage: StageConfig): string => `aws-waf-logs-${stage.prefix}`;

/**
 * The viewer-request function: names the viewer's address in VIEWER_IP_HEADER, replacing whatever
 * the viewer sent under that name. (The managed origin request policy that leaves out Host, which
 * execute-api needs to be its own, forwards no CloudFront-Viewer-Address; a custom policy cannot
 * both add it and forward Authorization without Host.)
 */
export const VIEWER_IP_FUNCTION_CODE = `function handler(event) {
  var request = event.request;
  request.headers['${VIEWER_IP_HEADER}'] = { value: event.viewer.ip };
  return request;
}`;

/**
 * The rules of the common rule set the WAF counts instead of blocking: each would refuse requests
 * the API accepts.
 */
export const COUNTED_COMMON_RULES = [
  // Blocks bodies over 8 KB; the API takes up to 64 KiB and answers 413 above that itself.
  'SizeRestrictions_BODY',
  // API.md requires no User-Agent: a merchant's server-side HTTP client may send none.
  'NoUserAgent_HEADER',
  // Blocks URLs holding an IPv4 address in a body: webhook and redirect URLs may be public IP literals.
  'GenericRFI_BODY',
] as const;

export interface PaygateEdgeProps {
  stage: StageConfig;
  httpApi: HttpApi;
  /** Encrypts the WAF's log group. */
  logKey: IKey;
}

/**
 * CloudFront in front of the HTTP API (which cannot take a WAF itself), with an AWS WAF web ACL:
 * a rate-based rule per client IP, then AWS managed rule groups. Nothing is cached; every method,
 * header but Host, and the query string reach the API, over HTTPS only. Each request CloudFront
 * forwards carries the edge secret and the viewer's address (shared/http/client-ip.ts).
 */
export class PaygateEdge extends Construct {
  readonly distribution: Distribution;
  readonly webAcl: CfnWebACL;
  readonly originSecret: Secret;
  readonly viewerIpFunction: CloudFrontFunction;
  readonly wafLogs: LogGroup;
  /** `https://<distribution>.cloudfront.net`: the URL merchants and customers use. */
  readonly publicUrl: string;
  /** What each route's function needs to trust VIEWER_IP_HEADER on the requests that came through. */
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: PaygateEdgeProps) {
    super(scope, id);
    const { stage } = props;
    const stack = Stack.of(this);
    if (Token.isUnresolved(stack.region) || stack.region !== EDGE_REGION) {
      throw new Error(
        `the edge (CloudFront with AWS WAF) needs the stack in ${EDGE_REGION}, where a CLOUDFRONT web ACL is made (stack region: ${Token.isUnresolved(stack.region) ? 'not set' : stack.region}): deploy with AWS_REGION=${EDGE_REGION}, or synth with -c edge=off`,
      );
    }

    // Generated at deploy time: the template holds only its reference, which CloudFormation
    // resolves into the distribution's origin header and the functions' environment.
    this.originSecret = new Secret(this, 'OriginSecret', {
      description: `Paygate ${stage.name}: the header CloudFront adds to every request it forwards to the API`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: stage.removalPolicy,
    });
    const secretValue = this.originSecret.secretValue.unsafeUnwrap();

    this.viewerIpFunction = new CloudFrontFunction(this, 'ViewerIp', {
      functionName: `${stage.prefix}-viewer-ip`,
      comment: `Paygate ${stage.name}: puts the viewer address in ${VIEWER_IP_HEADER}`,
      code: FunctionCode.fromInline(VIEWER_IP_FUNCTION_CODE),
      runtime: FunctionRuntime.JS_2_0,
    });

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: `${stage.prefix}-edge`,
      description: `Paygate ${stage.name}: at most ${stage.edge.requestsPerIpPer5Minutes} requests per client IP per 5 minutes, then AWS managed rules`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${stage.prefix}-edge`),
      customResponseBodies: {
        'rate-limited': { contentType: 'APPLICATION_JSON', content: JSON.stringify(errors.rateLimited(RATE_LIMITED_RETRY_AFTER_SECONDS).toBody()) },
      },
      rules: [
        {
          // First, so that every request of a flood is counted, whatever a later rule makes of it.
          name: 'rate-per-client-ip',
          priority: 0,
          statement: { rateBasedStatement: { limit: stage.edge.requestsPerIpPer5Minutes, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          // The contract's 429, with Retry-After, so that clients back off as they do for the functions' own limits.
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: 'rate-limited',
                responseHeaders: [{ name: 'retry-after', value: String(RATE_LIMITED_RETRY_AFTER_SECONDS) }],
              },
            },
          },
          visibilityConfig: visibility(`${stage.prefix}-edge-rate-per-client-ip`),
        },
        managedRuleGroup('AWSManagedRulesAmazonIpReputationList', 1, stage),
        managedRuleGroup('AWSManagedRulesKnownBadInputsRuleSet', 2, stage),
        managedRuleGroup('AWSManagedRulesCommonRuleSet', 3, stage, COUNTED_COMMON_RULES),
      ],
    });

    this.wafLogs = new LogGroup(this, 'WafLogs', {
      logGroupName: wafLogGroupName(stage),
      retention: stage.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: stage.removalPolicy,
    });
    const logging = new CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the group's ARN without the `:*` of its Arn attribute.
      logDestinationConfigs: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: wafLogGroupName(stage), arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      // Secrets travel in these (API keys, client secrets in the checkout's query string); WAF logs no body.
      redactedFields: [{ queryString: {} }, { singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'x-api-key' } }, { singleHeader: { Name: 'x-client-secret' } }],
      // Only what a rule blocked or counted: who is being limited, at the cost of those requests alone.
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
          },
        ],
      },
    });
    logging.node.addDependency(this.wafLogs);

    // https://<id>.execute-api.<region>.amazonaws.com -> its host name.
    const apiHost = Fn.select(2, Fn.split('/', props.httpApi.apiEndpoint));
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Paygate ${stage.name}: the API behind AWS WAF`,
      webAclId: this.webAcl.attrArn,
      // IPv4 only, as the API's own endpoint: an IPv6 client holds a /64 of addresses, a fresh
      // one per request if it likes, and the WAF and the functions count per address.
      enableIpv6: false,
      defaultBehavior: {
        origin: new HttpOrigin(apiHost, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
          // CloudFront replaces a viewer's header of the same name with this one.
          customHeaders: { [EDGE_SECRET_HEADER]: secretValue },
        }),
        allowedMethods: AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        // Every answer is a merchant's own (or a customer's): nothing may be served from a cache.
        cachePolicy: CachePolicy.CACHING_DISABLED,
        // Every viewer header (Authorization included) and the query string; not Host, which
        // execute-api needs to be its own name.
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: false,
        functionAssociations: [{ function: this.viewerIpFunction, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      // CloudFront caches error answers for 10 s by default, whatever the cache policy, keyed on
      // the path alone here: one merchant's 400 or 503 would be served to the next caller.
      errorResponses: CACHED_ERROR_STATUSES.map((httpStatus) => ({ httpStatus, ttl: Duration.seconds(0) })),
    });
    suppressEdgeFindings(this.distribution, this.originSecret);

    this.publicUrl = `https://${this.distribution.distributionDomainName}`;
    this.environment = { PAYGATE_EDGE_ORIGIN_SECRET: secretValue };
  }
}

/** The error statuses CloudFront caches (416 it never caches). */
export const CACHED_ERROR_STATUSES = [400, 403, 404, 405, 414, 500, 501, 502, 503, 504] as const;

/** How long a client over the WAF's rate is told to wait: WAF looks again about every minute. */
const RATE_LIMITED_RETRY_AFTER_SECONDS = 60;

function visibility(metricName: string): CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true };
}

function managedRuleGroup(name: string, priority: number, stage: StageConfig, countedRules: readonly string[] = []): CfnWebACL.RuleProperty {
  return {
    name: `aws-${name}`,
    priority,
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name,
        ...(countedRules.length > 0 ? { ruleActionOverrides: countedRules.map((rule) => ({ name: rule, actionToUse: { count: {} } })) } : {}),
      },
    },
    overrideAction: { none: {} },
    visibilityConfig: visibility(`${stage.prefix}-edge-${name}`),
  };
}
