import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { CustomerSendView } from '../adapters/customerStore.js';
import type { LedgerEntry } from '../adapters/ledgerStore.js';
import type { Counts, SegmentProgress } from '../adapters/runStore.js';
import { loadUnsubscribeKeys } from '../adapters/unsubscribeKeys.js';
import {
  countsOwedBySettledEntry,
  entriesToSettle,
  isLegacyClaim,
  isPending,
  PENDING_STATUSES,
} from '../domain/delivery/ledger.js';
import { awaitWindow } from '../domain/delivery/sendClock.js';
import { segmentSendShare } from '../domain/delivery/sendPacing.js';
import { createSendRateLimiter } from '../domain/delivery/sendRate.js';
import { addCount } from '../domain/night/counts.js';
import { SEND_PAUSED_METRIC } from '../telemetryNames.js';
import { sendClockFor } from './clock.js';
import { type Deps, deps, logger } from './deps.js';
import { loadNight } from './nightContext.js';
import { metrics, tracer } from './observability.js';
import { SendSegmentInput, type SendSegmentOutput } from './segmentInput.js';
import { type EntryOutcome, missedWindow, type SendContext, sendOne } from './sendOne.js';

const PAGE = 100;
/** Extra passes over one page while entries were released (throttled, not sent). */
const MAX_PAGE_RETRIES = 3;
/**
 * Largest send group: two BatchWriteItem requests of outcomes and one suppression read per group.
 * It bounds what a crash can leave `ambiguous` (see docs/delivery.md).
 */
const MAX_GROUP = 50;
/**
 * A group holds about this much sending time at the segment's rate, so outcomes are stored soon
 * after the sends (SES events for an entry wait for its outcome) and a crash leaves few unknowns.
 */
const GROUP_SECONDS = 1;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const AMBIGUOUS_AFTER_CRASH =
  'in the send intent of an attempt that ended without recording the outcome; not re-sent';

interface PageRead {
  /** The page's entries still to send, as the table has them now. */
  open: LedgerEntry[];
  lastKey?: Record<string, unknown> | undefined;
  customers: Map<string, CustomerSendView>;
}

/**
 * Sends the queued decisions of one segment. The segment's progress record is its lease: every
 * write to it is conditional on the previous one. Sending goes in small groups: first the group's
 * send keys are written to the progress record (the intent, under the lease), then each entry is
 * checked and sent, then the outcomes are stored with batch writes. An invocation that finds an
 * intent left behind marks its still-queued entries `ambiguous` and never sends them: their outcome
 * is unknown (at-most-once, see docs/delivery.md). Ledger entries are read consistently from the
 * table for each page, so an entry is never sent on the strength of a lagging index.
 */
