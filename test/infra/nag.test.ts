import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/config/deployConfig.js';
import { STAGES } from '../../infra/config/stages.js';
import { UNSUBSCRIBE_RESERVED_CONCURRENCY } from '../../infra/constructs/delivery.js';
import { RetentionStack } from '../../infra/retentionStack.js';
import { TEST_STAGE } from '../support/testStack.js';

/**
 * A stage's stack as `cdk synth -c stage=<stage>` builds it. staging and production ship with the
 * example account, domain and alarm address, which synth refuses on purpose: those three settings
 * come from the test stage, everything else (region, rates, segments, schedule, retention) is the
 * stage's own.
 */
function stageStack(stage: string): RetentionStack {
  const raw = STAGES[stage]!;
  const input =
    raw.kind === 'local'
      ? raw
      : { ...raw, account: TEST_STAGE.account, sender: TEST_STAGE.sender, alarmEmail: TEST_STAGE.alarmEmail };
  const config = parseDeployConfig(input, `infra/config/${stage}.ts`);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new RetentionStack(app, `RetentionPipeline-${stage}`, {
    env: { account: config.account, region: config.region },
    config,
  });
}

interface Finding {
  rule: string;
  severity: string;
  path: string;
}

/** The AwsSolutions findings left after the acknowledgements: errors and warnings alike. */
function nagFindings(stack: Stack): Finding[] {
  // Synthesis first: grants, aspects (where the acknowledgements are made) and lazy policies are final then.
  Template.fromStack(stack);
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => ({
      rule: v.ruleName,
      severity: v.severity ?? '',
      path: r.constructPath ?? '',
    })),
  );
}

/** Every acknowledgement in the tree: rule id → reason, with the construct it sits on. */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  const out: { path: string; id: string; reason: string }[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return out;
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Actions granted on Resource "*", by policy. */
function starGrants(template: Template): { policy: string; action: string }[] {
  const out: { policy: string; action: string }[] = [];
  for (const [id, p] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    const statements = (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
      .PolicyDocument.Statement;
    for (const s of statements) {
      if (s.Effect !== 'Allow' || ![s.Resource].flat().includes('*')) continue;
      for (const action of [s.Action].flat()) out.push({ policy: id, action });
    }
  }
  return out;
}

/** Reading or writing data (tables, objects, mail, secrets, parameters, queues, topics, executions). */
const DATA_ACTION =
  /^(dynamodb|s3|secretsmanager|ssm|sqs|sns|kms|states|lambda):|^ses:(Send|Create|Put|Update|Delete)/;

/** The only actions granted on "*": none of them has a resource type that could narrow it. */
const ALLOWED_ON_STAR = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'ses:GetAccount',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  // CDK adds it to every rotation function; it returns random bytes, no secret (not a data action).
  'secretsmanager:GetRandomPassword',
]);

