import { Logger } from '@aws-lambda-powertools/logger';
import { CampaignStore } from '../adapters/campaignStore.js';
import { documentClient, sesClient } from '../adapters/clients.js';
import { CustomerStore } from '../adapters/customerStore.js';
import { LedgerStore } from '../adapters/ledgerStore.js';
import { RunStore } from '../adapters/runStore.js';
import { SesMailer } from '../adapters/sesMailer.js';
import { SuppressionStore } from '../adapters/suppressionStore.js';
import { tableNames } from '../adapters/tableNames.js';
import { type Config, loadConfig } from '../config.js';

export const logger = new Logger({ serviceName: 'retention-pipeline' });

export interface Deps {
  config: Config;
  customers: CustomerStore;
  runs: RunStore;
  ledger: LedgerStore;
  suppression: SuppressionStore;
  campaigns: CampaignStore;
  mailer: SesMailer;
}

/** Built per invocation from the environment (cheap: the SDK clients themselves are cached). */
export function deps(): Deps {
  const config = loadConfig(process.env);
  const db = documentClient();
  const tables = tableNames(config);
  return {
    config,
    customers: new CustomerStore(db, tables),
    runs: new RunStore(db, tables, config.RUN_RETENTION_DAYS),
    ledger: new LedgerStore(db, tables),
    suppression: new SuppressionStore(db, tables, config.ERASURE_SALT),
    campaigns: new CampaignStore(db, tables),
    mailer: new SesMailer(sesClient()),
  };
}

/** Minimal view of the Lambda context that the handlers use. */
export interface DeadlineContext {
  getRemainingTimeInMillis(): number;
}
