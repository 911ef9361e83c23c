import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, sesClient } from '../../functions/adapters/clients.js';
import type { CustomerRecord } from '../../functions/adapters/customerStore.js';
import type { LedgerEntry } from '../../functions/adapters/ledgerStore.js';
import { SendFeedbackStore } from '../../functions/adapters/sendStats.js';
import type { SuppressionEntry } from '../../functions/adapters/suppressionStore.js';
import {
  buildSesEventBridgeEvent,
  type SimulatedEventType,
} from '../../functions/domain/delivery/simulatedSesEvent.js';
import { addDays } from '../../functions/domain/night/dates.js';
import type { RunSummary } from '../../functions/domain/night/summary.js';
import { exampleCampaignFiles, pushCampaignFiles } from '../local/campaigns.js';
import { localContext, runNight } from '../local/runNight.js';
import { type LocalSession, openLocalSession } from '../local/session.js';
import { seedPopulation } from '../seed/load.js';
import { skewClock, skewedStart } from './clock.js';
import { type AcceptedMessage, FaultInjector, type FaultPlan } from './faults.js';

export interface WorldOptions {
  customers: number;
  nights: number;
  seed: number;
  /** The first night (YYYY-MM-DD); the synthetic history ends the day before. */
  startDate: string;
  faults: FaultPlan;
  /** Customers per scan page: small pages put many page boundaries (and mid-page crashes) in a small world. */
  pageSize: number;
  /**
   * Test hook, right after night `index` completed and before its SES events and observation (a
   * test uses it to break the world behind the pipeline's back and see the checker say so).
   */
  afterRun?: (session: LocalSession, index: number) => Promise<void>;
  log?: (line: string) => void;
}

/** What the scoring stored for a customer: the part of a night that must not depend on faults. */
export interface CustomerNightView {
  lifeStage: string;
  scores: unknown;
  signals: unknown;
}

export interface StoredEmail {
  messageId: string;
  to: string;
}

export interface NightObservation {
  runDate: string;
  summary: RunSummary;
  /** Runs of this night: 1 plus the restarts after a death and the re-runs after a failed execution. */
  attempts: number;
  /** The ledger right after the night's last run (before any SES event). */
  ledgerAfterRun: LedgerEntry[];
  /** The ledger after the night's SES events. */
  ledgerAfterEvents: LedgerEntry[];
  /** Every email the SES emulator stored during this night. */
  emails: StoredEmail[];
  /** Campaign of each message SES accepted (its tags), by message id. */
  campaignOf: Record<string, string>;
  /** Suppression subjects and customers without email consent, as they stood when the night began. */
  suppressedBefore: string[];
  noConsentBefore: string[];
  /** SES statistics counters per campaign after the night's events. */
  stats: Record<string, Record<string, number>>;
  /** Distinct messages a delivery (bounce, complaint) event was published for, per campaign. */
  published: Record<string, Record<string, number>>;
  eventsUndelivered: number;
  customers: Record<string, CustomerNightView>;
}

