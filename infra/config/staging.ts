import type { DeployConfigInput } from './deployConfig.js';

/**
 * Staging: fill in your account, domain and alarm address (see docs/deploy.md). Until then
 * `cdk synth -c stage=staging` stops and names each setting that is still an example.
 */
export const staging: DeployConfigInput = {
  stage: 'staging',
  kind: 'deploy',
  account: '000000000000',
  region: 'eu-west-1',
  sender: {
    domain: 'staging.shop.example.com',
    email: 'offers@staging.shop.example.com',
    name: 'Example Shop',
  },
  postalAddress: 'Example Shop Ltd, 1 Example Street, Springfield 12345, USA',
  schedule: { hour: 2, timeZone: 'Europe/Dublin' },
  // The sandbox rate; raise it to the account's SES max send rate after production access.
  maxSendRate: 1,
  totalSegments: 8,
  alarmEmail: 'alarms@shop.example.com',
};
