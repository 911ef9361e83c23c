import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStoredReport } from '../cli/commands/report.js';
import { exampleCampaignFiles, pushCampaignFiles } from '../cli/local/campaigns.js';
import { runNight } from '../cli/local/runNight.js';
import { openLocalSession } from '../cli/local/session.js';
import { seedPopulation } from '../cli/seed/load.js';
import { Random } from '../cli/seed/random.js';
import { orderAttribution } from '../functions/adapters/attributionStore.js';
import { documentClient } from '../functions/adapters/clients.js';
import { LedgerStore } from '../functions/adapters/ledgerStore.js';
import { ReportSource } from '../functions/adapters/reportSource.js';
import { workCounts } from '../functions/adapters/workCounters.js';
import { LEDGER_STATUSES } from '../functions/domain/delivery/ledger.js';
import { importOrders } from '../functions/domain/ingest/importService.js';
import { compareArms } from '../functions/domain/measurement/compareArms.js';
import { addDays } from '../functions/domain/night/dates.js';

/**
 * The report's cost for one night of N customers (default 100,000): seeds, runs the night through the
 * real state machine, imports a response for part of the decided customers through the same import
 * (with attribution) as `retention import orders`, then times the report. The report reads the
 * config table only, O(nights × campaigns), so its time should not follow N; the import's does.
 */
export async function benchReport(
  customers = Number(process.env.BENCH_REPORT_CUSTOMERS ?? 100_000),
): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'retention-bench-report-'));
  const session = await openLocalSession({ home, persist: false });
  const line = (k: string, v: string) => process.stdout.write(`  ${k.padEnd(34)} ${v}\n`);
  try {
    const runDate = '2026-11-20';
    const db = documentClient();
    await seedPopulation(db, session.tables, {
      customers,
      seed: 7,
      asOf: runDate,
      orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
    });
    await pushCampaignFiles(session.campaigns, await exampleCampaignFiles(process.cwd()), 'bench');
    const night = await runNight({ runDate });

    // Responses: treatment buys with 8 %, the others with 5 %, within the 14-day window.
    const ledger = new LedgerStore(db, session.tables);
    const random = new Random(11);
    const rows: string[] = ['order_id,customer_id,date,amount'];
    let decisions = 0;
    for (let segment = 0; segment < session.config.TOTAL_SEGMENTS; segment++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await ledger.pageKeysByShard({
          runDate,
          segment,
          statuses: LEDGER_STATUSES,
          limit: 1000,
          startKey,
        });
        const entries = await ledger.getMany(page.sendKeys);
        for (const e of entries.values()) {
          decisions++;
          const p = e.status === 'held_out' || e.status === 'global_control' ? 0.05 : 0.08;
          if (random.chance(p))
            rows.push(
              `bench-${e.customerId},${e.customerId},${addDays(runDate, random.int(0, 14))},${random.int(20, 120)}.00`,
            );
        }
        startKey = page.lastKey;
      } while (startKey);
    }
    const importStarted = performance.now();
    const imported = await importOrders('responses.csv', `${rows.join('\n')}\n`, session.customers, {
      retentionDays: session.config.ORDER_RETENTION_DAYS,
      attribution: orderAttribution(db, session.config),
    });
    const importMs = performance.now() - importStarted;
    if (!imported.ok)
      throw new Error(`bench responses rejected: ${JSON.stringify(imported.problems.slice(0, 3))}`);

    const source = new ReportSource(db, session.tables.config);
    const options = {
      from: runDate,
      to: runDate,
      cwd: home,
      attributionDays: session.config.ATTRIBUTION_WINDOW_DAYS,
    };
    await buildStoredReport(source, options, compareArms); // warm-up
    const callsBefore = Object.values(workCounts.dynamodb.calls).reduce((a, b) => a + b, 0);
    const runs = 20;
    const started = performance.now();
    let report: Awaited<ReturnType<typeof buildStoredReport>> | undefined;
    for (let i = 0; i < runs; i++) report = await buildStoredReport(source, options, compareArms);
    const reportMs = (performance.now() - started) / runs;
    const calls = (Object.values(workCounts.dynamodb.calls).reduce((a, b) => a + b, 0) - callsBefore) / runs;
    const thirty = { ...options, from: addDays(runDate, -29) };
    const thirtyStarted = performance.now();
    await buildStoredReport(source, thirty, compareArms);
    const thirtyMs = performance.now() - thirtyStarted;

    process.stdout.write(
      `\nreport, one night of ${customers.toLocaleString('en')} customers (in-memory dynalite in a child process)\n`,
    );
    line('night wall time', `${(night.wallMs / 1000).toFixed(1)} s`);
    line(
      'decisions / response orders',
      `${decisions.toLocaleString('en')} / ${(rows.length - 1).toLocaleString('en')}`,
    );
    line(
      'order import with attribution',
      `${(importMs / 1000).toFixed(1)} s (${Math.round((rows.length - 1) / (importMs / 1000))} orders/s, ${imported.attributed} attributed)`,
    );
    line('report, 1 night', `${reportMs.toFixed(1)} ms (${calls.toFixed(0)} DynamoDB requests)`);
    line('report, 30-night window', `${thirtyMs.toFixed(1)} ms`);
    line('campaigns in the report', `${report?.campaigns.length ?? 0}`);
  } finally {
    await session.close();
    rmSync(home, { recursive: true, force: true });
  }
}
