import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../cli/local/browser.js';
import { pushCampaignFiles } from '../../cli/local/campaigns.js';
import { writeOutbox } from '../../cli/local/outbox.js';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { startUnsubscribeServer, type UnsubscribeServer } from '../../cli/local/unsubscribeServer.js';
import { documentClient } from '../../functions/adapters/clients.js';
import type { CustomerRecord } from '../../functions/adapters/customerStore.js';
import type { LedgerEntry } from '../../functions/adapters/ledgerStore.js';
import { loadUnsubscribeKeys } from '../../functions/adapters/unsubscribeKeys.js';
import { signUnsubscribeToken } from '../../functions/domain/delivery/unsubscribeToken.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

// The preference centre end to end on the embedded services: a person opens the link of a real
// outbox email in headless Chromium and changes a preference; customers pause, choose "a month" or
// switch a topic off through the same endpoint; the next night honours each choice.

const NIGHT_1 = '2026-11-20';
/** 10 days later: past the shop's 7-day cap, within "a month" and within a pause taken today. */
const NIGHT_2 = '2026-11-30';
/**
 * A newsletter-like campaign for everyone (topic `offers`, capped at one a day) beside the examples:
 * without a preference, every customer mailed on night 1 is mailed again on night 2, so each check
 * below is about customers who would otherwise get an email.
 */
const WEEKLY_NEWS = `id: weekly-news
name: Weekly news
owner: test@example.com
status: active
schedule: { start: 2025-01-01 }
priority: 1
holdoutPercent: 0
frequencyCapDays: 1
consentTopic: offers
segments:
  - id: everyone
    audience: { orderCount: { gte: 0 } }
    offer: { subject: "This week at the shop", html: "<p>New this week.</p>", text: New this week. }
`;
/** The campaigns whose consent topic is \`offers\`. */
const OFFERS = new Set(['win-back', 'at-risk-save', 'cant-lose-them', 'second-order-nudge', 'weekly-news']);

interface Mail {
  to: string;
  customerId: string;
  campaignId: string;
  url: string;
}

async function scanAll(table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await documentClient().send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** What a person's browser would submit from the page as shown, with `changes` on top. */
async function submitFromPage(url: string, changes: Record<string, string | undefined>): Promise<Response> {
  const html = await (await fetch(url)).text();
  const fields = new URLSearchParams();
  for (const m of html.matchAll(
    /<input type="(checkbox|radio|hidden)" (?:id="[^"]*" )?name="([^"]+)" value="([^"]*)"( checked)?/g,
  )) {
    if (m[1] === 'hidden' || m[4]) fields.set(m[2]!, m[3]!.replace(/&amp;/g, '&'));
  }
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) fields.delete(k);
    else fields.set(k, v);
  }
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: new URL(url).origin },
    body: fields.toString(),
  });
}

