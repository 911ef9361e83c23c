import { App } from 'aws-cdk-lib';
import { DEFAULT_STAGE, stageConfig } from './config/stages.js';
import { RetentionStack } from './retentionStack.js';

// One app, one stage per synth: `cdk deploy -c stage=production`. Without a stage it synthesizes
// the local `dev` stage (CI's offline `npm run synth`), which cannot be deployed.
const app = new App();
const stage = String(app.node.tryGetContext('stage') ?? DEFAULT_STAGE);
const config = stageConfig(stage);

new RetentionStack(app, `RetentionPipeline-${config.stage}`, {
  description: `retention-pipeline (${config.stage}): nightly customer scoring and retention email`,
  env: { account: config.account, region: config.region },
  config,
});