export interface WorldObservation {
  nights: NightObservation[];
  /** Customer id by lower-cased address. */
  customerByEmail: Record<string, string>;
  injected: Record<string, number>;
  restarts: number;
  reruns: number;
  wallMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

async function storeEmails(session: LocalSession): Promise<StoredEmail[]> {
  const res = await fetch(`${session.services.sesEndpoint}/store`);
  if (!res.ok) throw new Error(`SES emulator store: HTTP ${res.status}`);
  const { emails } = (await res.json()) as { emails: { messageId: string; destination: { to: string[] } }[] };
  return emails.flatMap((e) =>
    e.destination.to.map((to) => ({ messageId: e.messageId, to: to.toLowerCase() })),
  );
}

/** A deterministic draw in [0, 1) per world seed, address and night: the same in every world. */
function draw(seed: number, ...parts: string[]): number {
  const h = createHash('sha256')
    .update([seed, ...parts].join('|'))
    .digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

/** The events SES would publish for one accepted message: delivery, and for some a bounce, complaint or open. */
function eventsFor(seed: number, m: AcceptedMessage, runDate: string): SimulatedEventType[] {
  const x = draw(seed, m.to, runDate);
  const out: SimulatedEventType[] = ['delivery'];
  if (x < 0.04) return ['bounce'];
  if (x < 0.05) out.push('complaint');
  else if (x < 0.07) out.push('unsubscribe');
  else if (x < 0.3) out.push('open');
  return out;
}

/**
 * One world: embedded services on a temporary home, a seeded population with the example campaigns,
 * and `nights` nights in a row, each run through the real state machine under the faults, restarted
 * or re-run as an operator would until it completes, followed by the SES events of what was sent.
 */
export async function runWorld(options: WorldOptions): Promise<WorldObservation> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const home = mkdtempSync(join(tmpdir(), 'retention-chaos-'));
  const session = await openLocalSession({
    home,
    persist: false,
    // No global cap: the harness's broad campaign mails customers on consecutive nights, so every
    // night has sends for the faults to strike.
    // 60 sends/s over 4 send segments: groups (send intents) of 15, so a death mid-group leaves
    // a few dozen entries ambiguous, not whole segments, and sending goes on after the restart.
    overrides: {
      SCAN_PAGE_SIZE: String(options.pageSize),
      GLOBAL_CAP_DAYS: '0',
      MAX_SEND_RATE: '60',
      // The faults make the handlers warn on every retry; the harness reports what matters.
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
  });
  const injector = new FaultInjector(options.faults, options.seed, session.tables.customers);
  const removers = [injector.installSes(sesClient()), injector.installDynamo(documentClient())];
  try {
    await seedPopulation(documentClient(), session.tables, {
      customers: options.customers,
      seed: options.seed,
      asOf: addDays(options.startDate, -1),
      orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
    });
    const pushed = await pushCampaignFiles(
      session.campaigns,
      [
        ...(await exampleCampaignFiles(process.cwd())),
        fileURLToPath(new URL('./chaos-offer.yaml', import.meta.url)),
      ],
      'chaos',
    );
    const invalid = pushed.filter((p) => !p.ok);
    if (invalid.length > 0) throw new Error(`invalid example campaigns: ${JSON.stringify(invalid)}`);
    const profiles = await scanAll<CustomerRecord>(session.tables.customers);
    const customerByEmail = Object.fromEntries(
      profiles.map((c) => [c.profile.email.toLowerCase(), c.customerId]),
    );
    const observed: WorldObservation = {
      nights: [],
      customerByEmail,
      injected: injector.injected,
      restarts: 0,
      reruns: 0,
      wallMs: 0,
    };
    const feedback = new SendFeedbackStore(documentClient(), session.tables);
    const { handler: sesEventsHandler } = (await import('../../functions/handlers/sesEvents.js')) as {
      handler: (event: unknown, context: unknown) => Promise<unknown>;
    };

    for (let i = 0; i < options.nights; i++) {
      const runDate = addDays(options.startDate, i);
      const suppressedBefore = (await scanAll<SuppressionEntry>(session.tables.suppression)).map(
        (s) => s.subject,
      );
      const noConsentBefore = (await scanAll<CustomerRecord>(session.tables.customers))
        .filter((c) => !c.profile.consent.email)
        .map((c) => c.customerId);
      const emailsBefore = (await storeEmails(session)).length;
      const acceptedBefore = injector.accepted.length;
      injector.armNight();
      let restoreClock: () => void = () => undefined;
      if (injector.chance('clock-skew')) {
        injector.count('clock-skew');
        restoreClock = skewClock(skewedStart(runDate, i) - Date.now());
      }
      let summary: RunSummary | undefined;
      let attempts = 0;
      try {
        injector.enabled = true;
        while (!summary) {
          attempts += 1;
          try {
            summary = (await runNight({ runDate, wrapHandler: injector.wrapHandler as never })).summary;
          } catch (error) {
            if (attempts >= 10)
              throw new Error(`night ${runDate} failed ${attempts} times; last: ${String(error)}`);
            // Whatever the dead process still had running dies with it before the operator restarts.
            await injector.drain(sleep);
            if (injector.dead) {
              observed.restarts += 1;
              injector.count('restart');
            } else {
              observed.reruns += 1;
              injector.count('rerun');
            }
            injector.dead = false;
            log(
              `night ${runDate}: attempt ${attempts} ended (${(error as Error).message}); running it again`,
            );
          }
        }
      } finally {
        injector.enabled = false;
        injector.disarmNight();
        restoreClock();
      }
      await options.afterRun?.(session, i);
      const ledgerAfterRun = (await scanAll<LedgerEntry>(session.tables.ledger)).filter(
        (e) => e.runDate === runDate,
      );

      // SES publishes events for what it accepted, at least once and in no particular order.
      const tonight = injector.accepted.slice(acceptedBefore);
      const campaignOf: Record<string, string> = {};
      const published: Record<string, Record<string, number>> = {};
      const queue: { payload: unknown; tries: number }[] = [];
      for (const m of tonight) {
        const campaignId = m.tags.campaignId ?? 'untagged';
        campaignOf[m.messageId] = campaignId;
        for (const type of eventsFor(options.seed, m, runDate)) {
          const counter =
            type === 'bounce' ? 'bounce_permanent' : type === 'unsubscribe' ? 'subscription' : type;
          const per = published[campaignId] ?? {};
          per[counter] = (per[counter] ?? 0) + 1;
          published[campaignId] = per;
          const payload = buildSesEventBridgeEvent({
            type,
            messageId: m.messageId,
            recipient: m.to,
            from: `${session.config.SENDER_NAME} <${session.config.SENDER_EMAIL}>`,
            tags: m.tags,
            sentAt: m.at,
          });
          queue.push({ payload, tries: 0 });
          if (injector.chance('ses-events-duplicate')) {
            injector.count('ses-events-duplicate');
            queue.push({ payload: structuredClone(payload), tries: 0 });
          }
        }
      }
      if (injector.chance('ses-events-reorder') && queue.length > 1) {
        injector.count('ses-events-reorder');
        injector.shuffle(queue);
      }
      let eventsUndelivered = 0;
      injector.enabled = true;
      try {
        // Lambda's asynchronous invocation retries a failed event (twice on AWS; a few more here,
        // where nothing else would ever deliver it).
        // Several at a time, as concurrent Lambda invocations take them: rounds over what is left.
        const deliver = injector.wrapHandler('sesEvents', sesEventsHandler as never);
        while (queue.length > 0) {
          const round = queue.splice(0);
          let next = 0;
          const worker = async () => {
            for (let q = round[next++]; q; q = round[next++]) {
              try {
                await deliver(q.payload, localContext('sesEvents', 30_000));
              } catch {
                if (++q.tries < 5) queue.push(q);
                else eventsUndelivered += 1;
              }
            }
          };
          await Promise.all(Array.from({ length: 8 }, worker));
        }
      } finally {
        injector.enabled = false;
      }

      const emails = (await storeEmails(session)).slice(emailsBefore);
      const ledgerAfterEvents = (await scanAll<LedgerEntry>(session.tables.ledger)).filter(
        (e) => e.runDate === runDate,
      );
      const stats: Record<string, Record<string, number>> = {};
      for (const campaignId of new Set(ledgerAfterEvents.map((e) => e.campaignId))) {
        stats[campaignId] = (await feedback.getStats(runDate, campaignId))?.counters ?? {};
      }
      const customers: Record<string, CustomerNightView> = {};
      for (const c of await scanAll<CustomerRecord>(session.tables.customers)) {
        if (!c.night) continue;
        customers[c.customerId] = {
          lifeStage: c.night.lifeStage,
          scores: c.night.scores,
          signals: c.night.signals,
        };
      }
      const night: NightObservation = {
        runDate,
        summary,
        attempts,
        ledgerAfterRun,
        ledgerAfterEvents,
        emails,
        campaignOf,
        suppressedBefore,
        noConsentBefore,
        stats,
        published,
        eventsUndelivered,
        customers,
      };
      observed.nights.push(night);
      log(
        `night ${runDate}: ${attempts} run(s), ${emails.length} emails, ${summary.send.sent ?? 0} sent, ${summary.send.ambiguous ?? 0} ambiguous`,
      );
    }
    observed.wallMs = Math.round(performance.now() - started);
    return observed;
  } finally {
    for (const remove of removers) remove();
    await session.close();
    rmSync(home, { recursive: true, force: true });
  }
}
