import { CampaignStore } from '../../functions/adapters/campaignStore.js';
import { documentClient } from '../../functions/adapters/clients.js';
import { CustomerStore } from '../../functions/adapters/customerStore.js';
import { type TableNames, tableNames } from '../../functions/adapters/tableNames.js';
import { type Config, loadConfig } from '../../functions/config.js';
import { retentionHome } from './paths.js';
import { type LocalServices, startLocalServices } from './services.js';

export interface LocalSession {
  services: LocalServices;
  config: Config;
  tables: TableNames;
  customers: CustomerStore;
  campaigns: CampaignStore;
  close(): Promise<void>;
}

/** Starts the embedded services on the local state folder and returns the stores the CLI needs. */
export async function openLocalSession(
  options: { home?: string; persist?: boolean; overrides?: Record<string, string> } = {},
): Promise<LocalSession> {
  const services = await startLocalServices({
    home: options.home ?? retentionHome(),
    persist: options.persist ?? true,
    overrides: options.overrides ?? {},
  });
  const config = loadConfig(process.env);
  const tables = tableNames(config);
  const db = documentClient();
  return {
    services,
    config,
    tables,
    customers: new CustomerStore(db, tables),
    campaigns: new CampaignStore(db, tables),
    close: () => services.stop(),
  };
}
