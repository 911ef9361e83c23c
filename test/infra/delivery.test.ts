import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENTBRIDGE_DETAIL_TYPES } from '../../functions/domain/delivery/sesEvents.js';
import { DataTables } from '../../infra/constructs/dataTables.js';
import { Delivery } from '../../infra/constructs/delivery.js';
import { testStack } from '../support/testStack.js';

type Resource = { Properties: Record<string, unknown>; Metadata?: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

let template: Template;

function logicalId(prefix: string): string {
  const ids = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) =>
    id.startsWith(prefix),
  );
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

/** Every IAM action granted to the role of the function with this logical id prefix. */
function actionsOf(functionPrefix: string): { actions: Set<string>; statements: Statement[] } {
  const fn = template.findResources('AWS::Lambda::Function')[logicalId(functionPrefix)] as Resource;
  const roleRef = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements: Statement[] = [];
  for (const p of Object.values(template.findResources('AWS::IAM::Policy')) as Resource[]) {
    const roles = p.Properties.Roles as { Ref: string }[];
    if (!roles.some((r) => r.Ref === roleRef)) continue;
    statements.push(...(p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  }
  return { actions: new Set(statements.flatMap((s) => [s.Action].flat())), statements };
}

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'DeliveryOnly', { env: { account: '111111111111', region: 'eu-west-1' } });
  const data = new DataTables(stack, 'Data');
  const keys = new Secret(stack, 'Keys');
  new Delivery(stack, 'Delivery', {
    environment: { ...data.environment(), UNSUBSCRIBE_KEYS_SECRET: 'keys' },
    tables: data.tables,
    unsubscribeKeys: keys,
  });
  template = Template.fromStack(stack);
});

describe('Delivery construct', () => {
  it('serves the unsubscribe handler behind a Function URL without auth (the signed token authorises)', () => {
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalId('DeliveryUnsubscribeFunction'), 'Arn'] },
    });
    const fn = template.findResources('AWS::Lambda::Function')[
      logicalId('DeliveryUnsubscribeFunction')
    ] as Resource;
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
  });

  it('gives the unsubscribe function suppression writes, the key secret and the preference centre reads, nothing else', () => {
    const { actions, statements } = actionsOf('DeliveryUnsubscribeFunction');
    expect(actions.has('dynamodb:PutItem')).toBe(true);
    expect(actions.has('secretsmanager:GetSecretValue')).toBe(true);
    expect([...actions].some((a) => a.startsWith('ses:'))).toBe(false);
    expect(actions.has('dynamodb:Query')).toBe(false);
    expect(actions.has('dynamodb:Scan')).toBe(false);
    const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    const on = (table: string) =>
      new Set(
        dynamo.filter((s) => JSON.stringify(s.Resource).includes(table)).flatMap((s) => [s.Action].flat()),
      );
    for (const s of dynamo)
      expect(JSON.stringify(s.Resource)).toMatch(/DataSuppression|DataCustomers|DataConfig/);
    expect(on('DataCustomers')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    expect(on('DataConfig')).toEqual(new Set(['dynamodb:GetItem']));
    expect(on('DataSuppression').has('dynamodb:BatchGetItem')).toBe(true);
  });

  it('routes every SES detail type on the default bus to the SES events function, with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ses'], 'detail-type': Object.keys(EVENTBRIDGE_DETAIL_TYPES) },
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId('DeliverySesEventsFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
        }),
      ],
    });
    const rule = Object.values(template.findResources('AWS::Events::Rule'))[0] as Resource;
    expect(rule.Properties.EventBusName).toBe('default');
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      Action: 'lambda:InvokeFunction',
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('retries failed SES event invocations (e.g. LedgerOutcomePending) and sends final failures to the dead-letter queue', () => {
    const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
    expect(queues).toHaveLength(1);
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId('DeliverySesEventsFunction') },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queues[0], 'Arn'] } } },
    });
    // The rule's dead-letter queue is the same queue.
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queues[0], 'Arn'] } } })],
    });
    // The on-failure destination is written with the function's own role.
    const { statements } = actionsOf('DeliverySesEventsFunction');
    const send = statements.filter((s) => [s.Action].flat().includes('sqs:SendMessage'));
    expect(send).toHaveLength(1);
    expect(send[0]!.Resource).toEqual({ 'Fn::GetAtt': [queues[0], 'Arn'] });
  });

  it('lets the SES events function write suppressions, ledger and config (markers, counters, parked) but not send mail', () => {
    const { actions, statements } = actionsOf('DeliverySesEventsFunction');
    for (const a of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'])
      expect(actions.has(a)).toBe(true);
    expect([...actions].some((a) => a.startsWith('ses:'))).toBe(false);
    expect(actions.has('secretsmanager:GetSecretValue')).toBe(false);
    const resources = JSON.stringify(statements.map((s) => s.Resource));
    for (const t of ['DataSuppression', 'DataLedger', 'DataConfig']) expect(resources).toContain(t);
    expect(resources).not.toContain('DataCustomers');
  });
});

describe('RetentionStack with delivery', () => {
  it('wires the stack secret and environment into the unsubscribe endpoint and exports its URL', () => {
    const stack = testStack('Full');
    const full = Template.fromStack(stack);
    full.resourceCountIs('AWS::Lambda::Url', 1);
    const fns = Object.values(full.findResources('AWS::Lambda::Function')) as Resource[];
    const unsub = fns.find((f) => String(f.Properties.Description).startsWith('Unsubscribe endpoint'));
    expect(unsub).toBeDefined();
    const env = (unsub!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.UNSUBSCRIBE_KEYS_SECRET).toBeDefined();
    expect(env.SUPPRESSION_TABLE).toBeDefined();
    expect(Object.keys(full.findOutputs('*')).some((k) => k.includes('UnsubscribeFunctionUrl'))).toBe(true);
  });
});
