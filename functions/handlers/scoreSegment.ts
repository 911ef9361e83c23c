import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { CustomerRecord } from '../adapters/customerStore.js';
import { type ContactBefore, type LedgerEntry, ledgerKey, runShard } from '../adapters/ledgerStore.js';
import type { Counts, RunRecord } from '../adapters/runStore.js';
import { type WaveSlot, waveAssigner, waveCountKey } from '../domain/delivery/sendWaves.js';
import type { NightContext } from '../domain/night/context.js';
import { addCount, countsOfNight } from '../domain/night/counts.js';
import { type DecidedCustomer, decideCustomer, withSuppression } from '../domain/night/decideCustomer.js';
import { nightWriteReason } from '../domain/night/nightWrite.js';
import type { DeliveryPlan, RunPlan } from '../domain/night/plan.js';
import { type Deps, deps, logger } from './deps.js';
import { loadNight } from './nightContext.js';
import { metrics, tracer } from './observability.js';
import { SegmentInput, type SegmentOutput } from './segmentInput.js';

const DAY_SECONDS = 86_400;
const WRITE_CONCURRENCY = 16;
const MEASURED_OUTCOMES: ReadonlySet<string> = new Set(['send', 'holdout', 'global_control']);

/**
 * Scores and decides one parallel-scan segment, page by page. The resume point and the counts
 * are saved after every page; when the Lambda is close to its timeout it returns done=false and
 * the state machine invokes it again, continuing from the saved key.
 */
async function scoreSegment(event: unknown, context: Context): Promise<SegmentOutput> {
  const input = SegmentInput.parse(event);
  const d = deps();
  const { run, night } = await loadNight(d, input.runDate);
  const waveOf = waveFinder(night, deliveryOf(d, run));
  const result = (done: boolean): SegmentOutput => ({ ...input, done });
  let progress = await d.runs.takeLease(input.runDate, 'score', input.segment);
  if (progress.done) return result(true);
  for (const problem of night.problems) logger.warn('campaign skipped', { problem });

  for (;;) {
    const page = await d.customers.scanPage({
      segment: input.segment,
      totalSegments: input.totalSegments,
      limit: d.config.SCAN_PAGE_SIZE,
      startKey: progress.lastKey,
    });
    const counts = { ...progress.counts };
    await processPage(d, night, waveOf, input, page.items, counts);
    progress = await d.runs.commitProgress(
      input.runDate,
      { ...progress, lastKey: page.lastKey, counts, done: page.lastKey === undefined },
      progress,
    );
    if (progress.done) return result(true);
    if (context.getRemainingTimeInMillis() < d.config.DEADLINE_RESERVE_MS) {
      logger.info('returning before the timeout, will resume', { segment: input.segment });
      return result(false);
    }
  }
}

/** The night's delivery settings; a run record from before they were stored falls back to the config. */
function deliveryOf(d: Deps, run: RunRecord<RunPlan>): DeliveryPlan {
  return (
    run.plan.delivery ?? {
      readyAt: run.createdAt,
      defaultTimeZone: d.config.DEFAULT_TIME_ZONE,
      sendWindow: d.config.SEND_WINDOW,
    }
  );
}

type WaveFinder = (customer: CustomerRecord, campaignId: string) => WaveSlot;

/** A queued email's wave: its customer's zone and its campaign's window (or the program's). */
function waveFinder(night: NightContext, delivery: DeliveryPlan): WaveFinder {
  const assign = waveAssigner(delivery.defaultTimeZone, Date.parse(delivery.readyAt));
  return (customer, campaignId) =>
    assign({
      timeZone: customer.profile.timeZone,
      window: night.campaigns.get(campaignId)?.compiled.campaign.sendWindow ?? delivery.sendWindow,
    });
}

