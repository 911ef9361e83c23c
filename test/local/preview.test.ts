import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleCampaignFiles, pushCampaignFiles } from '../../cli/local/campaigns.js';
import { formatPreview, type PreviewReport, previewCampaign } from '../../cli/local/preview.js';
import { runNight } from '../../cli/local/runNight.js';
import { type LocalSession, openLocalSession } from '../../cli/local/session.js';
import { seedPopulation } from '../../cli/seed/load.js';
import { documentClient } from '../../functions/adapters/clients.js';
import type { CustomerRecord } from '../../functions/adapters/customerStore.js';
import { aggregateOrders } from '../../functions/domain/ingest/aggregates.js';
import type { CustomerProfile } from '../../functions/domain/types.js';

// A Monday: win-back (mon, wed) is live, second-order-nudge (tue, thu) is not.
const RUN_DATE = '2026-11-16';

function crafted(
  customerId: string,
  profile: Partial<CustomerProfile>,
  orders: { date: string; amount: number }[],
): CustomerRecord {
  const facts = orders.map((o, i) => ({ orderId: `${customerId}-O${i + 1}`, ...o }));
  return {
    customerId,
    profile: {
      customerId,
      email: `${customerId.toLowerCase()}@example.com`,
      firstName: 'Test',
      country: 'DE',
      language: 'de',
      timeZone: 'Europe/Berlin',
      signupDate: '2024-01-10',
      consent: { email: true, topics: { offers: true, birthday: true } },
      attributes: {},
      ...profile,
    },
    aggregates: aggregateOrders(facts, 'EUR'),
    aggVersion: facts.length,
    recentOrderIds: facts.map((f) => f.orderId),
    contact: { lastByCampaign: {} },
  };
}

const ORDERS = [
  { date: '2025-03-02', amount: 40 },
  { date: '2025-08-14', amount: 55 },
  { date: '2026-10-28', amount: 61 },
];

