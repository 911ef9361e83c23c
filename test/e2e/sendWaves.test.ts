import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOutbox } from '../../cli/local/outbox.js';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { documentClient, sesClient } from '../../functions/adapters/clients.js';
import type { CustomerRecord } from '../../functions/adapters/customerStore.js';
import type { LedgerEntry } from '../../functions/adapters/ledgerStore.js';
import { SuppressionStore } from '../../functions/adapters/suppressionStore.js';
import { wallClock } from '../../functions/domain/delivery/localTime.js';
import { formatWaves } from '../../functions/domain/delivery/sendWaves.js';
import type { WaveSummary } from '../../functions/domain/night/summary.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

// Local-time send waves through the real state machine (PlanWaves, the wave Map with its
// WaitForWindow states, SendSegment per wave and segment) under the simulated clock: every example
// campaign sends in the program's 09:00–11:00 window, in each customer's own zone.

const NINE = 9 * 60;
const ELEVEN = 11 * 60;

interface StoredEmail {
  messageId: string;
  destination: { to: string[] };
  headers?: { name: string; value: string }[];
}

async function scanAll<T>(table: string): Promise<T[]> {
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await documentClient().send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }),
    );
    items.push(...((out.Items ?? []) as T[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

async function ledgerOf(session: LocalSession, runDate: string): Promise<LedgerEntry[]> {
  return (await scanAll<LedgerEntry>(session.tables.ledger)).filter((e) => e.runDate === runDate);
}

async function customersOf(session: LocalSession): Promise<Map<string, CustomerRecord>> {
  return new Map((await scanAll<CustomerRecord>(session.tables.customers)).map((c) => [c.customerId, c]));
}

async function emulatorEmails(session: LocalSession): Promise<StoredEmail[]> {
  const res = await fetch(`${session.services.sesEndpoint}/store`);
  return ((await res.json()) as { emails: StoredEmail[] }).emails;
}

function recipientCounts(emails: readonly StoredEmail[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of emails)
    for (const to of e.destination.to) out.set(to.toLowerCase(), (out.get(to.toLowerCase()) ?? 0) + 1);
  return out;
}

/**
 * A fresh session seeded like the others. The SES emulator's store is one per process, so it is
 * emptied first: each block below counts only its own emails.
 */
async function openSeeded(name: string, asOf: string) {
  const opened = await openTestSession(name);
  const res = await fetch(`${opened.session.services.sesEndpoint}/clear-store`, { method: 'POST' });
  expect(res.ok).toBe(true);
  await seedWithExamples(opened.session, { customers: 600, seed: 7, asOf });
  return opened;
}

/** The wave that holds a zone's emails. */
function waveOfZone(waves: readonly WaveSummary[], zone: string): WaveSummary {
  const wave = waves.find((w) => w.zones.includes(zone));
  if (!wave) throw new Error(`no wave for ${zone} in ${waves.map((w) => w.waveId).join(', ')}`);
  return wave;
}

describe('a night with customers in many zones', () => {
  const NIGHT = '2026-12-03';
  let session: LocalSession;
  let home: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ session, home, close } = await openSeeded('waves', '2026-12-02'));
  }, 60_000);

  afterAll(async () => {
    await close?.();
  });

  it('sends each zone in its wave: the summary shows the waves, every email is dated inside its local window, counts match, an opt-out after the decision is honoured', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    let optedOut: LedgerEntry | undefined;
    const result = await runNight({
      runDate: NIGHT,
      // Between the decisions and the first wave: a customer of the last wave unsubscribes.
      wrapHandler: (name, handler) =>
        name !== 'planWaves'
          ? handler
          : async (event, context) => {
              const queued = (await ledgerOf(session, NIGHT)).filter((e) => e.status === 'queued');
              const last = queued
                .map((e) => e.wave!)
                .sort()
                .at(-1);
              optedOut = queued.find((e) => e.wave === last);
              await new SuppressionStore(
                documentClient(),
                session.tables,
                session.config.ERASURE_SALT,
              ).suppress(`customer#${optedOut!.customerId}`, 'unsubscribed', 'test', new Date());
              return handler(event, context);
            },
    });
    const waves = result.summary.waves ?? [];
    const entries = await ledgerOf(session, NIGHT);
    const customers = await customersOf(session);

    // Several waves, one per distinct UTC window, in opening order, from the seeded markets.
    expect(waves.length).toBeGreaterThanOrEqual(3);
    expect(new Set(waves.map((w) => w.local)).size).toBeGreaterThanOrEqual(3);
    expect(waves.map((w) => w.opensAt)).toEqual([...waves.map((w) => w.opensAt)].sort());
    expect(waveOfZone(waves, 'Europe/Berlin').waveId).toBe('2026-12-03T08:00Z/2026-12-03T10:00Z');
    expect(waveOfZone(waves, 'Europe/Paris').waveId).toBe('2026-12-03T08:00Z/2026-12-03T10:00Z');
    expect(waveOfZone(waves, 'Europe/London').waveId).toBe('2026-12-03T09:00Z/2026-12-03T11:00Z');
    expect(waveOfZone(waves, 'America/New_York').local).toBe('09:00–11:00 at -05:00');
    // Tokyo's morning of the 3rd ended at 02:00Z, when the night began: its wave is the next morning.
    expect(waveOfZone(waves, 'Asia/Tokyo').waveId).toBe('2026-12-04T00:00Z/2026-12-04T02:00Z');

    // Counts per wave: what was decided into it, what it sent.
    const withWave = entries.filter((e) => e.wave !== undefined);
    expect(waves.reduce((n, w) => n + w.emails, 0)).toBe(withWave.length);
    for (const w of waves) {
      const mine = withWave.filter((e) => e.wave === w.waveId);
      expect(mine.length, w.waveId).toBe(w.emails);
      expect(mine.filter((e) => e.status === 'sent').length, w.waveId).toBe(w.sent);
      expect(w.windowMissed).toBe(0);
      for (const e of mine) {
        const zone = customers.get(e.customerId)!.profile.timeZone;
        expect(w.zones).toContain(zone);
      }
    }
    expect(entries.filter((e) => e.status === 'queued')).toEqual([]);
    expect(
      entries
        .filter((e) => e.status !== 'queued' && e.wave === undefined)
        .every((e) => ['held_out', 'global_control'].includes(e.status)),
    ).toBe(true);
    const lines = formatWaves(waves);
    expect(lines[0]).toBe(`send waves: ${waves.length}`);
    expect(lines.join('\n')).toContain(`${waveOfZone(waves, 'Europe/London').emails} emails: `);

    // Every outbox email: its Date is its scheduled (simulated) moment, inside its wave's window and
    // the customer's local 09:00–11:00.
    const files = await writeOutbox(session.services.sesEndpoint, join(home, 'outbox', NIGHT), since);
    const sent = entries.filter((e) => e.status === 'sent');
    expect(files.length).toBe(sent.length);
    expect(sent.length).toBeGreaterThan(20);
    const byMessage = new Map(sent.map((e) => [e.messageId!.replace(/[^A-Za-z0-9._-]/g, '_'), e]));
    for (const file of files) {
      const entry = byMessage.get(basename(file, '.eml'))!;
      expect(entry).toBeDefined();
      const mail = await simpleParser(readFileSync(file));
      const date = mail.date!.getTime();
      expect(date).toBe(Math.floor(Date.parse(entry.sentAt!) / 1000) * 1000);
      const wave = waves.find((w) => w.waveId === entry.wave)!;
      expect(date).toBeGreaterThanOrEqual(Date.parse(wave.opensAt));
      expect(date).toBeLessThan(Date.parse(wave.closesAt));
      const local = wallClock(customers.get(entry.customerId)!.profile.timeZone, date).minuteOfDay;
      expect(local).toBeGreaterThanOrEqual(NINE);
      expect(local).toBeLessThan(ELEVEN);
    }

    // The unsubscribe between decision and wave: skipped, not mailed, contact history given back.
    const after = entries.find((e) => e.sendKey === optedOut!.sendKey)!;
    expect(after.status).toBe('skipped');
    expect(after.reason).toMatch(/suppress|unsubscrib/i);
    const address = customers.get(after.customerId)!.profile.email.toLowerCase();
    expect(recipientCounts(await emulatorEmails(session)).has(address)).toBe(false);
    expect(customers.get(after.customerId)!.contact?.lastByCampaign?.[after.campaignId]).not.toBe(NIGHT);
  }, 120_000);
});

