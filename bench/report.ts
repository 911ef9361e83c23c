import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStoredReport } from '../cli/commands/report.js';
import { exampleCampaignFiles, pushCampaignFiles } from '../cli/local/campaigns.js';
import { nightDecisions } from '../cli/local/decisions.js';
import { runNight } from '../cli/local/runNight.js';
import { openLocalSession } from '../cli/local/session.js';
import { seedPopulation } from '../cli/seed/load.js';
import { DEFAULT_ORDER_VALUE, simulateResponse } from '../cli/seed/responseSimulator.js';
import { orderAttribution } from '../functions/adapters/attributionStore.js';
import { documentClient } from '../functions/adapters/clients.js';
import { ReportSource } from '../functions/adapters/reportSource.js';
import { workCounts } from '../functions/adapters/workCounters.js';
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

    // Responses from the project's simulator: 5 % of every arm buys, treatment 3 points more.
    const rows: string[] = ['order_id,customer_id,date,amount,currency'];
    let decisions = 0;
    for await (const page of await nightDecisions(db, session.tables, runDate)) {
      for (const decision of page) {
        decisions++;
        const order = simulateResponse(decision, {
          runDate,
          baseRate: 0.05,
          extraRateForTreatment: 0.03,
          orderValue: DEFAULT_ORDER_VALUE,
          days: 14,
          seed: 11,
        });
        if (order)
          rows.push(
            `${order.orderId},${order.customerId},${order.date},${order.amount.toFixed(2)},${order.currency}`,
          );
      }
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
