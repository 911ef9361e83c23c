import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { testStack } from '../support/testStack.js';

type Res = { Properties: Record<string, unknown> };
let template: Template;

beforeAll(() => {
  template = Template.fromStack(testStack('Operable'));
});

describe('RetentionStack operations', () => {
  it('creates the SES identity with Easy DKIM and a custom MAIL FROM on the sender domain', () => {
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'shop.acme-retail.eu',
      DkimAttributes: { SigningEnabled: true },
      MailFromAttributes: {
        MailFromDomain: 'mail.shop.acme-retail.eu',
        BehaviorOnMxFailure: 'REJECT_MESSAGE',
      },
    });
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
  });

  it('sends every alarm to the SNS topic with the alarm email subscribed', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@acme-retail.eu',
    });
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm')) as [string, Res][];
    expect(alarms.length).toBeGreaterThan(20);
    for (const [id, a] of alarms) expect(a.Properties.AlarmActions, id).toEqual([{ Ref: topic }]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Reputation.BounceRate',
      Threshold: 0.04,
      Dimensions: [Match.objectLike({ Name: 'ses:configuration-set' })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Reputation.ComplaintRate',
      Threshold: 0.0008,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('gives every asynchronously invoked function an on-failure queue and the schedule a DLQ', () => {
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 4);
    for (const c of Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')) as Res[]) {
      expect(JSON.stringify(c.Properties.DestinationConfig)).toContain('OnFailure');
    }
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }) }),
    });
  });

  it('traces every function and sets the Powertools service and namespace; the send function links to the Function URL', () => {
    const fns = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
      ([id]) => !id.startsWith('BucketNotificationsHandler'),
    ) as [string, Res][];
    for (const [id, f] of fns) {
      expect(f.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      const env = (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.POWERTOOLS_SERVICE_NAME, id).toBe('retention-pipeline');
      expect(env.POWERTOOLS_METRICS_NAMESPACE, id).toBe('RetentionPipeline');
    }
    const send = fns.find(([id]) => id.startsWith('NightlySendSegmentFunction'));
    const env = (send![1].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.stringify(env.UNSUBSCRIBE_BASE_URL)).toContain('FunctionUrl');
    const unsub = fns.find(([id]) => id.startsWith('DeliveryUnsubscribeFunction'));
    expect(unsub![1].Properties.ReservedConcurrentExecutions).toBe(10);
  });

  it('logs every state machine transition without execution data', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
  });

  it('grants no wildcard actions and no "*" resource on data actions', () => {
    for (const p of Object.values(template.findResources('AWS::IAM::Policy')) as Res[]) {
      for (const s of (
        p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }
      ).Statement) {
        const actions = [s.Action].flat();
        for (const a of actions) {
          // GetRandomPassword (CDK's grant to the key rotation function) returns random bytes, no
          // data, and has no resource type (see test/infra/nag.test.ts).
          if (/^(dynamodb|s3|sqs|secretsmanager):/.test(a) && a !== 'secretsmanager:GetRandomPassword') {
            expect(a, JSON.stringify(s)).not.toContain('*');
            expect([s.Resource].flat(), a).not.toContain('*');
          }
        }
      }
    }
  });
});