describe('a late run: the waves whose windows have closed are missed, never sent', () => {
  const NIGHT = '2026-12-03';
  let session: LocalSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ session, close } = await openSeeded('waves-late', '2026-12-02'));
  }, 60_000);

  afterAll(async () => {
    await close?.();
  });

  it('decided at 02:00Z, sent from 12:00Z: Europe’s waves are window_missed with no email, the Americas are sent', async () => {
    // The night decides and plans its waves, but its sending never happens (the send tasks do nothing) …
    await runNight({
      runDate: NIGHT,
      wrapHandler: (name, handler) =>
        name === 'sendSegment' ? async (event: unknown) => ({ ...(event as object), done: true }) : handler,
    });
    expect((await ledgerOf(session, NIGHT)).filter((e) => e.status === 'queued').length).toBeGreaterThan(20);
    // … until the date is run again at noon UTC: 13:00 in Berlin, 12:00 in London, 07:00 in New York.
    const late = await runNight({
      runDate: NIGHT,
      clock: { mode: 'simulated', startAt: Date.parse('2026-12-03T12:00:00Z') },
    });
    const waves = late.summary.waves ?? [];
    const entries = await ledgerOf(session, NIGHT);
    const customers = await customersOf(session);
    const mailed = recipientCounts(await emulatorEmails(session));
    const missedWaves = waves.filter((w) => Date.parse(w.closesAt) <= Date.parse('2026-12-03T12:00:00Z'));
    const laterWaves = waves.filter((w) => Date.parse(w.opensAt) >= Date.parse('2026-12-03T12:00:00Z'));
    expect(missedWaves.map((w) => w.waveId)).toEqual([
      '2026-12-03T08:00Z/2026-12-03T10:00Z',
      '2026-12-03T09:00Z/2026-12-03T11:00Z',
    ]);
    expect(laterWaves.length).toBeGreaterThanOrEqual(2);
    for (const w of missedWaves) {
      const mine = entries.filter((e) => e.wave === w.waveId);
      expect(mine.length).toBe(w.emails);
      expect(w.windowMissed).toBe(w.emails);
      expect(w.sent).toBe(0);
      for (const e of mine) {
        expect(e.status).toBe('skipped');
        expect(e.reason).toMatch(/^window_missed: /);
        const customer = customers.get(e.customerId)!;
        expect(mailed.has(customer.profile.email.toLowerCase())).toBe(false);
        // The decision's contact history is given back: the next night decides afresh.
        expect(customer.contact?.lastByCampaign?.[e.campaignId]).not.toBe(NIGHT);
      }
    }
    expect(late.summary.send['skipped:window_missed']).toBe(missedWaves.reduce((n, w) => n + w.emails, 0));
    for (const w of laterWaves) {
      expect(w.windowMissed).toBe(0);
      expect(w.sent).toBeGreaterThan(0);
    }
    expect(formatWaves(waves).join('\n')).toContain('window missed');
  }, 120_000);
});

