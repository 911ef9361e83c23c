import { Aspects, CfnResource, type IAspect, Stack, Validations } from 'aws-cdk-lib';
import { CfnPolicy } from 'aws-cdk-lib/aws-iam';
// cdk-nag's own rendering of a resource in a finding id (`Resource::<Table.Arn>/index/*`): an
// acknowledgement must name the finding exactly as the rule prints it.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * One kind of wildcard resource that AWS or CDK requires, and why it is acceptable. A policy
 * statement's wildcard resources are acknowledged only when every action of the statement is in
 * `actions` (when given) and the resource, as cdk-nag prints it, matches `resource` (when given).
 */
export interface WildcardAcknowledgment {
  actions?: readonly string[];
  resource?: RegExp;
  reason: string;
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
}

/**
 * Acknowledges the AwsSolutions-IAM5 findings of the IAM policies under `scope` that match one of
 * `acks`, resource by resource. It runs as an aspect, when every grant has been added: the
 * statements are only final then. A wildcard resource that also appears in a statement that no
 * acknowledgement covers stays a finding (cdk-nag's ids are per policy, not per statement).
 */
export function acknowledgeWildcards(scope: IConstruct, ...acks: WildcardAcknowledgment[]): void {
  const existing = registered.get(scope);
  if (existing) existing.push(...acks);
  else {
    registered.set(scope, [...acks]);
    Aspects.of(scope).add(ACKNOWLEDGER);
  }
}

/** Acknowledgements by the scope they were made on; a policy gets those of all its ancestors. */
const registered = new WeakMap<IConstruct, WildcardAcknowledgment[]>();
const visited = new WeakSet<IConstruct>();

const ACKNOWLEDGER: IAspect = {
  visit(node: IConstruct): void {
    if (!(node instanceof CfnPolicy) || visited.has(node)) return;
    visited.add(node);
    const acks: WildcardAcknowledgment[] = [];
    for (let c: IConstruct | undefined = node; c; c = c.node.scope) acks.push(...(registered.get(c) ?? []));
    const document = Stack.of(node).resolve(node.policyDocument) as { Statement?: Statement[] };
    const covered = new Map<string, string>();
    const uncovered = new Set<string>();
    for (const statement of document.Statement ?? []) {
      if (statement.Effect !== 'Allow') continue;
      const actions = [statement.Action ?? []].flat();
      for (const resource of [statement.Resource ?? []].flat()) {
        const flat = flattenCfnReference(resource);
        if (!flat.includes('*')) continue;
        const ack = acks.find(
          (a) =>
            (!a.actions || actions.every((action) => a.actions?.includes(action))) &&
            (!a.resource || a.resource.test(flat)),
        );
        const before = covered.get(flat);
        if (ack) covered.set(flat, before && before !== ack.reason ? `${before}; ${ack.reason}` : ack.reason);
        else uncovered.add(flat);
      }
    }
    for (const [flat, reason] of covered) {
      if (uncovered.has(flat)) continue;
      Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
    }
  },
};

/**
 * An acknowledgement of exactly this wildcard resource ARN (a token string such as
 * `${table.tableArn}/index/*` or a bucket's object prefix), matched as cdk-nag prints it.
 */
export function exactResource(scope: IConstruct, arn: string, reason: string): WildcardAcknowledgment {
  const flat = flattenCfnReference(Stack.of(scope).resolve(arn));
  return { resource: new RegExp(`^${flat.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), reason };
}

/** Acknowledges one cdk-nag rule on one resource (the construct or its default child), with the reason. */
export function acknowledgeRule(resource: IConstruct, id: string, reason: string): void {
  const target = resource instanceof CfnResource ? resource : (resource.node.defaultChild ?? resource);
  Validations.of(target).acknowledge({ id, reason });
}

/** X-Ray's write actions have no resource types: `Tracing.ACTIVE` grants them on "*". */
export const XRAY_WRITE: WildcardAcknowledgment = {
  actions: [
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
  ],
  resource: /^\*$/,
  reason:
    'X-Ray PutTraceSegments, PutTelemetryRecords and the sampling reads support no resource-level permissions; AWS requires Resource "*" for tracing',
};
