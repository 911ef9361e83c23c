import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type ParsedMail, simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOutbox } from '../../cli/local/outbox.js';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { startUnsubscribeServer, type UnsubscribeServer } from '../../cli/local/unsubscribeServer.js';
import { documentClient } from '../../functions/adapters/clients.js';
import { type LedgerEntry, LedgerStore } from '../../functions/adapters/ledgerStore.js';
import { SendFeedbackStore } from '../../functions/adapters/sendStats.js';
import { loadUnsubscribeKeys } from '../../functions/adapters/unsubscribeKeys.js';
import { parseBrandSource } from '../../functions/domain/campaigns/brand.js';
import { encodeSendTag } from '../../functions/domain/delivery/sendTag.js';
import { SES_TAG_NAMES } from '../../functions/domain/delivery/sesEvents.js';
import {
  buildSesEventBridgeEvent,
  type SimulatedEventType,
} from '../../functions/domain/delivery/simulatedSesEvent.js';
import { signUnsubscribeToken } from '../../functions/domain/delivery/unsubscribeToken.js';
import { processSesEvents } from '../../functions/handlers/sesEvents.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

const EXAMPLE_BRAND_ADDRESS = (() => {
  const parsed = parseBrandSource(readFileSync('examples/brand.yaml', 'utf8'), 'brand.yaml');
  if (!parsed.ok || !parsed.brand.sender) throw new Error('examples/brand.yaml should set sender');
  return parsed.brand.sender.postalAddress;
})();

// Proofs (c) and (d) of docs/delivery.md: opt-outs through the real local endpoint, SES feedback
// through the real handler, and what the outbox emails carry, on the embedded services.

const NIGHT_1 = '2026-11-20';
const NIGHT_2 = '2027-01-20';

