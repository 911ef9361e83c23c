import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleCampaignFiles, pushCampaignFiles } from '../../cli/local/campaigns.js';
import { type LocalSession, openLocalSession } from '../../cli/local/session.js';
import { seedPopulation } from '../../cli/seed/load.js';
import { documentClient } from '../../functions/adapters/clients.js';

/** Embedded services on a fresh temporary home (in-memory database), for one test file. */
export async function openTestSession(
  name: string,
  overrides: Record<string, string> = {},
): Promise<{ session: LocalSession; home: string; close(): Promise<void> }> {
  const home = mkdtempSync(join(tmpdir(), `retention-${name}-`));
  const session = await openLocalSession({ home, persist: false, overrides });
  return {
    session,
    home,
    async close() {
      await session.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Seeds a synthetic population and pushes the example campaigns; throws if any example is invalid. */
export async function seedWithExamples(
  session: LocalSession,
  population: { customers: number; seed: number; asOf: string },
): Promise<void> {
  await seedPopulation(documentClient(), session.tables, {
    ...population,
    orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
  });
  const pushed = await pushCampaignFiles(
    session.campaigns,
    await exampleCampaignFiles(process.cwd()),
    'test',
  );
  const invalid = pushed.filter((p) => !p.ok);
  if (invalid.length > 0) throw new Error(`invalid example campaigns: ${JSON.stringify(invalid)}`);
}
