import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { testStack } from '../support/testStack.js';

// Attribution at order ingest (docs/measurement.md): the importer finds a customer's decisions
// through the ledger's byCustomer index and stores the sums in the config table.
describe('attribution infrastructure', () => {
  let template: Template;
  beforeAll(() => {
    template = Template.fromStack(testStack('Attribution'));
  });

  it('indexes the ledger by customer, sorted by the send key (run date first)', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table')) as {
      Properties: {
        KeySchema: { AttributeName: string }[];
        GlobalSecondaryIndexes?: {
          IndexName: string;
          KeySchema: { AttributeName: string; KeyType: string }[];
        }[];
      };
    }[];
    const ledger = tables.find((t) => t.Properties.KeySchema[0]?.AttributeName === 'sendKey');
    const index = ledger?.Properties.GlobalSecondaryIndexes?.find((i) => i.IndexName === 'byCustomer');
    expect(index?.KeySchema).toEqual([
      { AttributeName: 'customerId', KeyType: 'HASH' },
      { AttributeName: 'sendKey', KeyType: 'RANGE' },
    ]);
  });

  it('lets the importer query the ledger index and write the config table, and nothing sends email', () => {
    const [roleId] = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([id]) => id.startsWith('DataImportImportUpload'))
      .map(
        ([, f]) =>
          (f as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } }).Properties.Role[
            'Fn::GetAtt'
          ][0],
      );
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
      Properties: {
        Roles: { Ref: string }[];
        PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] };
      };
    }[];
    const statements = policies
      .filter((p) => p.Properties.Roles.some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const text = JSON.stringify(statements);
    expect(text).toContain('dynamodb:Query');
    expect(text).toMatch(/Ledger[A-Za-z0-9]*.*\/index\/\*/);
    expect(text).toMatch(/Config[A-Za-z0-9]*/);
    expect(text).toContain('dynamodb:UpdateItem');
    expect(text).not.toContain('ses:SendEmail');
  });
});
