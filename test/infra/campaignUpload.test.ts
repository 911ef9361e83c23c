import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { CampaignUpload } from '../../infra/constructs/campaignUpload.js';

let template: Template;
let fnLogicalId: string;
let bucketLogicalId: string;

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

function statementsOfFunctionRole(): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
    Properties: { PolicyDocument: { Statement: Statement[] }; Roles: unknown[] };
  }[];
  return policies
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('FunctionServiceRole'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const configTable = new Table(stack, 'Config', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
  });
  new Table(stack, 'Customers', { partitionKey: { name: 'customerId', type: AttributeType.STRING } });
  new CampaignUpload(stack, 'CampaignUpload', {
    configTable,
    environment: { CONFIG_TABLE: configTable.tableName },
  });
  template = Template.fromStack(stack);
  fnLogicalId = Object.keys(template.findResources('AWS::Lambda::Function'))[0]!;
  bucketLogicalId = Object.keys(template.findResources('AWS::S3::Bucket'))[0]!;
});

describe('CampaignUpload', () => {
  it('keeps campaign files in a private, encrypted, versioned bucket that refuses plain HTTP', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('notifies the Lambda for objects created under campaigns/ ending in .yaml, .yml or .json only', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[bucketLogicalId] as {
      Properties: { NotificationConfiguration: { LambdaConfigurations: unknown[] } };
      DependsOn: string[];
    };
    const configs = bucket.Properties.NotificationConfiguration.LambdaConfigurations as {
      Event: string;
      Function: unknown;
      Filter: { S3Key: { Rules: { Name: string; Value: string }[] } };
    }[];
    expect(configs.map((c) => c.Event)).toEqual([
      's3:ObjectCreated:*',
      's3:ObjectCreated:*',
      's3:ObjectCreated:*',
    ]);
    expect(configs.map((c) => c.Filter.S3Key.Rules)).toEqual(
      ['.yaml', '.yml', '.json'].map((suffix) => [
        { Name: 'prefix', Value: 'campaigns/' },
        { Name: 'suffix', Value: suffix },
      ]),
    );
    for (const c of configs) expect(c.Function).toEqual({ 'Fn::GetAtt': [fnLogicalId, 'Arn'] });
    // No custom-resource Lambda (the stack's Lambdas are all Node 24 functions of ours).
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    // S3 may invoke the function only from this bucket and account, and the permission exists first.
    const permissions = template.findResources('AWS::Lambda::Permission');
    const [permissionId, permission] = Object.entries(permissions)[0] as [
      string,
      { Properties: Record<string, unknown> },
    ];
    expect(Object.keys(permissions)).toHaveLength(1);
    expect(permission.Properties.Principal).toBe('s3.amazonaws.com');
    expect(JSON.stringify(permission.Properties.SourceArn)).toContain('retention-campaigns-');
    expect(permission.Properties.SourceAccount).toEqual({ Ref: 'AWS::AccountId' });
    expect(bucket.DependsOn).toContain(permissionId);
  });

  it('runs the campaignUpload handler on Node 24 and tells it which bucket is its own', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 60,
      Environment: {
        Variables: Match.objectLike({
          CAMPAIGN_BUCKET: Match.anyValue(),
          CONFIG_TABLE: { Ref: Match.stringLikeRegexp('^Config') },
        }),
      },
    });
  });

  it('grants least privilege: read campaigns/*, write only *.status.json, read/write the config table', () => {
    const statements = statementsOfFunctionRole();
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).not.toContain('s3:*');
    expect(actions.some((a) => a.startsWith('s3:Delete'))).toBe(false);
    const s3Writes = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:Put')));
    expect(s3Writes).toHaveLength(1);
    expect([s3Writes[0]!.Action].flat()).toEqual(['s3:PutObject']);
    expect(JSON.stringify(s3Writes[0]!.Resource)).toContain('/campaigns/*.status.json');
    const s3Reads = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:Get')));
    expect(s3Reads).toHaveLength(1);
    expect([s3Reads[0]!.Action].flat()).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(JSON.stringify(s3Reads[0]!.Resource)).toContain('/campaigns/*');
    const list = statements.filter((s) => [s.Action].flat().includes('s3:ListBucket'));
    expect(list).toHaveLength(1);
    expect(JSON.stringify(list[0])).toContain('"s3:prefix":["campaigns/*"]');
    expect(actions.filter((a) => a.startsWith('s3:')).sort()).toEqual([
      's3:GetObject',
      's3:GetObjectVersion',
      's3:ListBucket',
      's3:PutObject',
    ]);
    const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.length).toBeGreaterThan(0);
    const tableRefs = JSON.stringify(dynamo.map((s) => s.Resource));
    expect(tableRefs).toContain('Config');
    expect(tableRefs).not.toContain('Customers');
    expect([dynamo[0]!.Action].flat()).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query']),
    );
  });
});