describe('a crash in the middle of a later wave, then a re-run', () => {
  const NIGHT = '2026-12-03';
  let session: LocalSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ session, close } = await openSeeded('waves-crash', '2026-12-02'));
  }, 60_000);

  afterAll(async () => {
    await close?.();
  });

  it('the crashed wave resumes without mailing anyone twice; every entry is settled', async () => {
    const K = 3;
    const NEW_YORK_OPENS = Date.parse('2026-12-03T14:00:00Z');
    const crash = { sends: 0, crashed: false };
    const ses = sesClient();
    const db = documentClient();
    // The process dies right after SES accepted the K-th email dated in New York's wave (the
    // simulated clock runs every wave at once): the response is lost, no further call gets out.
    ses.middlewareStack.add(
      (next, context) => async (args) => {
        if (crash.crashed) throw Object.assign(new Error('process gone'), { name: 'SimulatedCrash' });
        const out = await next(args);
        const input = (
          args as { input: { Content?: { Simple?: { Headers?: { Name: string; Value: string }[] } } } }
        ).input;
        const date = input.Content?.Simple?.Headers?.find((h) => h.Name === 'Date')?.Value;
        if (
          context.commandName === 'SendEmailCommand' &&
          date !== undefined &&
          Date.parse(date) >= NEW_YORK_OPENS &&
          ++crash.sends === K
        ) {
          crash.crashed = true;
          throw Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
        }
        return out;
      },
      { step: 'initialize', name: 'testCrashSes' },
    );
    db.middlewareStack.add(
      (next) => async (args) => {
        if (crash.crashed) throw Object.assign(new Error('process gone'), { name: 'SimulatedCrash' });
        return next(args);
      },
      { step: 'initialize', name: 'testCrashDb' },
    );
    const inFlight = { n: 0 };
    const track =
      (_name: string, h: (e: unknown, c: never) => Promise<unknown>) => async (e: unknown, c: never) => {
        inFlight.n += 1;
        try {
          return await h(e, c);
        } finally {
          inFlight.n -= 1;
        }
      };
    try {
      await expect(runNight({ runDate: NIGHT, wrapHandler: track as never })).rejects.toThrow();
      for (let quiet = 0; quiet < 5; quiet = inFlight.n === 0 ? quiet + 1 : 0) {
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      ses.middlewareStack.remove('testCrashSes');
      db.middlewareStack.remove('testCrashDb');
    }
    expect(crash.crashed).toBe(true);

    const rerun = await runNight({ runDate: NIGHT });
    const entries = await ledgerOf(session, NIGHT);
    const customers = await customersOf(session);
    const mailed = recipientCounts(await emulatorEmails(session));
    expect(Math.max(...mailed.values())).toBe(1);
    expect(entries.filter((e) => e.status === 'queued' || e.status === 'claimed')).toEqual([]);
    const ambiguous = entries.filter((e) => e.status === 'ambiguous');
    expect(ambiguous.length).toBeGreaterThanOrEqual(1);
    expect(rerun.summary.send.ambiguous ?? 0).toBe(ambiguous.length);
    // The crashed email: a wave from New York's on, ambiguous (reported, not re-sent), mailed once.
    const mailedTo = (e: LedgerEntry) =>
      mailed.get(customers.get(e.customerId)!.profile.email.toLowerCase()) ?? 0;
    const crashedMailed = ambiguous.filter(
      (e) => Date.parse(`${e.wave!.slice(0, 16)}:00Z`) >= NEW_YORK_OPENS && mailedTo(e) === 1,
    );
    expect(crashedMailed.length).toBeGreaterThanOrEqual(1);
    for (const e of entries.filter((x) => x.status === 'sent')) {
      expect(mailed.get(customers.get(e.customerId)!.profile.email.toLowerCase())).toBe(1);
    }
    // Every email belongs to a sent entry or an ambiguous one (sent just before the crash).
    const emails = (await emulatorEmails(session)).length;
    expect(emails).toBe(
      entries.filter((e) => e.status === 'sent').length + ambiguous.filter((e) => mailedTo(e) === 1).length,
    );
  }, 180_000);
});

