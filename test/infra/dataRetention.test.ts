import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { testStack } from '../support/testStack.js';

// Retention on AWS: DynamoDB TTL on `expiresAt` where items expire, and every function told the
// periods (and the erasure salt) of its stage.

function tablesByKey(template: Template): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const t of Object.values(template.findResources('AWS::DynamoDB::Table')) as {
    Properties: { KeySchema: { AttributeName: string }[] } & Record<string, unknown>;
  }[]) {
    out.set(t.Properties.KeySchema.map((k) => k.AttributeName).join('+'), t.Properties);
  }
  return out;
}

function functionEnvironments(template: Template): Record<string, unknown>[] {
  return (
    Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment?: { Variables?: Record<string, unknown> } };
    }[]
  )
    .map((f) => f.Properties.Environment?.Variables ?? {})
    .filter((v) => 'CUSTOMERS_TABLE' in v);
}

describe('data retention on AWS', () => {
  it('orders, ledger and config items expire by TTL on expiresAt; customers and suppression never', () => {
    const tables = tablesByKey(Template.fromStack(testStack('Retention')));
    const ttl = (key: string) => tables.get(key)?.TimeToLiveSpecification;
    expect(ttl('customerId+orderId')).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(ttl('sendKey')).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(ttl('pk+sk')).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(ttl('customerId')).toBeUndefined();
    expect(ttl('subject')).toBeUndefined();
  });

  it('every function gets the stage’s retention periods and one erasure salt', () => {
    const template = Template.fromStack(
      testStack('RetentionSet', {
        retention: { orderDays: 800, ledgerDays: 500, runDays: 120, eventDays: 14, logDays: 30 },
      }),
    );
    const envs = functionEnvironments(template);
    expect(envs.length).toBeGreaterThanOrEqual(5);
    for (const env of envs) {
      expect(env).toMatchObject({
        ORDER_RETENTION_DAYS: '800',
        LEDGER_RETENTION_DAYS: '500',
        RUN_RETENTION_DAYS: '120',
        EVENT_RETENTION_DAYS: '14',
      });
      expect(env.ERASURE_SALT).toEqual({ Ref: 'AWS::StackId' });
    }
    const salted = functionEnvironments(
      Template.fromStack(testStack('RetentionSalt', { erasureSalt: 'a-salt-of-sixteen+' })),
    );
    for (const env of salted) expect(env.ERASURE_SALT).toBe('a-salt-of-sixteen+');
  });
});
