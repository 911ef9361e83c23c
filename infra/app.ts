import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STAGE, stageConfig } from './config/stages.js';
import { RetentionStack } from './retentionStack.js';

// One app, one stage per synth: `cdk deploy -c stage=production`. Without a stage it synthesizes
// the local `dev` stage (CI's offline `npm run synth`), which cannot be deployed.
const app = new App();
// cdk-nag's AwsSolutions pack on every synth and deploy: a finding that is neither fixed nor
// acknowledged with a reason next to its resource (docs/operations.md, "Security review") stops
// synth with the rule and the resource. Clean, it prints nothing.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const stage = String(app.node.tryGetContext('stage') ?? DEFAULT_STAGE);
const config = stageConfig(stage);

new RetentionStack(app, `RetentionPipeline-${config.stage}`, {
  description: `retention-pipeline (${config.stage}): nightly customer scoring and retention email`,
  env: { account: config.account, region: config.region },
  config,
});
