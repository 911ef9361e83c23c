import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { LOCAL_ACCOUNT, parseDeployConfig } from '../../infra/config/deployConfig.js';
import { dev } from '../../infra/config/dev.js';
import { HandlerFunction } from '../../infra/constructs/handlerFunction.js';
import { RetentionStack } from '../../infra/retentionStack.js';

export interface LocalDefinition {
  /** The ASL exactly as the CDK app synthesizes it, with Lambda ARNs made concrete. */
  definition: Record<string, unknown>;
  /** Task state name → handler module name under functions/handlers/. */
  taskHandlers: Record<string, string>;
  /** Handler module name → the Lambda timeout CDK configures (ms), for the local context. */
  timeouts: Record<string, number>;
}

/**
 * Builds the CDK stack in memory (no bundling, no credentials) and resolves the state machine
 * definition from the construct, replacing the CloudFormation tokens of Lambda ARNs.
 */
export function resolveLocalDefinition(): LocalDefinition {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  // The dev stage (local, never deployable) at the local runtime's size; only the definition is used.
  const config = parseDeployConfig(
    { ...dev, totalSegments: 4, maxSendRate: 1000 },
    'cli/local/definition.ts (infra/config/dev.ts)',
  );
  const stack = new RetentionStack(app, 'RetentionLocal', {
    env: { account: LOCAL_ACCOUNT, region: 'us-east-1' },
    config,
  });
  const handlerByLogicalId = new Map<string, string>();
  const timeouts: Record<string, number> = {};
  for (const child of stack.node.findAll()) {
    if (child instanceof HandlerFunction) {
      const cfn = child.node.defaultChild as CfnFunction;
      handlerByLogicalId.set(Stack.of(child).getLogicalId(cfn), child.handlerName);
      timeouts[child.handlerName] = (Number(cfn.timeout) || 3) * 1000;
    }
  }
  const sm = stack.nightly.stateMachine.node.defaultChild as CfnStateMachine;
  const resolved = stack.resolve(sm.definitionString) as unknown;
  const text = flatten(resolved, handlerByLogicalId);
  const definition = JSON.parse(text) as Record<string, unknown>;
  const taskHandlers: Record<string, string> = {};
  collectTasks(definition, taskHandlers);
  return { definition, taskHandlers, timeouts };
}

function flatten(node: unknown, handlers: Map<string, string>): string {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    if ('Fn::Join' in obj) {
      const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => flatten(p, handlers)).join(sep);
    }
    if ('Fn::GetAtt' in obj) {
      const [logicalId] = obj['Fn::GetAtt'] as [string, string];
      const handler = handlers.get(logicalId);
      if (!handler) throw new Error(`state machine references ${logicalId}, which is not a HandlerFunction`);
      return `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${handler}`;
    }
    if ('Ref' in obj) {
      const ref = String(obj.Ref);
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::Region') return 'us-east-1';
      if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    }
  }
  throw new Error(`unexpected token in state machine definition: ${JSON.stringify(node)}`);
}

function collectTasks(machine: Record<string, unknown>, out: Record<string, string>): void {
  const states = (machine.States ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task' && typeof state.Resource === 'string') {
      const match = /:function:([A-Za-z0-9_-]+)$/.exec(state.Resource);
      if (!match?.[1]) throw new Error(`task ${name} does not invoke a project Lambda: ${state.Resource}`);
      out[name] = match[1];
    }
    const processor = (state.ItemProcessor ?? state.Iterator) as Record<string, unknown> | undefined;
    if (processor) collectTasks(processor, out);
    for (const branch of (state.Branches ?? []) as Record<string, unknown>[]) collectTasks(branch, out);
  }
}
