import type { LedgerEntry } from '../../functions/adapters/ledgerStore.js';
import type { NightObservation, WorldObservation } from './world.js';

/**
 * The chaos harness's invariants, checked on what a world stored (pure: no AWS, no I/O). Each
 * returns its violations; a few examples of each are kept for the report.
 */

export interface InvariantResult {
  ok: boolean;
  violations: number;
  examples: string[];
}

export interface InvariantReport {
  mailedOnceOrExplained: InvariantResult;
  noDuplicates: InvariantResult;
  noSendToSuppressed: InvariantResult;
  sameAsFaultFree: InvariantResult;
  ledgerStatsSummaryAgree: InvariantResult;
}

const EXAMPLES = 5;

function collect(): { add(example: string): void; result(): InvariantResult } {
  let violations = 0;
  const examples: string[] = [];
  return {
    add(example) {
      violations += 1;
      if (examples.length < EXAMPLES) examples.push(example);
    },
    result: () => ({ ok: violations === 0, violations, examples }),
  };
}

/** Entries the score stage created as sends (the others were held out or in the global control). */
const isSend = (e: LedgerEntry) => e.status !== 'held_out' && e.status !== 'global_control';

function emailsByCustomer(
  night: NightObservation,
  customerByEmail: Record<string, string>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of night.emails) {
    const id = customerByEmail[e.to] ?? `unknown address ${e.to}`;
    const list = out.get(id) ?? [];
    list.push(e.messageId);
    out.set(id, list);
  }
  return out;
}

/** Counts per status, from a ledger. */
function statusCounts(entries: readonly LedgerEntry[], campaignId?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) {
    if (campaignId !== undefined && e.campaignId !== campaignId) continue;
    out[e.status] = (out[e.status] ?? 0) + 1;
  }
  return out;
}

const stable = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );

/**
 * How far the SES statistics counters run over the distinct events the harness published, summed
 * over nights, campaigns and counters: the increments counted twice. Zero in a sound world.
 */
export function statisticsOverEvents(world: WorldObservation): number {
  let over = 0;
  for (const night of world.nights) {
    for (const [campaignId, counters] of Object.entries(night.stats)) {
      const published = night.published[campaignId] ?? {};
      for (const [counter, counted] of Object.entries(counters))
        over += Math.max(0, counted - (published[counter] ?? 0));
    }
  }
  return over;
}