interface Mail {
  file: string;
  parsed: ParsedMail;
  to: string;
  customerId: string;
  entry: LedgerEntry;
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

function headerLine(mail: ParsedMail, key: string): string | undefined {
  return mail.headerLines.find((h) => h.key === key)?.line.replace(/\r?\n\s+/g, ' ');
}

describe('opt-outs and SES feedback, end to end on the embedded services', () => {
  let session: LocalSession;
  let server: UnsubscribeServer;
  let home: string;
  let close: () => Promise<void>;
  let mails: Mail[] = [];
  const emailOf = new Map<string, string>();
  const customerOfEmail = new Map<string, string>();

  const suppression = async () =>
    new Map((await scanAll(session.tables.suppression)).map((i) => [String(i.subject), i]));

  function eventFor(mail: Mail, type: SimulatedEventType, extra: { at?: string; transient?: boolean } = {}) {
    return buildSesEventBridgeEvent({
      type,
      messageId: mail.entry.messageId!,
      recipient: mail.to,
      from: `${session.config.SENDER_NAME} <${session.config.SENDER_EMAIL}>`,
      tags: {
        [SES_TAG_NAMES.runDate]: mail.entry.runDate,
        [SES_TAG_NAMES.campaignId]: mail.entry.campaignId,
        [SES_TAG_NAMES.segmentId]: mail.entry.segmentId,
        [SES_TAG_NAMES.sendId]: encodeSendTag(mail.entry.sendKey)!,
      },
      sentAt: mail.entry.finishedAt!,
      ...extra,
    });
  }

  beforeAll(async () => {
    // The endpoint first (on a free port), so the emails of the night point to it.
    server = await startUnsubscribeServer({ port: 0 });
    ({ session, home, close } = await openTestSession('feedback', { UNSUBSCRIBE_BASE_URL: server.url }));
    await seedWithExamples(session, { customers: 600, seed: 5, asOf: NIGHT_1 });
    for (const c of await scanAll(session.tables.customers)) {
      const email = String((c.profile as { email: string }).email).toLowerCase();
      emailOf.set(String(c.customerId), email);
      customerOfEmail.set(email, String(c.customerId));
    }
    const since = Math.floor(Date.now() / 1000) - 1;
    await runNight({ runDate: NIGHT_1 });
    const files = await writeOutbox(session.services.sesEndpoint, join(home, 'outbox', NIGHT_1), since);
    const ledger = (await scanAll(session.tables.ledger)) as unknown as LedgerEntry[];
    const byMessage = new Map(ledger.filter((e) => e.messageId).map((e) => [e.messageId!, e]));
    mails = [];
    for (const file of files.sort()) {
      const parsed = await simpleParser(readFileSync(file));
      const to = (Array.isArray(parsed.to) ? parsed.to[0] : parsed.to)!.value[0]!.address!.toLowerCase();
      const customerId = customerOfEmail.get(to)!;
      const entry = ledger.find(
        (e) => e.runDate === NIGHT_1 && e.customerId === customerId && e.status === 'sent',
      )!;
      expect(byMessage.get(entry.messageId!)).toBe(entry);
      const url =
        /^List-Unsubscribe: <([^>]+)>/.exec(headerLine(parsed, 'list-unsubscribe') ?? '')?.[1] ?? '';
      mails.push({ file, parsed, to, customerId, entry, url });
    }
    expect(mails.length).toBeGreaterThanOrEqual(10);
  });

  afterAll(async () => {
    await server?.close();
    await close?.();
  });

  it('(d) every outbox email parses and carries List-Unsubscribe, List-Unsubscribe-Post and the footer', () => {
    const escaped = server.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    for (const m of mails) {
      expect(headerLine(m.parsed, 'list-unsubscribe')).toMatch(
        new RegExp(`^List-Unsubscribe: <${escaped}\\?token=[\\w.-]+>$`),
      );
      expect(headerLine(m.parsed, 'list-unsubscribe-post')).toBe(
        'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      );
      expect(m.parsed.from?.text).toContain(session.config.SENDER_EMAIL);
      expect(m.parsed.subject?.length ?? 0).toBeGreaterThan(0);
      // Branded campaigns sign with the brand's postal address, the others with the deployment's.
      expect(
        [session.config.POSTAL_ADDRESS, EXAMPLE_BRAND_ADDRESS].some((a) => m.parsed.text?.includes(a)),
      ).toBe(true);
      expect(m.parsed.text).toContain(m.url);
      expect(m.parsed.html || '').toContain(`href="${m.url}"`);
      expect(m.parsed.html || '').toContain('Unsubscribe');
    }
    expect(new Set(mails.map((m) => m.to)).size).toBe(mails.length);
  });

  it('(c) the one-click POST a mailbox provider sends suppresses at once, idempotently', async () => {
    const m = mails[0]!;
    const post = () =>
      fetch(m.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
        redirect: 'manual',
      });
    const first = await post();
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(await first.text()).toContain('unsubscribed');
    const after = await suppression();
    const item = after.get(`customer#${m.customerId}`);
    expect(item?.reason).toBe('unsubscribed');
    expect(String(item?.source)).toBe(`unsubscribe:one-click:${m.entry.campaignId}`);
    const again = await post();
    expect(again.status).toBe(200);
    const later = await suppression();
    expect(later.size).toBe(after.size);
    expect(later.get(`customer#${m.customerId}`)?.createdAt).toBe(item?.createdAt);
  });

  it('(c) a person: GET shows a confirmation form and changes nothing, its POST unsubscribes', async () => {
    const m = mails[1]!;
    const page = await fetch(m.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post"');
    expect(html).not.toContain(m.to);
    expect((await suppression()).has(`customer#${m.customerId}`)).toBe(false);
    const token = new URL(m.url).searchParams.get('token')!;
    const confirm = await fetch(m.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, confirm: 'yes' }).toString(),
    });
    expect(confirm.status).toBe(200);
    expect((await suppression()).get(`customer#${m.customerId}`)?.reason).toBe('unsubscribed');
  });

