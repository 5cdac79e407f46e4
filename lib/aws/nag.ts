import type { HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Role } from 'aws-cdk-lib/aws-iam';
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
      return route.rateLimit === null
        ? `${route.method} ${route.path} is public by contract (API.md): a liveness probe that reads no data.`
        : `${route.method} ${route.path} is public by contract (API.md): what it serves is addressed by an unguessable id, and the function rate-limits it per client IP.`;
  }
}

/** APIG4 (no API Gateway authorization) on the routes whose authentication is the function's own. */
export function suppressRouteFindings(httpRoute: HttpRoute, route: RouteSpec): void {
  const reason = authenticationReason(route);
  if (reason === null) return;
  NagSuppressions.addResourceSuppressions(httpRoute, [{ id: 'AwsSolutions-APIG4', reason }]);
}

/** IAM5 on what grantReadWriteData gives a function for the CMK-encrypted table. */
export function suppressTableGrantFindings(role: Role): void {
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "grantReadWriteData names the table's indexes as <table>/index/*: they are exactly this table's GSIs (gsi1, gsi2 of shared/adapters/dynamodb/table.ts), nothing else.",
        appliesTo: [{ regex: '/^Resource::<.*Table[0-9A-F]{8}\\.Arn>\\/index\\/\\*$/g' }],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "kms:ReEncrypt* and kms:GenerateDataKey* are what grantReadWriteData gives on the table's own key (the data key) so that DynamoDB can encrypt and decrypt items for the function; the resource is that one key ARN.",
        appliesTo: ['Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*'],
      },
    ],
    true,
  );
}