export function checkInvariants(
  world: WorldObservation,
  reference: WorldObservation | undefined,
): InvariantReport {
  const mailed = collect();
  const duplicates = collect();
  const suppressed = collect();
  const same = collect();
  const agree = collect();

  for (const [n, night] of world.nights.entries()) {
    const byCustomer = emailsByCustomer(night, world.customerByEmail);
    const sends = night.ledgerAfterRun.filter(isSend);
    const sendCustomers = new Set(sends.map((e) => e.customerId));

    // 1. Every customer decided `send` was mailed exactly once, or is recorded with a reason.
    for (const e of sends) {
      const got = byCustomer.get(e.customerId)?.length ?? 0;
      if (e.status === 'sent' && got !== 1) mailed.add(`${e.sendKey}: sent, but ${got} emails`);
      else if (e.status === 'queued' || e.status === 'claimed') mailed.add(`${e.sendKey}: left ${e.status}`);
      else if (e.status !== 'sent' && !e.reason) mailed.add(`${e.sendKey}: ${e.status} without a reason`);
      else if (e.status !== 'sent' && got > 1) mailed.add(`${e.sendKey}: ${e.status}, but ${got} emails`);
    }
    for (const [customerId, ids] of byCustomer) {
      if (!sendCustomers.has(customerId))
        mailed.add(`${night.runDate}: ${customerId} got ${ids.length} email(s) without a send decision`);
    }

    // 2. Zero duplicates: one offer per customer and night (so also per customer, campaign and night).
    for (const [customerId, ids] of byCustomer) {
      // One violation per email beyond the first.
      const campaigns = ids.map((id) => night.campaignOf[id] ?? 'untracked').join(', ');
      for (let k = 1; k < ids.length; k++)
        duplicates.add(`${night.runDate}: ${customerId} mailed ${ids.length} times (${campaigns})`);
    }

    // 3. Zero sends to suppressed (bounced, complained), unsubscribed, erased or non-consenting customers.
    const subjects = new Set(night.suppressedBefore);
    const noConsent = new Set(night.noConsentBefore);
    for (const e of night.emails) {
      const customerId = world.customerByEmail[e.to];
      const hit =
        subjects.has(`email#${e.to}`) ||
        (customerId !== undefined && (subjects.has(`customer#${customerId}`) || noConsent.has(customerId)));
      if (hit) suppressed.add(`${night.runDate}: ${e.messageId} to suppressed ${customerId ?? e.to}`);
    }

    // 4. Scores, stages and signals equal those of the fault-free run of the same nights.
    const ref = reference?.nights[n];
    if (reference && !ref) same.add(`${night.runDate}: no fault-free night to compare with`);
    if (ref) {
      const ids = new Set([...Object.keys(night.customers), ...Object.keys(ref.customers)]);
      for (const id of ids) {
        const a = night.customers[id];
        const b = ref.customers[id];
        if (!a || !b) same.add(`${night.runDate}: ${id} scored in one world only`);
        else if (a.lifeStage !== b.lifeStage)
          same.add(`${night.runDate}: ${id} stage ${a.lifeStage} ≠ ${b.lifeStage}`);
        else if (stable(a.scores) !== stable(b.scores)) same.add(`${night.runDate}: ${id} scores differ`);
        else if (stable(a.signals) !== stable(b.signals)) same.add(`${night.runDate}: ${id} signals differ`);
      }
      for (const key of ['customers', 'scored', 'stages', 'signals'] as const) {
        if (stable(night.summary[key]) !== stable(ref.summary[key]))
          same.add(
            `${night.runDate}: summary ${key} ${stable(night.summary[key])} ≠ ${stable(ref.summary[key])}`,
          );
      }
    }

    // 5. The ledger, the SES statistics and the night summary agree.
    const ledger = statusCounts(night.ledgerAfterRun);
    const send = night.summary.send;
    const summaryOf: Record<'sent' | 'ambiguous' | 'failed' | 'skipped', number> = {
      sent: send.sent ?? 0,
      ambiguous: send.ambiguous ?? 0,
      // The summary names why a send failed for good (sendOne.ts); the ledger only says `failed`.
      failed: (send.failed ?? 0) + (send.invalid_address ?? 0) + (send.render_failed ?? 0),
      skipped: Object.entries(send)
        .filter(([k]) => k === 'skipped' || k.startsWith('skipped:'))
        .reduce((t, [, v]) => t + v, 0),
    };
    for (const [status, inSummary] of Object.entries(summaryOf)) {
      if ((ledger[status] ?? 0) !== inSummary)
        agree.add(`${night.runDate}: ledger ${status} ${ledger[status] ?? 0} ≠ summary ${inSummary}`);
    }
    const campaigns = new Set(night.ledgerAfterRun.map((e) => e.campaignId));
    for (const campaignId of campaigns) {
      const perLedger = statusCounts(night.ledgerAfterRun, campaignId);
      const rows = night.summary.campaigns.filter((c) => c.campaignId === campaignId);
      const sum = (k: 'sent' | 'holdout' | 'ambiguous') => rows.reduce((t, r) => t + r[k], 0);
      if ((perLedger.sent ?? 0) !== sum('sent'))
        agree.add(
          `${night.runDate}/${campaignId}: ledger sent ${perLedger.sent ?? 0} ≠ summary ${sum('sent')}`,
        );
      if ((perLedger.held_out ?? 0) !== sum('holdout'))
        agree.add(
          `${night.runDate}/${campaignId}: ledger held out ${perLedger.held_out ?? 0} ≠ summary ${sum('holdout')}`,
        );
      const counters = night.stats[campaignId] ?? {};
      const published = night.published[campaignId] ?? {};
      const after = night.ledgerAfterEvents.filter((e) => e.campaignId === campaignId);
      const onLedger: Record<string, number> = {
        delivery: after.filter((e) => (e as { deliveredAt?: string }).deliveredAt).length,
        bounce_permanent: after.filter((e) => (e as { bouncedAt?: string }).bouncedAt).length,
        complaint: after.filter((e) => (e as { complainedAt?: string }).complainedAt).length,
      };
      for (const counter of ['delivery', 'bounce_permanent', 'complaint'] as const) {
        const stat = counters[counter] ?? 0;
        const sent = published[counter] ?? 0;
        if (stat !== sent || stat !== onLedger[counter])
          agree.add(
            `${night.runDate}/${campaignId}: ${counter}: statistics ${stat}, events published ${sent}, ledger ${onLedger[counter]}`,
          );
      }
    }
    // After the events every email SES took is on the ledger as sent (an ambiguous one settled by its evidence).
    const sentAfter = night.ledgerAfterEvents.filter((e) => e.status === 'sent').length;
    if (night.eventsUndelivered === 0 && sentAfter !== night.emails.length)
      agree.add(
        `${night.runDate}: ${night.emails.length} emails in SES, ${sentAfter} sent on the ledger after events`,
      );
    if (night.eventsUndelivered > 0)
      agree.add(`${night.runDate}: ${night.eventsUndelivered} SES events never applied`);
  }

  return {
    mailedOnceOrExplained: mailed.result(),
    noDuplicates: duplicates.result(),
    noSendToSuppressed: suppressed.result(),
    sameAsFaultFree: same.result(),
    ledgerStatsSummaryAgree: agree.result(),
  };
}

/** Duplicate emails in a world: for each customer and night, emails beyond the first. */
export function countDuplicates(world: WorldObservation): number {
  let n = 0;
  for (const night of world.nights)
    for (const ids of emailsByCustomer(night, world.customerByEmail).values())
      n += Math.max(0, ids.length - 1);
  return n;
}
