import {
  type DeployConfig,
  DeployConfigError,
  type DeployConfigInput,
  parseDeployConfig,
} from './deployConfig.js';
import { dev } from './dev.js';
import { production } from './production.js';
import { staging } from './staging.js';

export const STAGES: Record<string, DeployConfigInput> = { dev, staging, production };

/** The stage `cdk synth` uses without `-c stage=...`: local, never deployable. */
export const DEFAULT_STAGE = 'dev';

/** The validated settings of a named stage (`infra/config/<stage>.ts`). */
export function stageConfig(stage: string): DeployConfig {
  const raw = STAGES[stage];
  if (!raw) {
    throw new DeployConfigError(
      `Unknown stage "${stage}" (-c stage=...): one of ${Object.keys(STAGES).join(', ')} (infra/config/<stage>.ts)`,
    );
  }
  const config = parseDeployConfig(raw, `infra/config/${stage}.ts`);
  if (config.stage !== stage) {
    throw new DeployConfigError(
      `infra/config/${stage}.ts: stage: must be "${stage}" (got "${config.stage}")`,
    );
  }
  return config;
}
