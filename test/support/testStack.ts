import { App } from 'aws-cdk-lib';
import { RetentionStack } from '../../infra/retentionStack.js';

/** The whole stack as a test deploys it: fixed account/region, bundling skipped. */
export function testStack(id = 'Test'): RetentionStack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new RetentionStack(app, id, {
    env: { account: '111111111111', region: 'eu-west-1' },
    senderDomain: 'shop.example.com',
    senderEmail: 'offers@shop.example.com',
    senderName: 'Shop',
    postalAddress: 'Shop Ltd, 1 Example Street, Springfield',
    unsubscribeBaseUrl: 'https://u.shop.example.com/u',
    maxSendRate: 14,
    totalSegments: 16,
  });
}