async function sendSegment(event: unknown, context: Context): Promise<SendSegmentOutput> {
  const input = SendSegmentInput.parse(event);
  const d = deps();
  const { wave } = input;
  // The wave's UTC window, checked right before each group: never sent outside the local window.
  const window = { opensAt: Date.parse(wave.opensAt), closesAt: Date.parse(wave.closesAt) };
  const clock = sendClockFor(d.config, input.runDate);
  // Reads only, so at once: each is a round trip before the first email of the invocation.
  const [{ night }, quota, keys] = await Promise.all([
    loadNight(d, input.runDate),
    d.mailer.quota(),
    loadUnsubscribeKeys(d.config),
  ]);
  const result = (done: boolean): SendSegmentOutput => ({ ...input, done });
  // Take the lease (one per wave and segment): from here on, a save by any other invocation makes
  // ours fail, and the other way round.
  let progress = await d.runs.takeLease(input.runDate, 'send', input.segment, { wave: wave.waveId });
  if (progress.done) return result(true);
  const opensIn = window.opensAt - clock.now();
  if (
    d.config.SEND_CLOCK === 'system' &&
    opensIn > context.getRemainingTimeInMillis() - d.config.DEADLINE_RESERVE_MS
  ) {
    // The state machine's WaitForWindow holds a wave until it opens; a Lambda never idles for it.
    throw new Error(
      `wave ${wave.waveId} opens in ${Math.round(opensIn / 1000)} s, after this invocation's deadline: it must be started by the WaitForWindow state`,
    );
  }
  const commit = async (next: Partial<SegmentProgress>) => {
    progress = await d.runs.commitProgress(input.runDate, { ...progress, ...next }, progress);
  };
  // A settled intent is cleared in the same save: settled twice (another death before the next group's
  // save), its entries would be counted twice.
  if (progress.intent) await commit({ counts: await settleAbandonedIntent(d, progress), intent: undefined });

  // The segments the send Map runs at once share the account's rate (functions/domain/delivery/sendPacing.ts),
  // and share it again with the waves whose windows overlap this one's (they may send at the same time).
  const share = segmentSendShare({
    configuredRate: d.config.MAX_SEND_RATE,
    accountRate: quota?.maxSendRate,
    concurrency: d.config.SEND_CONCURRENCY,
    totalSegments: input.totalSegments,
    segment: input.segment,
  });
  const rate = share.rate / (wave.overlapping ?? 1);
  const groupSize = Math.max(1, Math.min(MAX_GROUP, Math.floor(rate * GROUP_SECONDS)));
  const ctx: SendContext = {
    d,
    runDate: input.runDate,
    night,
    keys,
    limiter: createSendRateLimiter({
      maxSendRate: rate,
      max24HourSend: quota?.max24HourSend ?? -1,
      sentLast24Hours: quota?.sentLast24Hours ?? 0,
      initialTokens: share.initialTokens,
      // Monotonic and finer than a millisecond: with Date.now() two sends in the same millisecond
      // wait for the next one, which caps a segment at 1,000 sends/s whatever the configured rate.
      now: () => performance.now(),
      sleep,
    }),
    sleep,
    random: Math.random,
    // Outcomes and the Date header by the send clock (a wave's scheduled moment when simulated).
    now: () => new Date(clock.now()),
  };
  const outOfTime = () => context.getRemainingTimeInMillis() < d.config.DEADLINE_RESERVE_MS;

  const readPage = async (startKey: Record<string, unknown> | undefined): Promise<PageRead> => {
    const page = await d.ledger.pageKeysByShard({
      runDate: input.runDate,
      segment: input.segment,
      wave: wave.waveId,
      statuses: PENDING_STATUSES,
      limit: PAGE,
      startKey,
    });
    // The index only says which entries to look at; their state comes from the table itself. The
    // customers are read at the same time (an entry's customer never changes), so a page costs two
    // round trips instead of three.
    const [current, customers] = await Promise.all([
      d.ledger.getMany(page.sendKeys),
      d.customers.batchGetForSending(page.customerIds),
    ]);
    const open = page.sendKeys
      .map((k) => current.get(k))
      .filter((e): e is LedgerEntry => e !== undefined && isPending(e.status));
    return { open, lastKey: page.lastKey, customers };
  };

  let pageRetries = 0;
  let groupsSent = 0;
  let upcoming = readPage(progress.lastKey);
  for (;;) {
    const { open, lastKey, customers } = await upcoming;
    // Read the next page while this one is sent (only this invocation, holding the lease, changes
    // these entries). Suppression is not read ahead: it is checked per group, right before sending.
    const prefetched = lastKey === undefined ? undefined : readPage(lastKey);
    prefetched?.catch(() => undefined);
    const counts: Counts = { ...progress.counts };
    let released = 0;
    for (let i = 0; i < open.length; i += groupSize) {
      // Every invocation sends at least one group, so a short deadline still makes progress.
      if (groupsSent > 0 && outOfTime()) {
        await commit({ counts, intent: undefined });
        return result(false);
      }
      groupsSent += 1;
      const group = open.slice(i, i + groupSize);
      const gate = await awaitWindow(clock, window);
      if (!gate.send) {
        // The window closed (late run, throttling, quota): nothing of this group goes out, so no
        // intent; the save checks the lease before the outcomes are stored.
        await commit({ counts, intent: undefined });
        const outcomes: EntryOutcome[] = [];
        for (const entry of group) {
          outcomes.push(
            isLegacyClaim(entry.status)
              ? await sendOne(ctx, entry, undefined, undefined)
              : missedWindow(ctx, entry, wave.waveId),
          );
        }
        await storeOutcomes(d, outcomes, counts);
        continue;
      }
      const [sending, suppressed] = await Promise.all([
        // The kill switch, read before every group (set by the guardrail, its alarm or by hand).
        d.sending.get(),
        d.suppression.suppressedAmong(
          group.flatMap((e) => {
            const c = customers.get(e.customerId);
            return c ? [{ customerId: c.customerId, email: c.profile.email }] : [];
          }),
        ),
        commit({
          counts,
          intent: {
            invocation: progress.invocations,
            at: new Date().toISOString(),
            sendKeys: group.map((e) => e.sendKey),
          },
        }),
      ]);
      if (sending.state === 'paused') {
        // Nothing of this group was sent: drop the intent, leave every entry queued for a re-run of
        // the date after `retention sending resume`. The segment is not done, only stopped.
        addCount(counts, 'send:paused');
        await commit({ counts, intent: undefined });
        metrics.addMetric(SEND_PAUSED_METRIC, MetricUnit.Count, 1);
        logger.warn('sending paused by the kill switch; entries stay queued', {
          segment: input.segment,
          reason: sending.reason,
          setBy: sending.setBy,
        });
        return result(true);
      }
      const outcomes: EntryOutcome[] = [];
      for (const entry of group) {
        const outcome = await sendOne(
          ctx,
          entry,
          customers.get(entry.customerId),
          suppressed.get(entry.customerId),
        );
        if (outcome.kind === 'released') released += 1;
        outcomes.push(outcome);
      }
      await storeOutcomes(d, outcomes, counts);
      // The guardrail's denominator: this group's sends on the segment's shard of the hour.
      await d.reputation.add(
        'sends',
        outcomes.filter((o) => o.kind === 'final' && o.entry.status === 'sent').length,
        new Date(),
        input.segment,
      );
    }
    if (released > 0 && pageRetries < MAX_PAGE_RETRIES) {
      // Entries released on this page: pass over the same page again (same start key) so they are
      // retried in this run instead of being left behind when progress moves on.
      pageRetries += 1;
      await commit({ counts, intent: undefined });
      if (outOfTime()) return result(false);
      upcoming = readPage(progress.lastKey);
      continue;
    }
    if (released > 0) {
      addCount(counts, 'send:left_queued', released);
      logger.warn('entries left queued after repeated throttling', { segment: input.segment, released });
    }
    pageRetries = 0;
    if (lastKey === undefined || !prefetched) {
      await commit({ lastKey: undefined, counts, intent: undefined, done: true });
      return result(true);
    }
    // Not saved on its own: the next group's intent save carries the new start key. A crash before
    // that re-reads this page, whose entries all have their outcome by now.
    progress = { ...progress, lastKey, counts };
    if (outOfTime()) {
      await commit({ intent: undefined });
      return result(false);
    }
    upcoming = prefetched;
  }
}

