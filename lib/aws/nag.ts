import type { HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Distribution } from 'aws-cdk-lib/aws-cloudfront';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import type { RouteSpec } from '../../shared/routes.ts';

/**
 * Every cdk-nag finding the stack accepts, each with its reason (the reasons are written into the
 * template's metadata, where a reviewer reads them). Everything else fails `cdk synth`.
 */

/** Why a route that API Gateway does not authorize is still authenticated (or public by contract). */
function authenticationReason(route: RouteSpec): string | null {
  switch (route.auth) {
    case 'admin':
      return null; // IAM (SigV4): nothing to suppress
    case 'api_key':
      return 'Merchants authenticate with their secret API key (API.md), checked inside the function: the sha256 of the key is looked up in DynamoDB, so a revoked key fails at once. An API Gateway authorizer would only repeat that lookup in a second Lambda per request.';
    case 'client_secret':
      return "Browser route authenticated by the payment intent's client secret (API.md), compared in constant time inside the function and rate-limited per client IP.";
    case 'none':
      if (route.probesStore) return `${route.method} ${route.path} is public by contract (API.md): a liveness probe that reads no data.`;
      return route.rateLimit === null
        ? `${route.method} ${route.path} is public by contract (API.md): the API reference, built into its function, holds no secret, and the function reads nothing.`
        : `${route.method} ${route.path} is public by contract (API.md): what it serves is addressed by an unguessable id, and the function rate-limits it per client IP.`;
  }
}

/** APIG4 (no API Gateway authorization) on the routes whose authentication is the function's own. */
export function suppressRouteFindings(httpRoute: HttpRoute, route: RouteSpec): void {
  const reason = authenticationReason(route);
  if (reason === null) return;
  NagSuppressions.addResourceSuppressions(httpRoute, [{ id: 'AwsSolutions-APIG4', reason }]);
}

/** APIG4 on the `$default` route, which answers 404 to whatever no route matches. */
export function suppressDefaultRouteFindings(httpRoute: HttpRoute): void {
  NagSuppressions.addResourceSuppressions(httpRoute, [
    {
      id: 'AwsSolutions-APIG4',
      reason:
        "The $default route only answers the contract's 404 (resource_not_found) for a method and path that no route matches; its function reads no data and holds no permission. Every authenticated route has its own route key, which API Gateway matches first (operator routes keep IAM).",
    },
  ]);
}

/** IAM5 on a function's item actions on the CMK-encrypted table (PaygateData.grantItemActions; its indexes are named one by one). */
export function suppressTableGrantFindings(role: Role): void {
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "kms:ReEncrypt* and kms:GenerateDataKey* on the table's own key (the data key), only through DynamoDB (kms:ViaService), so that DynamoDB can encrypt and decrypt items for the function; the resource is that one key ARN.",
        appliesTo: ['Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*'],
      },
    ],
    true,
  );
}

/** SQS3 on the relay's dead-letter queue: it is one, though not through a redrive policy. */
export function suppressRelayDeadLetterQueueFindings(queue: Queue): void {
  NagSuppressions.addResourceSuppressions(queue, [
    {
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is a dead-letter queue: the on-failure destination of the relay's table-stream event source mapping (Lambda writes the failed batch's shard and sequence range to it), which cdk-nag does not recognize as a DLQ. A dead-letter queue of a dead-letter queue would add nothing.",
    },
  ]);
}

/** IAM5 on dynamodb:ListStreams, which the relay's stream event source needs and which has no resource-level permission. */
export function suppressStreamReadFindings(role: Role): void {
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "dynamodb:ListStreams supports no resource-level permission (the IAM service authorization reference lists no resource for it), so it can only be granted on '*'; Lambda's DynamoDB event source needs it. It lists stream ARNs and reads no data: reading records (GetRecords, GetShardIterator, DescribeStream) is granted on this table's stream ARN only.",
        appliesTo: ['Resource::*'],
      },
    ],
    true,
  );
}

/** IAM5 on what Step Functions needs to deliver its logs and traces (no resource-level permission exists for them). */
export function suppressStateMachineRoleFindings(stateMachine: StateMachine): void {
  NagSuppressions.addResourceSuppressions(
    stateMachine.role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "Step Functions' logging to CloudWatch Logs (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) support no resource-level permission, so they are granted on '*', as the Step Functions documentation prescribes; both are what AwsSolutions-SF1 and SF2 ask for. The role's only other permission is sqs:SendMessage on the work queue.",
        appliesTo: ['Resource::*'],
      },
    ],
    true,
  );
}

/** What the edge (edge.ts) accepts of the CloudFront and Secrets Manager checks. */
export function suppressEdgeFindings(distribution: Distribution, originSecret: Secret): void {
  NagSuppressions.addResourceSuppressions(distribution, [
    {
      id: 'AwsSolutions-CFR1',
      reason:
        "Merchants' servers and their customers' browsers may be anywhere: a geo restriction would refuse payments by country, which is the merchant's decision, not the gateway's.",
    },
    {
      id: 'AwsSolutions-CFR3',
      reason:
        "CloudFront's standard logs record each request's query string, and the checkout page's client secrets travel there (the API's access log leaves the query out for that reason); they cannot leave out a field. Every request CloudFront forwards is in the API's access log (under the edge server's address), and the WAF logs each request a rule blocked or counted, with the client IP and with the query string and credential headers redacted.",
    },
    {
      id: 'AwsSolutions-CFR4',
      reason:
        "The distribution answers on its *.cloudfront.net name with CloudFront's default certificate, for which CloudFront sets the minimum protocol itself; TLSv1.2_2021 needs a custom domain with an ACM certificate in us-east-1, which the stage does not have. The origin side is TLS 1.2 only (CFR5).",
    },
  ]);
  NagSuppressions.addResourceSuppressions(originSecret, [
    {
      id: 'AwsSolutions-SMG4',
      reason:
        'CloudFormation resolves this value into the distribution and the functions at deploy time only, so a rotation in Secrets Manager would reach neither. It proves to the functions that a request came through CloudFront (to trust the client IP it names) and opens nothing else; it is replaced by replacing the secret (a new construct id) and deploying.',
    },
  ]);
}
