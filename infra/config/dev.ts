import { type DeployConfigInput, LOCAL_ACCOUNT } from './deployConfig.js';

/**
 * The default stage of `cdk synth` (CI) and the stage the local runtime resolves the state machine
 * from. It is a `local` stage on the example domain, pinned to an account no credentials match:
 * `cdk deploy` of it fails before touching AWS.
 */
export const dev: DeployConfigInput = {
  stage: 'dev',
  kind: 'local',
  account: LOCAL_ACCOUNT,
  region: 'us-east-1',
  sender: { domain: 'shop.example.com', email: 'offers@shop.example.com', name: 'Example Shop' },
  postalAddress: 'Example Shop Ltd, 1 Example Street, Springfield 12345, USA',
  schedule: { hour: 2, timeZone: 'Etc/UTC' },
  maxSendRate: 14,
  totalSegments: 64,
  alarmEmail: 'alarms@shop.example.com',
};
