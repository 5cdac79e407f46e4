/** The CDK app: `npx cdk synth|deploy -c stage=test|live [-c edge=waf|off] [-c edgeRateLimit=N]`. */
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildCheckoutAssets } from '../lib/checkout-build.ts';
import { EDGE_REGION } from '../lib/aws/edge.ts';
import { openApiDocumentFromSources } from '../lib/openapi/document.ts';
import { buildDocsSite } from '../lib/docs-build.ts';
import { PaygateStack } from '../lib/aws/paygate-stack.ts';
import { pickSettings } from '../lib/aws/settings.ts';
import { stageConfig, withEdgeOptions } from '../lib/aws/stage.ts';

const app = new App();
const context = (name: string): unknown => app.node.tryGetContext(name);
const stage = withEdgeOptions(stageConfig(context('stage') ?? 'test'), context);
const corsOrigins = context('corsOrigins');
const localDynamoDbEndpoint = context('localDynamoDbEndpoint');
// The hosted checkout page's browser code and style, bundled into the function that serves them.
const checkoutAssets = await buildCheckoutAssets();
// The OpenAPI document, built here from the zod schemas, and bundled into the function that serves it.
const openApiDocument = await openApiDocumentFromSources();
// The API reference page, the guides and their assets (Redoc's bundle among them), bundled into the functions of /docs.
const docsSite = await buildDocsSite();

new PaygateStack(app, stage.prefix, {
  stackName: stage.prefix,
  stage,
  checkoutAssets,
  openApiDocument,
  docsSite,
  settings: pickSettings(context),
  ...(typeof corsOrigins === 'string' ? { corsAllowOrigins: corsOrigins.split(',').map((o) => o.trim()) } : {}),
  ...(typeof localDynamoDbEndpoint === 'string' ? { localDynamoDbEndpoint } : {}),
  // The account and region of the deploying credentials (CDK_DEFAULT_*); unset, the template is
  // environment-agnostic, but for the edge's region: the only one it can be deployed to (the stack
  // refuses any other).
  env: { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] ?? (stage.edge.enabled ? EDGE_REGION : undefined) },
  tags: { project: 'paygate', stage: stage.name },
});

// Every synth runs the AWS Solutions checks; an unsuppressed finding fails it with its reason.
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
