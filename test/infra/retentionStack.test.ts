import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { testStack } from '../support/testStack.js';

let template: Template;
let definition: Record<string, unknown>;

beforeAll(() => {
  const stack = testStack('Test');
  template = Template.fromStack(stack);
  const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as {
    Properties: { DefinitionString: { 'Fn::Join': [string, unknown[]] } };
  };
  const text = sm.Properties.DefinitionString['Fn::Join'][1]
    .map((p) => (typeof p === 'string' ? p : 'arn:aws:lambda:eu-west-1:111111111111:function:x'))
    .join('');
  definition = JSON.parse(text) as Record<string, unknown>;
});

type State = Record<string, unknown>;
function allStates(machine: Record<string, unknown>): [string, State][] {
  const out: [string, State][] = [];
  for (const [name, state] of Object.entries(machine.States as Record<string, State>)) {
    out.push([name, state]);
    const processor = state.ItemProcessor as Record<string, unknown> | undefined;
    if (processor) out.push(...allStates(processor));
  }
  return out;
}

describe('RetentionStack', () => {
  it('keeps data in five on-demand tables with point-in-time recovery, encryption and TTL where items expire', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 5);
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table')) as {
      Properties: Record<string, unknown>;
      DeletionPolicy: string;
    }[];
    for (const t of tables) {
      expect(t.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(t.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(t.Properties.SSESpecification).toEqual({ SSEEnabled: true });
      expect(t.DeletionPolicy).toBe('Retain');
    }
    const withTtl = tables.filter(
      (t) => (t.Properties.TimeToLiveSpecification as { Enabled?: boolean } | undefined)?.Enabled,
    );
    expect(withTtl).toHaveLength(3);
  });

  it('defines the nightly run as Prepare → distributed Map over segments → PlanWaves → wave Map → Summarize, in JSONPath', () => {
    expect(definition.StartAt).toBe('Prepare');
    expect(JSON.stringify(definition)).not.toContain('JSONata');
    const states = Object.fromEntries(allStates(definition));
    expect((states.Prepare as State).Next).toBe('ScoreSegments');
    expect((states.ScoreSegments as State).Next).toBe('PlanWaves');
    expect((states.PlanWaves as State).Next).toBe('SendWaves');
    expect((states.PlanWaves as State).ResultPath).toBe('$.waves');
    expect((states.SendWaves as State).Next).toBe('Summarize');
    const score = states.ScoreSegments as State;
    expect(score.Type).toBe('Map');
    expect(score.ItemsPath).toBe('$.run.segments');
    expect((score.ItemProcessor as { ProcessorConfig: { Mode: string } }).ProcessorConfig.Mode).toBe(
      'DISTRIBUTED',
    );
    expect(score.MaxConcurrency).toBe(16);
    expect(score.Catch).toBeDefined();
  });

  it('sends in local-time waves: a distributed Map over the planned waves, each waiting for its window, then its segments', () => {
    const states = Object.fromEntries(allStates(definition));
    const waves = states.SendWaves as State;
    expect(waves.Type).toBe('Map');
    expect(waves.ItemsPath).toBe('$.waves');
    expect(waves.Catch).toBeDefined();
    // Unbounded: every wave waits for its own opening (a slow wave never holds back the next).
    expect(waves.MaxConcurrency).toBeUndefined();
    const processor = waves.ItemProcessor as {
      ProcessorConfig: { Mode: string; ExecutionType: string };
      StartAt: string;
      States: Record<string, State>;
    };
    expect(processor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(processor.StartAt).toBe('WaitForWindow');
    // The Wait runs no Lambda: the wave's child execution sleeps until the window opens in UTC.
    expect(processor.States.WaitForWindow).toEqual({
      Type: 'Wait',
      TimestampPath: '$.wave.opensAt',
      Next: 'SendWaveSegments',
    });
    const segments = processor.States.SendWaveSegments as State;
    expect(segments.Type).toBe('Map');
    expect(segments.ItemsPath).toBe('$.segments');
    // 16 segments at the test stage's 14/s: two send segments are all the rate needs (sendMapConcurrency).
    expect(segments.MaxConcurrency).toBe(2);
    expect((segments.ItemSelector as Record<string, string>)['wave.$']).toBe('$.wave');
    const send = states.SendSegment as State;
    expect(send.Parameters).toMatchObject({ 'wave.$': '$.wave' });
    // Long enough for the last wave (a day after scoring) to open and close.
    expect((definition as { TimeoutSeconds?: number }).TimeoutSeconds ?? 0).toBeGreaterThanOrEqual(48 * 3600);
  });

  it('gives every task a timeout, retries with backoff and a catch into the failure state', () => {
    const tasks = allStates(definition).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([n]) => n).sort()).toEqual([
      'PlanWaves',
      'Prepare',
      'ScoreSegment',
      'SendSegment',
      'Summarize',
    ]);
    for (const [name, s] of tasks) {
      expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
      const retry = (s.Retry as { ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }[])[0]!;
      expect(retry.ErrorEquals).toContain('Lambda.TooManyRequestsException');
      expect(retry.BackoffRate).toBe(2);
      expect(retry.MaxAttempts).toBeGreaterThan(1);
    }
    for (const name of ['Prepare', 'PlanWaves', 'Summarize']) {
      const s = Object.fromEntries(tasks)[name] as State;
      expect((s.Catch as { Next: string }[])[0]!.Next).toBe('RunFailed');
    }
  });

  it('runs every project Lambda on Node 24', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    // CDK's own bucket-notification helper (a Python custom resource) is not ours.
    const ours = Object.entries(fns).filter(([id]) => !id.startsWith('BucketNotificationsHandler'));
    expect(ours.length).toBeGreaterThanOrEqual(6);
    for (const [id, f] of ours as [string, { Properties: { Runtime: string } }][]) {
      expect(f.Properties.Runtime, id).toBe('nodejs24.x');
    }
  });

  it('grants SES sending only to the send function, on the identity and configuration set', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
      Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] }; Roles: unknown[] };
    }[];
    const withSend = policies.filter((p) =>
      p.Properties.PolicyDocument.Statement.some((s) => [s.Action].flat().includes('ses:SendEmail')),
    );
    expect(withSend).toHaveLength(1);
    expect(JSON.stringify(withSend[0])).toContain('SendSegmentFunction');
    expect(JSON.stringify(withSend[0])).not.toContain('"ses:*"');
  });

  it('starts the run nightly through a starter with a deterministic execution name, and alarms on failure', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Target: Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 5 }) }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsTimedOut' });
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });
    template.resourceCountIs('AWS::SES::ConfigurationSetEventDestination', 1);
  });

  it('imports customer and order files dropped in a private, encrypted bucket', () => {
    const importer = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('DataImportImportUpload'),
    );
    expect(importer).toBeDefined();
    // Set on the bucket itself: no custom-resource Lambda only for PutBucketNotification.
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    const notified = Object.values(template.findResources('AWS::S3::Bucket')) as {
      Properties: {
        NotificationConfiguration?: {
          LambdaConfigurations: {
            Function: { 'Fn::GetAtt': [string, string] };
            Filter: { S3Key: { Rules: { Name: string; Value: string }[] } };
          }[];
        };
      };
    }[];
    const configs = notified
      .flatMap((b) => b.Properties.NotificationConfiguration?.LambdaConfigurations ?? [])
      .filter((c) => c.Function['Fn::GetAtt'][0] === importer![0]);
    const rules = configs.map((c) =>
      Object.fromEntries(c.Filter.S3Key.Rules.map((r) => [r.Name.toLowerCase(), r.Value])),
    );
    expect(rules).toHaveLength(6);
    expect(rules).toContainEqual({ prefix: 'imports/orders/', suffix: '.csv' });
    expect(rules).toContainEqual({ prefix: 'imports/customers/', suffix: '.jsonl' });
    const buckets = Object.values(template.findResources('AWS::S3::Bucket')) as {
      Properties: Record<string, unknown>;
    }[];
    for (const b of buckets) {
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.BucketEncryption).toBeDefined();
    }
  });
});