  it('(c) forged, altered, incomplete or retired-key tokens get 400/403 and change nothing', async () => {
    const victim = mails[2]!;
    const other = mails[3]!;
    const before = await suppression();
    const token = new URL(victim.url).searchParams.get('token')!;
    const [payload, kid, mac] = token.split('.') as [string, string, string];
    const otherMac = new URL(other.url).searchParams.get('token')!.split('.')[2]!;
    const flipped = mac.slice(0, -1) + (mac.endsWith('A') ? 'B' : 'A');
    const cases: [string, number][] = [
      [`${payload}.${kid}.${flipped}`, 403],
      [`${payload}.${kid}.${otherMac}`, 403],
      [`${payload}.retired.${mac}`, 403],
      ['not-a-token', 400],
      ['', 400],
    ];
    for (const [forged, status] of cases) {
      const url = `${server.url}?token=${encodeURIComponent(forged)}`;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect([forged, res.status]).toEqual([forged, status]);
    }
    expect((await fetch(victim.url, { method: 'PUT', body: 'x' })).status).toBe(405);
    expect(
      (
        await fetch(victim.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(415);
    expect((await fetch(`${server.url.replace(/\/u$/, '')}/other`)).status).toBe(404);
    const after = await suppression();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  });

  it('(c) bounces and complaints suppress, events land on the ledger, duplicates count once, unknown shapes are parked', async () => {
    const feedback = new SendFeedbackStore(documentClient(), session.tables);
    const ledger = new LedgerStore(documentClient(), session.tables);
    const [bounced, complained, soft, opened] = [mails[4]!, mails[5]!, mails[6]!, mails[7]!];
    const statsBefore = async (m: Mail) =>
      (await feedback.getStats(m.entry.runDate, m.entry.campaignId))?.counters ?? {};

    const bounceStats = await statsBefore(bounced);
    const bounce = await processSesEvents(eventFor(bounced, 'bounce'));
    expect(bounce).toMatchObject({
      events: 1,
      suppressed: 1,
      ledgerUpdated: 1,
      counted: 1,
      duplicates: 0,
      pending: 0,
    });
    expect((await suppression()).get(`email#${bounced.to}`)?.reason).toBe('hard_bounce');
    expect((await ledger.get(bounced.entry.sendKey)) as unknown as Record<string, unknown>).toMatchObject({
      status: 'sent',
      bounceType: 'Permanent',
    });
    expect((await statsBefore(bounced)).bounce_permanent).toBe((bounceStats.bounce_permanent ?? 0) + 1);

    const complaintStats = await statsBefore(complained);
    const complaint = eventFor(complained, 'complaint');
    expect(await processSesEvents(complaint)).toMatchObject({ suppressed: 1, counted: 1, duplicates: 0 });
    // At-least-once delivery: the same event again counts nothing and changes nothing.
    expect(await processSesEvents(structuredClone(complaint))).toMatchObject({
      suppressed: 0,
      counted: 0,
      ledgerUpdated: 0,
      duplicates: 1,
    });
    expect((await suppression()).get(`email#${complained.to}`)?.reason).toBe('complaint');
    expect((await statsBefore(complained)).complaint).toBe((complaintStats.complaint ?? 0) + 1);

    expect(await processSesEvents(eventFor(soft, 'bounce', { transient: true }))).toMatchObject({
      suppressed: 0,
      counted: 1,
    });
    expect((await suppression()).has(`email#${soft.to}`)).toBe(false);

    const openStats = await statsBefore(opened);
    const open1 = eventFor(opened, 'open', { at: '2026-11-21T08:00:00.000Z' });
    await processSesEvents(open1);
    await processSesEvents(open1);
    await processSesEvents(eventFor(opened, 'open', { at: '2026-11-21T09:30:00.000Z' }));
    const openedEntry = (await ledger.get(opened.entry.sendKey)) as unknown as Record<string, unknown>;
    expect(openedEntry.openCount).toBe(2);
    expect(openedEntry.firstOpenAt).toBe('2026-11-21T08:00:00.000Z');
    expect((await statsBefore(opened)).open).toBe((openStats.open ?? 0) + 2);

    const unknown = JSON.parse(
      readFileSync(
        join(process.cwd(), 'test/fixtures/ses-events/eventbridge-sending-status-disabled.json'),
        'utf8',
      ),
    );
    const parked = await processSesEvents(unknown);
    expect(parked.events).toBe(0);
    expect(parked.parked).toMatch(/^PARKED#\d{4}-\d{2}-\d{2}\//);
    const parkedItems = (await scanAll(session.tables.config)).filter((i) =>
      String(i.pk).startsWith('PARKED#'),
    );
    expect(parkedItems).toHaveLength(1);
    expect(String(parkedItems[0]!.raw)).toContain('Sending Status Disabled');
    expect(Number(parkedItems[0]!.expiresAt)).toBeGreaterThan(Date.now() / 1000);
  });

  it('(c) suppressed and unsubscribed customers receive nothing on the next night, even when the opt-out arrives mid-run', async () => {
    const ring = await loadUnsubscribeKeys(session.config);
    const before = new Set(
      (
        (await (await fetch(`${session.services.sesEndpoint}/store`)).json()) as {
          emails: { messageId: string }[];
        }
      ).emails.map((e) => e.messageId),
    );
    const optedOutEarlier = [mails[0]!, mails[1]!, mails[4]!, mails[5]!].map((m) => m.to);
    let midRun: { customerId: string; sendKey: string } | undefined;
    const wrap = (name: string, h: (e: unknown, c: never) => Promise<unknown>) =>
      name !== 'sendSegment'
        ? h
        : async (e: unknown, c: never) => {
            if (!midRun) {
              // The send stage is about to start: a customer queued tonight clicks one-click now.
              const queued = ((await scanAll(session.tables.ledger)) as unknown as LedgerEntry[]).find(
                (x) => x.runDate === NIGHT_2 && x.status === 'queued',
              )!;
              midRun = { customerId: queued.customerId, sendKey: queued.sendKey };
              const token = signUnsubscribeToken(ring, {
                customerId: queued.customerId,
                campaignId: queued.campaignId,
                issuedAt: NIGHT_1,
              });
              const res = await fetch(`${server.url}?token=${token}`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                body: 'List-Unsubscribe=One-Click',
              });
              expect(res.status).toBe(200);
            }
            return h(e, c);
          };
    const night2 = await runNight({ runDate: NIGHT_2, wrapHandler: wrap as never });
    const store = (await (await fetch(`${session.services.sesEndpoint}/store`)).json()) as {
      emails: { messageId: string; destination: { to: string[] } }[];
    };
    const recipients = store.emails
      .filter((e) => !before.has(e.messageId))
      .flatMap((e) => e.destination.to.map((t) => t.toLowerCase()));
    expect(recipients.length).toBeGreaterThan(0);
    expect(recipients.length).toBe(night2.summary.send.sent);
    for (const address of optedOutEarlier) expect(recipients).not.toContain(address);
    expect(midRun).toBeDefined();
    expect(recipients).not.toContain(emailOf.get(midRun!.customerId));
    const entry = await new LedgerStore(documentClient(), session.tables).get(midRun!.sendKey);
    expect(entry?.status).toBe('skipped');
    expect(entry?.reason).toBeTruthy();
    // The decision recorded the contact (frequency caps); the skip gave it back.
    const customer = (await scanAll(session.tables.customers)).find(
      (c) => c.customerId === midRun!.customerId,
    ) as unknown as { contact: { lastByCampaign: Record<string, string>; lastRetentionEmailAt?: string } };
    expect(customer.contact.lastByCampaign[entry!.campaignId]).toBe(entry!.contactBefore?.campaign);
    expect(customer.contact.lastRetentionEmailAt).toBe(entry!.contactBefore?.anyCampaign);
    // Everyone mailed tonight has tonight's date in their contact history.
    const mailedTonight = ((await scanAll(session.tables.ledger)) as unknown as LedgerEntry[]).filter(
      (x) => x.runDate === NIGHT_2 && x.status === 'sent',
    );
    expect(mailedTonight.length).toBeGreaterThan(0);
    const customers = new Map(
      (await scanAll(session.tables.customers)).map((c) => [String(c.customerId), c]),
    );
    for (const sent of mailedTonight) {
      const contact = (customers.get(sent.customerId) as unknown as typeof customer).contact;
      expect(contact.lastByCampaign[sent.campaignId]).toBe(NIGHT_2);
      expect(contact.lastRetentionEmailAt).toBe(NIGHT_2);
    }
  });
});
