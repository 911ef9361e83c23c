import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleCampaignFiles, pushCampaignFiles } from '../cli/local/campaigns.js';
import { pruneExpired } from '../cli/local/prune.js';
import { runNight } from '../cli/local/runNight.js';
import { openLocalSession } from '../cli/local/session.js';
import { attachSharedDatabase } from '../cli/local/sharedDatabase.js';
import { seedPopulation } from '../cli/seed/load.js';
import { documentClient } from '../functions/adapters/clients.js';
import { forgetPorts } from '../functions/adapters/erasure.js';
import { resetWorkCounts, workCounts } from '../functions/adapters/workCounters.js';
import { forgetCustomer } from '../functions/domain/erasure/forget.js';

const line = (k: string, v: string) => process.stdout.write(`  ${k.padEnd(40)} ${v}\n`);
const ms = (t: number) => `${t.toFixed(0)} ms`;

/**
 * The local runtime's reliability paths: starting and sharing the folder's database server, one
 * erasure (its scans read the whole ledger) and a prune, with the DynamoDB work they cost.
 */
export async function benchLocalRuntime(
  customers = Number(process.env.BENCH_CUSTOMERS ?? 10_000),
): Promise<void> {
  process.stdout.write('\nlocal runtime: shared database, erasure, prune\n');
  const home = mkdtempSync(join(tmpdir(), 'retention-bench-shared-'));
  try {
    for (let i = 1; i <= 3; i++) {
      const t0 = performance.now();
      const a = await attachSharedDatabase({ home, path: join(home, 'db'), command: 'bench a' });
      const t1 = performance.now();
      const b = await attachSharedDatabase({ home, path: join(home, 'db'), command: 'bench b' });
      const t2 = performance.now();
      await b.release();
      const t3 = performance.now();
      await a.release();
      const t4 = performance.now();
      line(
        `round ${i}`,
        `start ${ms(t1 - t0)}, attach ${ms(t2 - t1)}, release ${ms(t3 - t2)}, last release (LevelDB closed) ${ms(t4 - t3)}`,
      );
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }

  const memHome = mkdtempSync(join(tmpdir(), 'retention-bench-forget-'));
  const session = await openLocalSession({ home: memHome, persist: false });
  try {
    const runDate = '2026-11-20';
    await seedPopulation(documentClient(), session.tables, {
      customers,
      seed: 42,
      asOf: runDate,
      orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
    });
    await pushCampaignFiles(session.campaigns, await exampleCampaignFiles(process.cwd()), 'bench');
    await runNight({ runDate });
    const ports = forgetPorts(documentClient(), session.tables, session.config.ERASURE_SALT);
    resetWorkCounts();
    const t0 = performance.now();
    const result = await forgetCustomer(ports, 'C0000042', {
      salt: session.config.ERASURE_SALT,
      now: new Date(),
    });
    const t1 = performance.now();
    line(
      `forget one of ${customers.toLocaleString('en')} customers`,
      `${ms(t1 - t0)}, ${workCounts.dynamodb.readCapacityUnits.toFixed(0)} RCU, ${workCounts.dynamodb.writeCapacityUnits.toFixed(0)} WCU (${result.status})`,
    );
    resetWorkCounts();
    const t2 = performance.now();
    const pruned = await pruneExpired(documentClient(), session.tables, new Date('2036-11-20T00:00:00Z'));
    const t3 = performance.now();
    line(
      'prune everything expired (ten years on)',
      `${ms(t3 - t2)}, ${pruned.scanned.toLocaleString('en')} scanned, ${Object.values(pruned.deleted)
        .reduce((a, b) => a + b, 0)
        .toLocaleString('en')} deleted`,
    );
  } finally {
    await session.close();
    rmSync(memHome, { recursive: true, force: true });
  }
}
