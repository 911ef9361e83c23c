import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStoredReport } from '../../cli/commands/report.js';
import { pushCampaignFiles } from '../../cli/local/campaigns.js';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { formatReport } from '../../cli/report/reportText.js';
import { seedPopulation } from '../../cli/seed/load.js';
import { orderAttribution } from '../../functions/adapters/attributionStore.js';
import { documentClient } from '../../functions/adapters/clients.js';
import { LedgerStore, ledgerKey } from '../../functions/adapters/ledgerStore.js';
import { ReportSource } from '../../functions/adapters/reportSource.js';
import { customerSubject, SuppressionStore } from '../../functions/adapters/suppressionStore.js';
import { importOrders } from '../../functions/domain/ingest/importService.js';
import { compareArms } from '../../functions/domain/measurement/compareArms.js';
import { openTestSession } from '../support/localWorld.js';
import { simulatedResponses } from '../support/responses.js';

// One campaign for everybody with a 50 % holdout, so both arms are large enough to measure; a
// global control of 10 % for the program line.
const CAMPAIGN = `id: everyone
name: Everyone
owner: test@example.com
status: active
schedule: { start: 2025-01-01 }
priority: 10
holdoutPercent: 50
frequencyCapDays: 0
segments:
  - id: all
    audience: { totalSpent: { gte: 0 } }
    offer:
      subject: Hello
      html: "<p>Hello there</p>"
      text: Hello
`;

const RUN_DATE = '2026-11-20';
const CUSTOMERS = 2_000;

async function nightWithResponses(name: string, uplift: number, seed: number) {
  const world = await openTestSession(name, { GLOBAL_CONTROL_PERCENT: '10' });
  const session: LocalSession = world.session;
  const dir = mkdtempSync(join(tmpdir(), 'retention-report-campaign-'));
  const file = join(dir, 'everyone.yaml');
  writeFileSync(file, CAMPAIGN);
  const db = documentClient();
  await seedPopulation(db, session.tables, {
    customers: CUSTOMERS,
    seed,
    asOf: RUN_DATE,
    orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
  });
  const pushed = await pushCampaignFiles(session.campaigns, [file], 'test');
  expect(pushed.every((p) => p.ok)).toBe(true);
  rmSync(dir, { recursive: true, force: true });
  // Suppressed customers leave every arm alike (a holdout keeping them would bias the uplift).
  const suppression = new SuppressionStore(db, session.tables, session.config.ERASURE_SALT);
  const suppressed = Array.from({ length: 150 }, (_, i) => `C${String(i * 20 + 1).padStart(7, '0')}`);
  for (const id of suppressed)
    await suppression.suppress(customerSubject(id), 'unsubscribed', 'test', new Date());
  const night = await runNight({ runDate: RUN_DATE });
  const ledgerKeys = suppressed.map((id) => ledgerKey(RUN_DATE, 'everyone', id));
  expect([...(await new LedgerStore(db, session.tables).getMany(ledgerKeys)).values()]).toEqual([]);
  const orders = await simulatedResponses(db, session, RUN_DATE, { base: 0.1, uplift, seed });
  const imported = await importOrders('responses.csv', orders.csv, session.customers, {
    retentionDays: session.config.ORDER_RETENTION_DAYS,
    attribution: orderAttribution(db, session.config),
  });
  expect(imported.ok).toBe(true);
  const report = await buildStoredReport(
    new ReportSource(db, session.tables.config),
    {
      from: RUN_DATE,
      to: RUN_DATE,
      cwd: world.home,
      attributionDays: session.config.ATTRIBUTION_WINDOW_DAYS,
    },
    compareArms,
  );
  return { world, night, orders, imported, report };
}

describe('did it work? a local night, simulated responses with a known uplift, the report', () => {
  let effect: Awaited<ReturnType<typeof nightWithResponses>>;
  let none: Awaited<ReturnType<typeof nightWithResponses>>;
  beforeAll(async () => {
    effect = await nightWithResponses('report-effect', 0.1, 5);
    await effect.world.close();
    none = await nightWithResponses('report-none', 0, 6);
    await none.world.close();
  }, 600_000);
  afterAll(async () => {
    await effect?.world.close().catch(() => undefined);
    await none?.world.close().catch(() => undefined);
  });

  it('recovers a 10-point uplift inside its interval and calls it significant', () => {
    const c = effect.report.campaigns.find((x) => x.campaignId === 'everyone');
    expect(c).toBeDefined();
    const summary = effect.night.summary.campaigns.find((x) => x.campaignId === 'everyone')!;
    // Group sizes come from the night; every response order of a decided customer is attributed.
    expect(c!.treatment.customers).toBe(summary.send);
    expect(c!.holdout.customers).toBe(summary.holdout);
    expect(c!.treatment.customers).toBeGreaterThan(600);
    expect(c!.holdout.customers).toBeGreaterThan(600);
    expect(effect.imported.attributed).toBe(effect.orders.inWindow);
    expect(c!.treatment.orders + c!.holdout.orders + effect.report.program.holdout.orders).toBe(
      effect.orders.inWindow,
    );
    const u = c!.uplift!.conversionRate;
    expect(u.ciLow).toBeLessThan(0.1);
    expect(u.ciHigh).toBeGreaterThan(0.1);
    expect(u.ciLow).toBeGreaterThan(0);
    expect(c!.verdict).toBe('significant');
    expect(c!.nights.map((n) => n.runDate)).toEqual([RUN_DATE]);
    expect(c!.segments.map((s) => s.segmentId)).toEqual(['all']);
    expect(c!.engagement.sent).toBe(summary.sent);
    // The program compares against the global control group (10 % of the matched customers).
    expect(effect.report.program.holdout.customers).toBe(summary.globalControl);
    expect(formatReport(effect.report)).toContain('Campaign everyone (attribution 14 days)');
    process.stdout.write(
      `report e2e: treated ${c!.treatment.customers}, held out ${c!.holdout.customers}, uplift ${c!.uplift!.conversionRate.absolute.toFixed(3)} [${u.ciLow.toFixed(3)}, ${u.ciHigh.toFixed(3)}]\n`,
    );
  });

  it('with no uplift, finds nothing: not significant, the interval covers 0', () => {
    const c = none.report.campaigns.find((x) => x.campaignId === 'everyone')!;
    const u = c.uplift!.conversionRate;
    expect(u.ciLow).toBeLessThan(0);
    expect(u.ciHigh).toBeGreaterThan(0);
    expect(c.verdict).toBe('not_significant');
    expect(c.neededPerGroup).toBeGreaterThan(0);
    process.stdout.write(
      `report e2e, no uplift: ${c.treatment.customers} / ${c.holdout.customers}, uplift ${u.absolute.toFixed(3)} [${u.ciLow.toFixed(3)}, ${u.ciHigh.toFixed(3)}]\n`,
    );
  });
});