describe.each(Object.keys(STAGES))('cdk-nag AwsSolutions on the %s stage', (stage) => {
  const stack = stageStack(stage);
  const findings = nagFindings(stack);
  const template = Template.fromStack(stack);

  it('leaves no finding that is neither fixed nor acknowledged with a reason', () => {
    expect(findings).toEqual([]);
    // CDK acknowledges some of its own CloudFormation checks; these are ours.
    const acks = acknowledgements(stack).filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.id, a.path).toMatch(/^AwsSolutions-[A-Z]+\d+/);
      // A reason a reviewer can check: says what is granted and why nothing narrower works.
      expect(a.reason.length, `${a.path} ${a.id}`).toBeGreaterThanOrEqual(60);
    }
  });

  it('grants no data action on Resource "*", and "*" only to actions without resource types', () => {
    const star = starGrants(template);
    expect(
      star.filter((g) => DATA_ACTION.test(g.action) && g.action !== 'secretsmanager:GetRandomPassword'),
    ).toEqual([]);
    expect([...new Set(star.map((g) => g.action))].filter((a) => !ALLOWED_ON_STAR.has(a))).toEqual([]);
  });

  it('attaches no AWS managed policy: every role gets only what its construct grants', () => {
    for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
      expect(
        (role as { Properties: Record<string, unknown> }).Properties.ManagedPolicyArns,
        id,
      ).toBeUndefined();
    }
  });

  it('lets every function write its own log group and no other', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
      Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } };
    }[];
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')) as [
      string,
      {
        Properties: {
          Role: { 'Fn::GetAtt': [string, string] };
          LoggingConfig?: { LogGroup: { Ref: string } };
        };
      },
    ][];
    expect(functions.length).toBeGreaterThanOrEqual(9);
    for (const [id, fn] of functions) {
      const role = fn.Properties.Role['Fn::GetAtt'][0];
      const logGroup = fn.Properties.LoggingConfig?.LogGroup.Ref;
      expect(logGroup, id).toBeDefined();
      const logStatements = policies
        .filter((p) => p.Properties.Roles.some((r) => r.Ref === role))
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((st) => [st.Action].flat().some((a) => a.startsWith('logs:')));
      expect(logStatements, id).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
        },
      ]);
    }
  });

  it('logs every state transition without execution data, and caps the public unsubscribe URL', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    const [url] = Object.values(template.findResources('AWS::Lambda::Url')) as {
      Properties: { AuthType: string; TargetFunctionArn: { 'Fn::GetAtt': [string, string] } };
    }[];
    expect(url?.Properties.AuthType).toBe('NONE');
    const target = template.findResources('AWS::Lambda::Function')[
      url!.Properties.TargetFunctionArn['Fn::GetAtt'][0]
    ] as {
      Properties: { ReservedConcurrentExecutions?: number };
    };
    expect(target.Properties.ReservedConcurrentExecutions).toBe(UNSUBSCRIBE_RESERVED_CONCURRENCY);
  });

  it('writes S3 access logs of the campaign and import buckets to the access-log bucket', () => {
    const buckets = Object.entries(template.findResources('AWS::S3::Bucket')) as [
      string,
      { Properties: { LoggingConfiguration?: { DestinationBucketName: { Ref: string } } } },
    ][];
    const logged = buckets.filter(([, b]) => b.Properties.LoggingConfiguration);
    expect(logged).toHaveLength(2);
    const targets = new Set(
      logged.map(([, b]) => b.Properties.LoggingConfiguration!.DestinationBucketName.Ref),
    );
    expect([...targets]).toHaveLength(1);
    expect([...targets][0]).toMatch(/^AccessLogsBucket/);
  });

  it('rotates the unsubscribe key ring every 90 days with its own function, keeping the secret', () => {
    // The secret's logical id from before rotation existed: a new one would replace every key.
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret'))).toEqual([
      'UnsubscribeKeys475927FD',
    ]);
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: 'UnsubscribeKeys475927FD' },
      RotationRules: { ScheduleExpression: 'rate(90 days)' },
      RotationLambdaARN: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^UnsubscribeKeysRotationFunction'), 'Arn'],
      },
    });
  });
});

describe('the security checks themselves', () => {
  it('report a wildcard data grant that nobody acknowledged', () => {
    const stack = stageStack('dev');
    stack.nightly.functions.summarizeRun.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: ['*'] }),
    );
    const findings = nagFindings(stack);
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'AwsSolutions-IAM5[Resource::*]',
        path: expect.stringContaining('SummarizeRunFunctionServiceRole/DefaultPolicy'),
      }),
    ]);
    const star = starGrants(Template.fromStack(stack));
    expect(star.filter((g) => DATA_ACTION.test(g.action)).map((g) => g.action)).toContain('dynamodb:GetItem');
  });

  it('keep an acknowledged wildcard reported when the same resource is also granted to other actions', () => {
    const stack = stageStack('dev');
    // X-Ray's "*" is acknowledged on this role; ses:SendEmail on "*" in the same policy is not.
    stack.nightly.functions.prepareRun.addToRolePolicy(
      new PolicyStatement({ actions: ['ses:SendEmail'], resources: ['*'] }),
    );
    expect(nagFindings(stack).map((f) => f.rule)).toEqual(['AwsSolutions-IAM5[Resource::*]']);
  });
});