async function scanCustomers(session: LocalSession): Promise<CustomerRecord[]> {
  const out: CustomerRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new ScanCommand({ TableName: session.tables.customers, ExclusiveStartKey: startKey }),
    );
    out.push(...((page.Items ?? []) as CustomerRecord[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return out;
}

function expectConsistent(report: PreviewReport): void {
  const keys = [
    'send',
    'holdout',
    'globalControl',
    'lostToOtherCampaign',
    'frequencyCap',
    'globalCap',
    'noEmailConsent',
    'noTopicConsent',
    'suppressed',
  ] as const;
  for (const s of report.segments) {
    expect(
      keys.reduce((n, k) => n + s[k], 0),
      s.segmentId,
    ).toBe(s.audience);
  }
  for (const k of [...keys, 'audience'] as const) {
    expect(
      report.segments.reduce((n, s) => n + s[k], 0),
      k,
    ).toBe(report.total[k]);
  }
  expect(Object.values(report.lostTo).reduce((a, b) => a + b, 0)).toBe(report.total.lostToOtherCampaign);
}

describe('campaign preview on seeded local data, and the example campaigns in a real night', () => {
  let session: LocalSession;
  let home: string;
  let atRisk: PreviewReport;
  let everyone: PreviewReport;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'retention-preview-'));
    session = await openLocalSession({ home, persist: false });
    await seedPopulation(documentClient(), session.tables, {
      customers: 300,
      seed: 42,
      asOf: RUN_DATE,
      orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
    });
    await session.customers.bulkPut([
      // Birthday in three days, has ordered, consents to the birthday topic: birthday (priority 90) wins.
      crafted('XBDAY1', { birthDate: '1990-11-19' }, ORDERS),
      // The same without birthday-topic consent: birthday must not be chosen.
      crafted(
        'XBDAY2',
        { birthDate: '1991-11-18', consent: { email: true, topics: { offers: true, birthday: false } } },
        ORDERS,
      ),
      // Signed up three days ago, no order yet: welcome / signed-up-no-order.
      crafted('XNEW1', { signupDate: '2026-11-13', birthDate: '1980-05-05' }, []),
    ]);
    const pushed = await pushCampaignFiles(
      session.campaigns,
      await exampleCampaignFiles(process.cwd()),
      'test',
    );
    expect(pushed.every((p) => p.ok)).toBe(true);
  });

  afterAll(async () => {
    await session?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('previews a campaign: audiences per segment add up, and HTML samples with the footer are written', async () => {
    const result = await previewCampaign(session, {
      file: 'examples/campaigns/at-risk-save.yaml',
      runDate: RUN_DATE,
      sample: 3,
    });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    atRisk = result.report;
    expect(atRisk.customers).toBe(303);
    expect(atRisk.scored).toBeGreaterThan(200);
    expect(atRisk.modelProblem).toBeUndefined();
    expect(atRisk.otherCampaigns.map((c) => c.campaignId).sort()).toEqual([
      'birthday',
      'cant-lose-them',
      'second-order-nudge',
      'vip-thank-you',
      'welcome',
      'win-back',
    ]);
    expect(atRisk.segments.map((s) => s.segmentId)).toEqual(['high-value', 'rest']);
    expect(atRisk.total.audience).toBeGreaterThan(0);
    expect(atRisk.total.send).toBeGreaterThan(0);
    expectConsistent(atRisk);

    expect(atRisk.samples).toHaveLength(Math.min(3, atRisk.total.audience));
    for (const sample of atRisk.samples) {
      expect(sample.error).toBeUndefined();
      expect(sample.htmlPath!.startsWith(join(home, 'previews', 'at-risk-save'))).toBe(true);
      const html = readFileSync(sample.htmlPath!, 'utf8');
      expect(html).toContain('48 Wharf Street'); // the footer's postal address (the brand's sender)
      expect(html).toMatch(/<a href="http:\/\/127\.0\.0\.1:\d+\/u\?token=preview"[^>]*>Unsubscribe<\/a>/);
      expect(html).toContain(`Subject: ${sample.subject}`);
      expect(readFileSync(sample.textPath!, 'utf8')).toContain('48 Wharf Street');
    }
    // Would-be recipients come first.
    expect(atRisk.samples[0]!.outcome).toBe('would be sent');
    // A preview stores nothing on the customers.
    expect((await scanCustomers(session)).some((c) => c.night !== undefined)).toBe(false);
  });

  it('with screenshots: four PNGs per sample (phone and desktop, light and dark), listed in the report', async () => {
    const result = await previewCampaign(session, {
      file: 'examples/campaigns/at-risk-save.yaml',
      runDate: RUN_DATE,
      sample: 1,
      screenshots: true,
    });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const [sample] = result.report.samples;
    expect(sample?.screenshots?.map((p) => p.slice(p.lastIndexOf('.', p.length - 5) + 1))).toEqual([
      'phone-light.png',
      'phone-dark.png',
      'desktop-light.png',
      'desktop-dark.png',
    ]);
    for (const png of sample!.screenshots!) expect(readFileSync(png).readUInt32BE(20)).toBeGreaterThan(600);
    expect(formatPreview(result.report)).toContain('screenshot ');
  }, 60_000);

  it('counts exclusions and losses to other campaigns for a catch-all draft campaign', async () => {
    const file = join(home, 'everyone.yaml');
    writeFileSync(
      file,
      `id: everyone
name: Everyone
owner: test@example.com
status: draft
schedule: { start: 2025-01-01 }
priority: 1
holdoutPercent: 0
frequencyCapDays: 7
segments:
  - id: all
    audience: { all: [] }
    offer: { subject: "Hi {{ customer.firstName }}", html: "<p>Hi</p>", text: Hi }
`,
    );
    const result = await previewCampaign(session, { file, runDate: RUN_DATE, sample: 0 });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    everyone = result.report;
    expectConsistent(everyone);
    expect(everyone.notes.join('\n')).toContain('status is draft');
    expect(everyone.total.audience).toBe(303);
    const customers = await scanCustomers(session);
    expect(everyone.total.noEmailConsent).toBe(customers.filter((c) => !c.profile.consent.email).length);
    expect(everyone.total.noEmailConsent).toBeGreaterThan(0);
    expect(everyone.total.noTopicConsent).toBe(0); // the campaign has no consent topic
    expect(everyone.total.lostToOtherCampaign).toBeGreaterThan(0);
    expect(everyone.total.send).toBeGreaterThan(0);
    expect(
      Object.keys(everyone.lostTo).every((id) => everyone.otherCampaigns.some((c) => c.campaignId === id)),
    ).toBe(true);
    expect(everyone.samples).toEqual([]);
  });

  it('a real night with the example campaigns targets the audiences their files describe, as previewed', async () => {
    const result = await runNight({ runDate: RUN_DATE });
    expect(result.summary.customers).toBe(303);
    const customers = await scanCustomers(session);
    const byId = new Map(customers.map((c) => [c.customerId, c]));
    const chosen = (campaignId: string) =>
      customers.filter((c) => {
        const d = c.night!.decision;
        return (
          d.campaignId === campaignId &&
          (d.outcome === 'send' || d.outcome === 'holdout' || d.outcome === 'global_control')
        );
      });

    // The preview decided like the night: same at-risk-save outcomes, same customers won by other campaigns.
    const atRiskChosen = chosen('at-risk-save');
    expect(atRiskChosen.length).toBe(atRisk.total.send + atRisk.total.holdout + atRisk.total.globalControl);
    expect(customers.filter((c) => c.night!.lifeStage === 'at_risk').length).toBe(atRisk.total.audience);
    const wonByOthers = customers.filter((c) => c.night!.decision.campaignId !== undefined).length;
    expect(everyone.total.lostToOtherCampaign).toBe(wonByOthers);

    // at-risk-save only at-risk customers, with offers consent.
    expect(atRiskChosen.length).toBeGreaterThan(0);
    for (const c of atRiskChosen) {
      expect(c.night!.lifeStage).toBe('at_risk');
      expect(c.profile.consent.topics.offers).toBe(true);
    }
    // welcome: sign-ups without orders (or a stage change to new, for first-time buyers).
    const welcome = chosen('welcome');
    expect(welcome.map((c) => c.customerId)).toContain('XNEW1');
    for (const c of welcome) {
      if (c.night!.decision.segmentId === 'signed-up-no-order') expect(c.aggregates.orderCount).toBe(0);
      else expect(c.night!.signals.some((s) => s.type === 'stage_changed')).toBe(true);
    }
    // birthday: a birthday signal tonight, birthday-topic consent and at least one order.
    const birthday = chosen('birthday');
    expect(birthday.map((c) => c.customerId)).toContain('XBDAY1');
    for (const c of birthday) {
      expect(c.night!.signals.some((s) => s.type === 'birthday')).toBe(true);
      expect(c.profile.consent.topics.birthday).toBe(true);
      expect(c.aggregates.orderCount).toBeGreaterThan(0);
    }
    expect(byId.get('XBDAY2')!.night!.decision.campaignId).not.toBe('birthday');
    expect(byId.get('XBDAY2')!.night!.decision.losers).toContainEqual({
      campaignId: 'birthday',
      reason: 'no_consent',
    });
    // Nobody without email consent is chosen; second-order-nudge is not live on a Monday.
    for (const c of customers) {
      if (c.night!.decision.campaignId) expect(c.profile.consent.email).toBe(true);
    }
    expect(chosen('second-order-nudge')).toHaveLength(0);
  });
});
