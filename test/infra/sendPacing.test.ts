import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { testStack } from '../support/testStack.js';

type Res = { Properties: Record<string, unknown> };
let template: Template;
let stack: ReturnType<typeof testStack>;

beforeAll(() => {
  // More segments than the Map's cap, at a rate that needs them all: the concurrency (40) is not
  // the segment count (64).
  stack = testStack('Pacing', { totalSegments: 64, maxSendRate: 1000 });
  template = Template.fromStack(stack);
});

/** The state machine's definition as text (CloudFormation join of strings and tokens). */
function definitionText(t: Template = template): string {
  const [sm] = Object.values(t.findResources('AWS::StepFunctions::StateMachine')) as Res[];
  if (!sm) throw new Error('no state machine in the template');
  const join = (sm.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return join[1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
}

/** The MaxConcurrency of the send Map: the Map state (at any depth, e.g. inside the waves Map) whose items run SendSegment. */
function sendMapConcurrencyOf(t: Template): number | undefined {
  type State = { MaxConcurrency?: number; ItemProcessor?: { States: Record<string, State> } };
  const sendMaps: State[] = [];
  const visit = (states: Record<string, State>) => {
    for (const state of Object.values(states)) {
      const inner = state.ItemProcessor?.States;
      if (!inner) continue;
      if ('SendSegment' in inner) sendMaps.push(state);
      visit(inner);
    }
  };
  visit(JSON.parse(definitionText(t)).States as Record<string, State>);
  expect(sendMaps).toHaveLength(1);
  return sendMaps[0]?.MaxConcurrency;
}

describe('send pacing in the stack', () => {
  it('runs no more send segments than the rate needs: 14/s takes 2 (a waiting send Lambda is billed)', () => {
    const slow = testStack('PacingSlow', { totalSegments: 64, maxSendRate: 14 });
    const t = Template.fromStack(slow);
    expect(sendMapConcurrencyOf(t)).toBe(2);
    const id = slow.getLogicalId(slow.nightly.functions.sendSegment.node.defaultChild as never);
    const env = (
      (t.findResources('AWS::Lambda::Function')[id] as Res).Properties.Environment as {
        Variables: Record<string, string>;
      }
    ).Variables;
    expect(env.SEND_CONCURRENCY).toBe('2');
  });

  it('gives the send Lambda the send Map MaxConcurrency as SEND_CONCURRENCY', () => {
    const mapConcurrency = sendMapConcurrencyOf(template);
    expect(mapConcurrency).toBe(40);
    const fnLogicalId = stack.getLogicalId(stack.nightly.functions.sendSegment.node.defaultChild as never);
    const fn = template.findResources('AWS::Lambda::Function')[fnLogicalId] as Res;
    const env = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
    expect(env.SEND_CONCURRENCY).toBe(String(mapConcurrency));
    expect(env.MAX_SEND_RATE).toBe('1000');
  });
});

describe('guardrail in the stack', () => {
  const guardrailFunction = () => {
    const id = stack.getLogicalId(stack.guardrail.function.node.defaultChild as never);
    return { id, fn: template.findResources('AWS::Lambda::Function')[id] as Res };
  };

  it('subscribes the guardrail Lambda to the alarm topic, naming the reputation alarms', () => {
    const { id, fn } = guardrailFunction();
    const topicId = stack.getLogicalId(stack.monitoring.topic.node.defaultChild as never);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: topicId },
      Endpoint: { 'Fn::GetAtt': [id, 'Arn'] },
    });
    const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const names = JSON.stringify(env.GUARDRAIL_ALARM_NAMES);
    for (const alarm of Object.values(stack.monitoring.guardrailAlarms)) {
      expect(names).toContain(stack.getLogicalId(alarm.node.defaultChild as never));
    }
  });

  it('gives the guardrail Lambda only GetItem and UpdateItem on the config table', () => {
    const { fn } = guardrailFunction();
    const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Res[];
    const mine = policies.filter((p) => JSON.stringify(p.Properties.Roles).includes(role));
    const statements = mine.flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
          .Statement,
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    const data = actions.filter((a) => a.startsWith('dynamodb:'));
    expect(data.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    for (const a of actions) expect(a).not.toContain('*');
    const configId = stack.getLogicalId(stack.data.tables.config.node.defaultChild as never);
    for (const s of statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'))) {
      expect(JSON.stringify(s.Resource)).toContain(configId);
      expect(JSON.stringify(s.Resource)).not.toMatch(/"\*"/);
    }
  });

  it('alarms on GuardrailTripped with the SNS topic as action', () => {
    const topicId = stack.getLogicalId(stack.monitoring.topic.node.defaultChild as never);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GuardrailTripped',
      Namespace: 'RetentionPipeline',
      Threshold: 1,
      AlarmActions: [{ Ref: topicId }],
    });
  });
});

describe('Prepare reads the SES quota', () => {
  it('may call ses:GetAccount (and nothing else of SES)', () => {
    const role = (
      (
        template.findResources('AWS::Lambda::Function')[
          stack.getLogicalId(stack.nightly.functions.prepareRun.node.defaultChild as never)
        ] as Res
      ).Properties.Role as { 'Fn::GetAtt': [string, string] }
    )['Fn::GetAtt'][0];
    const policies = (Object.values(template.findResources('AWS::IAM::Policy')) as Res[]).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(role),
    );
    const actions = policies.flatMap((p) =>
      (p.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement.flatMap(
        (s) => (Array.isArray(s.Action) ? s.Action : [s.Action]),
      ),
    );
    expect(actions.filter((a) => a.startsWith('ses:'))).toEqual(['ses:GetAccount']);
  });
});