describe('preference centre, end to end', () => {
  let session: LocalSession;
  let server: UnsubscribeServer;
  let home: string;
  let close: () => Promise<void>;
  let mails: Mail[] = [];
  const customers = async () =>
    new Map(
      (await scanAll(session.tables.customers)).map((c) => [
        String(c.customerId),
        c as unknown as CustomerRecord,
      ]),
    );

  beforeAll(async () => {
    server = await startUnsubscribeServer({ port: 0 });
    // Links of NIGHT_1 stay able to change preferences whenever this test runs.
    ({ session, home, close } = await openTestSession('prefs', {
      UNSUBSCRIBE_BASE_URL: server.url,
      PREFERENCE_LINK_MAX_AGE_DAYS: '36500',
    }));
    await seedWithExamples(session, { customers: 300, seed: 5, asOf: NIGHT_1 });
    const news = join(home, 'weekly-news.yaml');
    writeFileSync(news, WEEKLY_NEWS);
    const pushed = await pushCampaignFiles(session.campaigns, [news], 'test');
    expect(
      pushed.every((p) => p.ok),
      JSON.stringify(pushed),
    ).toBe(true);
    const since = Math.floor(Date.now() / 1000) - 1;
    await runNight({ runDate: NIGHT_1 });
    const files = await writeOutbox(session.services.sesEndpoint, join(home, 'outbox', NIGHT_1), since);
    const ledger = (await scanAll(session.tables.ledger)) as unknown as LedgerEntry[];
    const byCustomer = new Map(
      [...(await customers()).values()].map((c) => [c.profile.email.toLowerCase(), c.customerId]),
    );
    mails = [];
    for (const file of files.sort()) {
      const parsed = await simpleParser(readFileSync(file));
      const to = (Array.isArray(parsed.to) ? parsed.to[0] : parsed.to)!.value[0]!.address!.toLowerCase();
      const customerId = byCustomer.get(to)!;
      const entry = ledger.find(
        (e) => e.runDate === NIGHT_1 && e.customerId === customerId && e.status === 'sent',
      )!;
      const header = parsed.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
      mails.push({ to, customerId, campaignId: entry.campaignId, url: /<([^>]+)>/.exec(header)![1]! });
    }
    expect(mails.length).toBeGreaterThanOrEqual(20);
  });

  afterAll(async () => {
    await server?.close();
    await close?.();
  });

  it('headless Chromium: open the link of an outbox email, change preferences, submit, consent is stored', async () => {
    const mail = mails.find((m) => OFFERS.has(m.campaignId))!;
    const local = await launchChromium();
    try {
      const page = await local.browser.newPage({
        viewport: { width: 375, height: 800 },
        javaScriptEnabled: false,
      });
      const opened = await page.goto(mail.url);
      expect(opened?.status()).toBe(200);
      await expect(page.title()).resolves.toBe('Your email preferences');
      // Fits a phone: nothing wider than the screen.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      const offers = page.getByLabel('Offers and discounts');
      expect(await offers.isChecked()).toBe(true);
      await offers.uncheck();
      await page.getByLabel('At most one email a month').check();
      const [response] = await Promise.all([
        page.waitForNavigation(),
        page.getByRole('button', { name: 'Save my choices' }).click(),
      ]);
      expect(response?.status()).toBe(200);
      await expect(page.getByRole('status').first().textContent()).resolves.toContain(
        'Your choices are saved',
      );
      // The page shows the stored choices again.
      expect(await page.getByLabel('Offers and discounts').isChecked()).toBe(false);
      expect(await page.getByLabel('At most one email a month').isChecked()).toBe(true);
    } finally {
      await local.close();
    }
    const stored = (await customers()).get(mail.customerId)!;
    expect(stored.preferences).toMatchObject({ version: 1, topics: { offers: false }, frequency: 'monthly' });
    expect(stored.preferences?.history[0]).toMatchObject({
      changeId: `${mail.customerId}#1`,
      source: `preference-centre:${mail.campaignId}`,
      changes: [
        { field: 'topics.offers', from: true, to: false },
        { field: 'frequency', from: null, to: 'monthly' },
      ],
    });
    expect(Date.parse(stored.preferences!.history[0]!.at)).toBeGreaterThan(Date.now() - 60_000);
    // The imported consent is kept as it was; only the centre's choice overrides it.
    expect(stored.profile.consent.topics.offers).toBe(true);
  });

  it('a forged cross-site form POST and an unknown topic change nothing', async () => {
    const mail = mails.at(-1)!;
    const before = (await customers()).get(mail.customerId)?.preferences;
    const forged = await fetch(mail.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: 'https://evil.example',
        'Sec-Fetch-Site': 'cross-site',
      },
      body: 'action=save&pause=on',
    });
    expect(forged.status).toBe(403);
    const unknown = await submitFromPage(mail.url, { action: 'save', topic_lottery: 'on' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('unknown topic &quot;lottery&quot;');
    expect((await customers()).get(mail.customerId)?.preferences).toEqual(before);
  });

  it('"unsubscribe from this topic" switches off the topic of the email; a token of no customer gets 404', async () => {
    const mail = [...mails]
      .reverse()
      .find((m) => OFFERS.has(m.campaignId) && m.campaignId !== 'weekly-news')!;
    const res = await submitFromPage(mail.url, { action: 'unsubscribe_topic' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are unsubscribed from Offers and discounts');
    const stored = (await customers()).get(mail.customerId)!.preferences!;
    expect(stored.topics).toEqual({ offers: false });
    expect(stored.history.at(-1)?.source).toBe(`preference-centre:${mail.campaignId}`);
    const ring = await loadUnsubscribeKeys(session.config);
    const ghost = signUnsubscribeToken(ring, { customerId: 'no-such-customer', issuedAt: NIGHT_1 });
    const page = await fetch(`${server.url}?token=${ghost}`);
    expect(page.status).toBe(404);
    expect((await customers()).has('no-such-customer')).toBe(false);
  });

  it('the second night honours a pause, "at most one a month" and a topic switched off', async () => {
    const night1 = await customers();
    // One email per customer: a customer mailed by two campaigns would otherwise land in two groups
    // (or twice in one), and the outbox order is not fixed.
    const picked = new Set<string>();
    const free = mails
      .filter((m) => !night1.get(m.customerId)?.preferences)
      .sort((a, b) => a.customerId.localeCompare(b.customerId))
      .filter((m) => !picked.has(m.customerId) && picked.add(m.customerId));
    expect(free.length).toBeGreaterThanOrEqual(40);
    const paused = free.slice(0, 5);
    const monthly = free.slice(5, 10);
    const topicOff = free.slice(10, 15);
    const control = free.slice(15);
    for (const m of paused)
      expect((await submitFromPage(m.url, { action: 'save', pause: 'on' })).status).toBe(200);
    for (const m of monthly) {
      expect((await submitFromPage(m.url, { action: 'save', frequency: 'monthly' })).status).toBe(200);
    }
    for (const m of topicOff) {
      const res = await submitFromPage(m.url, { action: 'save', topic_offers: undefined });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Your choices are saved');
    }

    const before = new Set(
      (
        (await (await fetch(`${session.services.sesEndpoint}/store`)).json()) as {
          emails: { messageId: string }[];
        }
      ).emails.map((e) => e.messageId),
    );
    // A customer queued tonight pauses while the send stage is about to start: the check right
    // before sending stops that email too.
    let midRun: LedgerEntry | undefined;
    const wrap = (name: string, h: (e: unknown, c: never) => Promise<unknown>) =>
      name !== 'sendSegment'
        ? h
        : async (e: unknown, c: never) => {
            if (!midRun) {
              const queued = ((await scanAll(session.tables.ledger)) as unknown as LedgerEntry[]).filter(
                (x) => x.runDate === NIGHT_2 && x.status === 'queued',
              );
              midRun = queued.find((x) => control.some((m) => m.customerId === x.customerId))!;
              const mail = control.find((m) => m.customerId === midRun!.customerId)!;
              expect((await submitFromPage(mail.url, { action: 'save', pause: 'on' })).status).toBe(200);
            }
            return h(e, c);
          };
    const night2Result = await runNight({ runDate: NIGHT_2, wrapHandler: wrap as never });
    const store = (await (await fetch(`${session.services.sesEndpoint}/store`)).json()) as {
      emails: { messageId: string; destination: { to: string[] } }[];
    };
    const recipients = new Set(
      store.emails
        .filter((e) => !before.has(e.messageId))
        .flatMap((e) => e.destination.to.map((t) => t.toLowerCase())),
    );
    const night2 = await customers();
    const decisionOf = (m: Mail) => night2.get(m.customerId)!.night!.decision;
    const ledger2 = ((await scanAll(session.tables.ledger)) as unknown as LedgerEntry[]).filter(
      (e) => e.runDate === NIGHT_2,
    );

    // Without a preference, the customers mailed on night 1 are mailed again (so the checks below can fail).
    expect(control.filter((m) => recipients.has(m.to)).length).toBeGreaterThanOrEqual(control.length * 0.8);
    expect(midRun).toBeDefined();
    expect(recipients.has(control.find((m) => m.customerId === midRun!.customerId)!.to)).toBe(false);
    expect(ledger2.find((e) => e.sendKey === midRun!.sendKey)).toMatchObject({ status: 'skipped' });
    expect(ledger2.find((e) => e.sendKey === midRun!.sendKey)?.reason).toMatch(/^emails paused until /);

    for (const m of paused) {
      expect(recipients.has(m.to)).toBe(false);
      expect(decisionOf(m).outcome).toBe('paused');
    }
    // 10 days after the last email the shop's 7-day cap is over: a global cap tonight is the customer's own.
    // A customer cooling down after a send keeps night 1 on its record (nightWriteReason skips the
    // rewrite), so the night's counts say why, and a record written tonight must say the same.
    const globalCapLosses = Object.entries(night2Result.summary.losers)
      .filter(([key]) => key.endsWith(':global_cap'))
      .reduce((n, [, count]) => n + count, 0);
    expect(globalCapLosses).toBeGreaterThanOrEqual(monthly.length);
    for (const m of monthly) {
      expect(recipients.has(m.to)).toBe(false);
      const stored = night2.get(m.customerId)!.night!;
      if (stored.runDate === NIGHT_2) {
        expect(stored.decision.outcome).toBe('capped');
        expect(stored.decision.losers?.some((l) => l.reason === 'global_cap')).toBe(true);
      }
    }
    for (const m of topicOff) {
      const offersSent = ledger2.filter(
        (e) => e.customerId === m.customerId && OFFERS.has(e.campaignId) && e.status !== 'skipped',
      );
      expect(offersSent).toEqual([]);
      expect(decisionOf(m).losers?.find((l) => l.campaignId === 'weekly-news')?.reason).toBe('no_consent');
    }
  });
});
