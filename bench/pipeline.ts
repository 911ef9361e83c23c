import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exampleCampaignFiles, pushCampaignFiles } from '../cli/local/campaigns.js';
import { runNight } from '../cli/local/runNight.js';
import { openLocalSession } from '../cli/local/session.js';
import { seedPopulation } from '../cli/seed/load.js';
import { documentClient } from '../functions/adapters/clients.js';

/** Seeds a population in memory and runs one night through the real state machine; prints the time split. */
export async function benchPipeline(
  customers = Number(process.env.BENCH_CUSTOMERS ?? 10_000),
): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'retention-bench-'));
  const session = await openLocalSession({ home, persist: false });
  try {
    const runDate = '2026-11-20';
    const seeded = await seedPopulation(documentClient(), session.tables, {
      customers,
      seed: 42,
      asOf: runDate,
      orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
    });
    await pushCampaignFiles(session.campaigns, await exampleCampaignFiles(process.cwd()), 'bench');
    const night = await runNight({ runDate });
    const s = night.summary;
    const line = (k: string, v: string) => process.stdout.write(`  ${k.padEnd(34)} ${v}\n`);
    process.stdout.write(
      `\nnightly pipeline, ${customers.toLocaleString('en')} customers (in-memory dynalite in a child process, SES emulator in-process)\n`,
    );
    line(
      'seed (customers + orders)',
      `${(seeded.ms / 1000).toFixed(1)} s (${seeded.orders.toLocaleString('en')} orders)`,
    );
    line('night wall time', `${(night.wallMs / 1000).toFixed(1)} s`);
    for (const [k, v] of Object.entries(night.stateWallMs))
      line(`  ${k} (wall)`, `${(v / 1000).toFixed(1)} s`);
    line(
      'customers per second (whole night)',
      Math.round(s.customers / (night.wallMs / 1000)).toLocaleString('en'),
    );
    line('emails sent', `${s.send.sent ?? 0}`);
    line(
      'DynamoDB RCU / WCU per customer',
      `${(night.work.dynamodb.readCapacityUnits / s.customers).toFixed(2)} / ${(night.work.dynamodb.writeCapacityUnits / s.customers).toFixed(2)}`,
    );
    line('state transitions', `${night.work.stepFunctions.stateTransitions}`);
  } finally {
    await session.close();
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchPipeline();
