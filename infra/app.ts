import { App } from 'aws-cdk-lib';
import { RetentionStack } from './retentionStack.js';

// Settings come from CDK context (cdk.json or `-c key=value`), so `cdk synth` needs no credentials.
const app = new App();
const ctx = (key: string, fallback: string): string => String(app.node.tryGetContext(key) ?? fallback);

new RetentionStack(app, ctx('stackName', 'RetentionPipeline'), {
  description: 'retention-pipeline: nightly customer scoring and retention email',
  senderDomain: ctx('senderDomain', 'shop.example.com'),
  senderEmail: ctx('senderEmail', 'offers@shop.example.com'),
  senderName: ctx('senderName', 'Example Shop'),
  postalAddress: ctx('postalAddress', 'Example Shop Ltd, 1 Example Street, Springfield 12345, USA'),
  unsubscribeBaseUrl: ctx('unsubscribeBaseUrl', 'https://unsubscribe.shop.example.com/u'),
  maxSendRate: Number(ctx('maxSendRate', '14')),
  totalSegments: Number(ctx('totalSegments', '64')),
});