/**
 * Counts a group's outcomes and stores the final ones together; for those not mailed after all, gives
 * back the contact history the decision recorded (rare path).
 */
async function storeOutcomes(d: Deps, outcomes: readonly EntryOutcome[], counts: Counts): Promise<void> {
  const finals: LedgerEntry[] = [];
  const givenBack: LedgerEntry[] = [];
  for (const outcome of outcomes) {
    for (const key of outcome.counts) addCount(counts, key);
    if (outcome.kind !== 'final') continue;
    finals.push(outcome.entry);
    if (outcome.undoContact) givenBack.push(outcome.entry);
  }
  await d.ledger.putOutcomes(finals);
  for (const entry of givenBack) {
    await d.customers.undoContact(entry.customerId, entry.campaignId, entry.runDate, entry.contactBefore);
  }
}

/**
 * The previous invocation of this segment wrote a send intent and never replaced it: it died (or is
 * still running after its task was retried) between sending and storing outcomes. Its entries that
 * are still queued may or may not have gone out, so they become `ambiguous` and are not sent again;
 * the conditional transition leaves any outcome that did get stored untouched.
 */
async function settleAbandonedIntent(d: Deps, progress: SegmentProgress): Promise<Counts> {
  const counts: Counts = { ...progress.counts };
  const sendKeys = progress.intent?.sendKeys ?? [];
  const entries = await d.ledger.getMany(sendKeys);
  // Outcomes the abandoned attempt stored but never counted (countsOwedBySettledEntry says why).
  for (const entry of entries.values())
    for (const key of countsOwedBySettledEntry(entry)) addCount(counts, key);
  for (const entry of entriesToSettle(entries.values())) {
    const marked = await d.ledger.transition(entry.sendKey, entry.status, 'ambiguous', {
      finishedAt: new Date().toISOString(),
      reason: AMBIGUOUS_AFTER_CRASH,
    });
    if (!marked) continue;
    addCount(counts, 'send:ambiguous');
    addCount(counts, `campaign:${entry.campaignId}:${entry.segmentId}:ambiguous`);
  }
  logger.warn('settled the send intent of an attempt that ended early', {
    segment: progress.segment,
    sendKeys: sendKeys.length,
    leftBy: progress.intent?.invocation,
  });
  return counts;
}

export type { LedgerEntry };
export const handler = middy(sendSegment)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