describe('daylight-saving days', () => {
  let session: LocalSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ session, close } = await openSeeded('waves-dst', '2026-03-07'));
  }, 60_000);

  afterAll(async () => {
    await close?.();
  });

  async function datesOf(runDate: string): Promise<{ entry: LedgerEntry; zone: string; at: number }[]> {
    const customers = await customersOf(session);
    return (await ledgerOf(session, runDate))
      .filter((e) => e.status === 'sent')
      .map((entry) => ({
        entry,
        zone: customers.get(entry.customerId)!.profile.timeZone,
        at: Date.parse(entry.sentAt!),
      }));
  }

  it('8 March 2026 (23 hours in New York): the Americas send at their new offset, Europe at its old one', async () => {
    const night = await runNight({ runDate: '2026-03-08' });
    const waves = night.summary.waves ?? [];
    const ny = waveOfZone(waves, 'America/New_York');
    // The clocks jumped at 02:00 local (07:00Z): 09:00 is 13:00Z, not 14:00Z.
    expect(ny.waveId).toBe('2026-03-08T13:00Z/2026-03-08T15:00Z');
    expect(ny.local).toBe('09:00–11:00 at -04:00');
    expect(waveOfZone(waves, 'America/Los_Angeles').waveId).toBe('2026-03-08T16:00Z/2026-03-08T18:00Z');
    // Europe changes on 29 March.
    expect(waveOfZone(waves, 'Europe/Berlin').waveId).toBe('2026-03-08T08:00Z/2026-03-08T10:00Z');
    const sent = await datesOf('2026-03-08');
    expect(sent.filter((s) => s.zone === 'America/New_York').length).toBeGreaterThan(0);
    for (const s of sent) {
      const local = wallClock(s.zone, s.at);
      expect(local.minuteOfDay, `${s.zone} ${new Date(s.at).toISOString()}`).toBeGreaterThanOrEqual(NINE);
      expect(local.minuteOfDay).toBeLessThan(ELEVEN);
    }
  }, 120_000);

  it('1 November 2026 (25 hours in New York): the wave opens at the winter offset', async () => {
    const night = await runNight({ runDate: '2026-11-01' });
    const waves = night.summary.waves ?? [];
    const ny = waveOfZone(waves, 'America/New_York');
    // The clocks fell back at 02:00 local (06:00Z): 09:00 is 14:00Z.
    expect(ny.waveId).toBe('2026-11-01T14:00Z/2026-11-01T16:00Z');
    expect(ny.local).toBe('09:00–11:00 at -05:00');
    expect(waveOfZone(waves, 'Europe/London').waveId).toBe('2026-11-01T09:00Z/2026-11-01T11:00Z');
    const sent = await datesOf('2026-11-01');
    expect(sent.filter((s) => s.zone === 'America/New_York').length).toBeGreaterThan(0);
    for (const s of sent) {
      const local = wallClock(s.zone, s.at);
      expect(local.minuteOfDay, `${s.zone} ${new Date(s.at).toISOString()}`).toBeGreaterThanOrEqual(NINE);
      expect(local.minuteOfDay).toBeLessThan(ELEVEN);
    }
  }, 120_000);
});

