import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { handlerDefine, handlerEntry, LAMBDA_BUNDLING, PROJECT_ROOT, type BundleConstants } from './bundling.ts';
import type { StageConfig } from './stage.ts';

export interface PaygateFunctionProps {
  stage: StageConfig;
  /** Kebab-case; the function is `<stage prefix>-<name>` and logs to `/aws/lambda/<that>`. */
  name: string;
  /** Module under functions/ exporting `handler` (`payments/authorize-payment`). */
  handler: string;
  description: string;
  environment: Record<string, string>;
  /** Encrypts the function's log group. */
  logKey: IKey;
  /** The build-time constants of the bundles (the checkout assets, the OpenAPI document); handlerDefine picks what this handler gets. */
  constants: BundleConstants;
  timeout?: Duration;
}

/**
 * A Paygate Lambda function: bundled with the project's esbuild settings (bundling.ts), with a
 * log group and a role of its own. The role starts empty (no managed policy): writing to its log
 * group is its only permission until the stack grants it exactly what it uses.
 */
export class PaygateFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PaygateFunctionProps) {
    super(scope, id);
    const { stage } = props;
    const functionName = `${stage.prefix}-${props.name}`;

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: stage.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: stage.removalPolicy,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${functionName}: ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      functionName,
      description: `${props.description} (functions/${props.handler}.ts)`,
      entry: handlerEntry(props.handler),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambdaRuntime(),
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        ...props.environment,
        // Stack traces name the TypeScript files and lines (the bundles carry linked source maps).
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: `node${LAMBDA_BUNDLING.nodeMajor}`,
        minify: LAMBDA_BUNDLING.minify,
        sourceMap: LAMBDA_BUNDLING.sourceMap,
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        banner: LAMBDA_BUNDLING.banner,
        // Local bundling passes each define to esbuild as one argument (no shell): JSON is safe there.
        define: handlerDefine(props.handler, props.constants),
        bundleAwsSDK: LAMBDA_BUNDLING.bundleAwsSdk,
        externalModules: LAMBDA_BUNDLING.bundleAwsSdk ? [] : [...LAMBDA_BUNDLING.awsSdkModules],
        // esbuild is a dev dependency: bundle on this machine, never in Docker.
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
      },
    });
  }
}

/** The Lambda runtime of LAMBDA_BUNDLING.nodeMajor (`nodejs24.x`). */
export function lambdaRuntime(): Runtime {
  const runtime = Runtime.ALL.find((r) => r.name === `nodejs${LAMBDA_BUNDLING.nodeMajor}.x`);
  if (!runtime) throw new Error(`aws-cdk-lib knows no nodejs${LAMBDA_BUNDLING.nodeMajor}.x runtime`);
  return runtime;
}

export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
