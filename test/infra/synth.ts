import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { CheckoutAssets } from '../../shared/checkout/assets.ts';
import type { OpenApiDocument } from '../../shared/http/openapi-document.ts';
import type { DocsSite } from '../../shared/docs/site.ts';
import { PaygateStack, type PaygateStackProps } from '../../lib/aws/paygate-stack.ts';
import { EDGE_REGION } from '../../lib/aws/edge.ts';
import { stageConfig, withEdgeOptions, type StageName } from '../../lib/aws/stage.ts';

export interface Synthesized {
  stack: PaygateStack;
  template: Template;
  /** The cdk-nag AwsSolutions errors left unsuppressed. */
  nagErrors: string[];
}

/**
 * Synthesizes a stage as `cdk synth` does, with the AwsSolutions checks. `bundle: false` skips
 * esbuild (the assets are placeholders): for assertions that do not look at the code. `context`
 * holds what `-c` would give (`edge`, `edgeRateLimit`); a stage with an edge is put in its region,
 * as bin/cdk.ts does.
 */
export function synthesize(
  stage: StageName,
  options: { bundle: boolean; context?: Record<string, string>; props?: Partial<PaygateStackProps> },
): Synthesized {
  const app = new App(options.bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  const config = withEdgeOptions(stageConfig(stage), (name) => options.context?.[name]);
  const stack = new PaygateStack(app, `paygate-${stage}`, {
    stage: config,
    checkoutAssets: PLACEHOLDER_CHECKOUT_ASSETS,
    openApiDocument: PLACEHOLDER_OPENAPI_DOCUMENT,
    docsSite: PLACEHOLDER_DOCS_SITE,
    ...(config.edge.enabled ? { env: { region: EDGE_REGION } } : {}),
    ...options.props,
  });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  // One synthesis for both the template and the findings (Annotations.fromStack would synthesize again).
  const artifact = app.synth().getStackArtifact(stack.artifactId);
  const template = Template.fromJSON(artifact.template as Record<string, unknown>);
  const nagErrors = artifact.messages
    .filter((m) => m.level === 'error' && /AwsSolutions-/.test(String(m.entry.data)))
    .map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`);
  return { stack, template, nagErrors };
}

/** Stands in for lib/checkout-build.ts's output where nothing is bundled. */
export const PLACEHOLDER_CHECKOUT_ASSETS: CheckoutAssets = { script: '/* checkout.js */', style: '/* checkout.css */' };

/** Stands in for lib/openapi/document.ts's output where nothing is bundled. */
export const PLACEHOLDER_OPENAPI_DOCUMENT: OpenApiDocument = { openapi: '3.1.0' };

/** Stands in for lib/docs-build.ts's output where nothing is bundled. */
export const PLACEHOLDER_DOCS_SITE: DocsSite = {
  pages: { reference: '<!doctype html>', guides: { 'quick-start': '', idempotency: '', webhooks: '', 'test-cards': '', errors: '' } },
  assets: {},
};

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnRole | CfnFunction);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
  /** Key policies (resource policies) name who the statement is for. */
  Principal?: unknown;
}

/** Every statement of the IAM policies attached to a role (by its logical id). */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p['Properties']['Roles']).includes(`"${roleLogicalId}"`))
    .flatMap((p) => p['Properties']['PolicyDocument']['Statement'] as Statement[]);
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
/** `{ "Fn::GetAtt": [id, "Arn"] }`, the way a grant names a resource of the stack. */
export const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
/** Whether a statement names a resource (directly or inside an Fn::Join) by its logical id. */
export const mentions = (s: Statement, id: string): boolean => JSON.stringify(s.Resource).includes(`"${id}"`);
