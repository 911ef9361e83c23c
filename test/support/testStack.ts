import { App } from 'aws-cdk-lib';
import { type DeployConfigInput, parseDeployConfig } from '../../infra/config/deployConfig.js';
import { RetentionStack } from '../../infra/retentionStack.js';

/** A deployable stage's settings, as a test would write infra/config/<stage>.ts. */
export const TEST_STAGE: DeployConfigInput = {
  stage: 'test',
  kind: 'deploy',
  account: '111111111111',
  region: 'eu-west-1',
  sender: { domain: 'shop.acme-retail.eu', email: 'offers@shop.acme-retail.eu', name: 'Shop' },
  postalAddress: 'Shop Ltd, 1 Main Street, Springfield',
  schedule: { hour: 2, timeZone: 'Etc/UTC' },
  maxSendRate: 14,
  totalSegments: 16,
  alarmEmail: 'oncall@acme-retail.eu',
};

/** The whole stack as a test deploys it: fixed account/region, bundling skipped. */
export function testStack(id = 'Test', overrides: Partial<DeployConfigInput> = {}): RetentionStack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = parseDeployConfig({ ...TEST_STAGE, ...overrides }, 'test/support/testStack.ts');
  return new RetentionStack(app, id, { env: { account: config.account, region: config.region }, config });
}
