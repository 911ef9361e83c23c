import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/telemetryNames.js';
import { acknowledgeWildcards, XRAY_WRITE } from './nag.js';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where a handler module lives, relative to the project root: what CDK bundles and the local runner imports. */
export function handlerEntry(name: string): string {
  return join(PROJECT_ROOT, 'functions', 'handlers', `${name}.ts`);
}

export interface HandlerFunctionProps {
  /** File name under functions/handlers/, without extension. */
  handlerName: string;
  description: string;
  timeout: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  reservedConcurrentExecutions?: number;
  /** CloudWatch Logs retention of the function's log group; default one month. */
  logRetention?: RetentionDays;
}

/**
 * Every Lambda of the app: Node 24 on arm64, ESM bundle built by local esbuild (no Docker),
 * JSON logs with a bounded retention, X-Ray tracing and the Powertools metrics namespace. Records its handler name in metadata so the local
 * runner can bind state machine tasks to the same module.
 */
export class HandlerFunction extends NodejsFunction {
  readonly handlerName: string;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    // Our own role instead of the one with AWSLambdaBasicExecutionRole (logs on every log group of
    // the account): the function writes its own log group and nothing else. The group exists
    // before the function, so no logs:CreateLogGroup.
    const role = new Role(scope, `${id}ServiceRole`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.handlerName}: its own log group, plus the grants of its construct`,
    });
    logGroup.grantWrite(role);
    acknowledgeWildcards(role, XRAY_WRITE);
    super(scope, id, {
      entry: handlerEntry(props.handlerName),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 1024,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      // Powertools Tracer's captureLambdaHandler sends its segments through the X-Ray daemon of the runtime.
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        forceDockerBundling: false,
        // ESM bundles need a require shim for CommonJS dependencies.
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
      },
    });
    this.handlerName = props.handlerName;
    this.node.addMetadata('retention:handler', props.handlerName);
  }
}
