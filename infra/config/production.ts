import type { DeployConfigInput } from './deployConfig.js';

/**
 * Production: fill in your account, domain and alarm address (see docs/deploy.md). Until then
 * `cdk synth -c stage=production` stops and names each setting that is still an example.
 */
export const production: DeployConfigInput = {
  stage: 'production',
  kind: 'deploy',
  account: '000000000000',
  region: 'eu-west-1',
  sender: { domain: 'shop.example.com', email: 'offers@shop.example.com', name: 'Example Shop' },
  postalAddress: 'Example Shop Ltd, 1 Example Street, Springfield 12345, USA',
  schedule: { hour: 2, timeZone: 'Europe/Dublin' },
  // The account's SES max send rate (SES console → Account dashboard, or `aws sesv2 get-account`).
  maxSendRate: 14,
  totalSegments: 64,
  caps: { globalCapDays: 7, globalControlPercent: 5 },
  alarmEmail: 'alarms@shop.example.com',
};