async function processPage(
  d: Deps,
  night: NightContext,
  waveOf: WaveFinder,
  input: SegmentInput,
  customers: Awaited<ReturnType<Deps['customers']['scanPage']>>['items'],
  counts: Counts,
): Promise<void> {
  const fresh: { customer: CustomerRecord; decided: DecidedCustomer }[] = [];
  for (const customer of customers) {
    if (customer.night?.runDate === input.runDate) {
      // Already done by an earlier attempt of this night: count what it decided, change nothing.
      for (const key of countsOfNight(customer.night, customer.aggregates.lastOrderDate))
        addCount(counts, key);
      // Its queued email's wave is found again the same way (the plan's moment, zone and window).
      const done = customer.night.decision;
      if (done.outcome === 'send' && done.campaignId)
        addCount(counts, waveCountKey(waveOf(customer, done.campaignId)));
      addCount(counts, 'work:alreadyDone');
      continue;
    }
    fresh.push({ customer, decided: decideCustomer(night, customer) });
  }
  // Holdouts and global controls are checked too, not only sends: a suppressed customer must leave
  // every arm alike, or the holdout keeps the suppressed (unsubscribed, bounced: rarely buying)
  // customers the treatment loses, and the measured uplift is biased (docs/measurement.md).
  const contactable = fresh.filter((f) => MEASURED_OUTCOMES.has(f.decided.decision.outcome));
  const suppressed = await d.suppression.suppressedAmong(
    contactable.map((f) => ({ customerId: f.customer.customerId, email: f.customer.profile.email })),
  );
  const now = new Date();
  const writeOne = async (f: (typeof fresh)[number]) => {
    const reason = suppressed.get(f.customer.customerId);
    const decided = reason ? withSuppression(night, f.decided, reason) : f.decided;
    const decision = decided.decision;
    const chosen = decision.chosen;
    if (
      chosen &&
      (decision.outcome === 'send' || decision.outcome === 'holdout' || decision.outcome === 'global_control')
    ) {
      // Only an email that will be sent has a wave; the send stage pages each wave's entries.
      const wave = decision.outcome === 'send' ? waveOf(f.customer, chosen.campaignId) : undefined;
      if (wave) addCount(counts, waveCountKey(wave));
      const entry: LedgerEntry = {
        sendKey: ledgerKey(input.runDate, chosen.campaignId, f.customer.customerId),
        runShard: runShard(input.runDate, input.segment, wave?.waveId),
        ...(wave ? { wave: wave.waveId } : {}),
        runDate: input.runDate,
        segment: input.segment,
        campaignId: chosen.campaignId,
        campaignVersion: chosen.campaignVersion,
        segmentId: chosen.segmentId,
        customerId: f.customer.customerId,
        status:
          decision.outcome === 'send'
            ? 'queued'
            : decision.outcome === 'holdout'
              ? 'held_out'
              : 'global_control',
        createdAt: now.toISOString(),
        expectedValue: decided.night.scores?.clv,
        attributionDays:
          night.campaigns.get(chosen.campaignId)?.compiled.campaign.attributionWindowDays ??
          d.config.ATTRIBUTION_WINDOW_DAYS,
        // What the send stage restores if this email is skipped or fails for good (undoContact).
        ...(decision.outcome === 'send'
          ? { contactBefore: contactBefore(f.customer, chosen.campaignId) }
          : {}),
        expiresAt: Math.floor(now.getTime() / 1000) + d.config.LEDGER_RETENTION_DAYS * DAY_SECONDS,
      };
      await d.ledger.create(entry);
    }
    // Contact history is recorded at decision time, in the night's one write: a send counts for
    // the campaign's cap and the global cap (the send stage undoes it if the email is skipped or
    // fails for good); a holdout counts for the campaign's own frequency cap only, so the control
    // group is exposed to the same rhythm as the treated group. A global control records nothing.
    const contact =
      chosen && (decision.outcome === 'send' || decision.outcome === 'holdout')
        ? { campaignId: chosen.campaignId, date: input.runDate, global: decision.outcome === 'send' }
        : undefined;
    for (const key of countsOfNight(decided.night, f.customer.aggregates.lastOrderDate))
      addCount(counts, key);
    // A customer whose night changed too little to matter is not rewritten (the steady night's
    // main cost); the segment's progress is what marks it done, see nightWriteReason.
    if (nightWriteReason(f.customer.night, decided.night, contact !== undefined) === null) {
      addCount(counts, 'work:unchanged');
      return;
    }
    const saved = await d.customers.saveNight(f.customer.customerId, decided.night, contact);
    addCount(counts, saved ? 'work:scored' : 'work:raced');
  };
  // Each customer's two writes stay in order (ledger first, then the night); customers are
  // independent, so a page's writes go out WRITE_CONCURRENCY at a time.
  for (let i = 0; i < fresh.length; i += WRITE_CONCURRENCY) {
    await Promise.all(fresh.slice(i, i + WRITE_CONCURRENCY).map(writeOne));
  }
}

/** The two dates the caps read, before this decision overwrites them; absent ones are left out. */
function contactBefore(customer: CustomerRecord, campaignId: string): ContactBefore {
  const campaign = customer.contact?.lastByCampaign?.[campaignId];
  const anyCampaign = customer.contact?.lastRetentionEmailAt;
  return {
    ...(campaign !== undefined ? { campaign } : {}),
    ...(anyCampaign !== undefined ? { anyCampaign } : {}),
  };
}

export const handler = middy(scoreSegment)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