describe('the system clock (retention run --wait-for-windows)', () => {
  let session: LocalSession;
  let close: () => Promise<void>;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    // A window open nearly all day in every zone, so the night's waves are open now and the real
    // Wait states pass at once (a zone whose day just ended waits under a minute for its next one).
    ({ session, close } = await openTestSession('waves-system', { SEND_WINDOW: '00:00-23:59' }));
    await fetch(`${session.services.sesEndpoint}/clear-store`, { method: 'POST' });
    await seedWithExamples(session, { customers: 300, seed: 7, asOf: today });
  }, 60_000);

  afterAll(async () => {
    await close?.();
  });

  it('plans from the real time, really waits in WaitForWindow, and dates each email when it was sent', async () => {
    const started = Date.now();
    const result = await runNight({ runDate: today, clock: { mode: 'system' } });
    const finished = Date.now();
    const waves = result.summary.waves ?? [];
    expect(waves.length).toBeGreaterThanOrEqual(3);
    for (const w of waves) expect(w.local.startsWith('00:00–23:59 at ')).toBe(true);
    const sent = (await ledgerOf(session, today)).filter((e) => e.status === 'sent');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.length).toBe(waves.reduce((n, w) => n + w.sent, 0));
    for (const e of sent) {
      const at = Date.parse(e.sentAt!);
      expect(at).toBeGreaterThanOrEqual(started);
      expect(at).toBeLessThanOrEqual(finished);
      const wave = waves.find((w) => w.waveId === e.wave)!;
      expect(at).toBeGreaterThanOrEqual(Date.parse(wave.opensAt));
      expect(at).toBeLessThan(Date.parse(wave.closesAt));
    }
  }, 180_000);
});
