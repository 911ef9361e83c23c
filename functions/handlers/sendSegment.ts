import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { LedgerEntry } from '../adapters/ledgerStore.js';
import type { Counts } from '../adapters/runStore.js';
import { loadUnsubscribeKeys } from '../adapters/unsubscribeKeys.js';
import { workCounts } from '../adapters/workCounters.js';
import { maskEmail, validateEmail } from '../domain/delivery/emailAddress.js';
import { listUnsubscribeHeaders } from '../domain/delivery/headers.js';
import {
  classifySesError,
  createSendRateLimiter,
  describeSesError,
  retryWithBackoff,
} from '../domain/delivery/sendRate.js';
import { encodeSendTag } from '../domain/delivery/sendTag.js';
import { SES_TAG_NAMES } from '../domain/delivery/sesEvents.js';
import { signUnsubscribeToken, unsubscribeUrl } from '../domain/delivery/unsubscribeToken.js';
import { compileNight, renderDecidedEmail } from '../domain/night/context.js';
import { addCount } from '../domain/night/counts.js';
import { stillEligible } from '../domain/night/decideCustomer.js';
import type { RunPlan } from '../domain/night/plan.js';
import { deps, logger } from './deps.js';
import { SegmentInput, type SegmentOutput } from './segmentInput.js';

const PAGE = 100;
/** Extra passes over one page while entries were released back to `queued` (throttled, not sent). */
const MAX_PAGE_RETRIES = 3;

class QuotaExhausted extends Error {
  override name = 'QuotaExhausted';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends the queued decisions of one segment. Each ledger entry moves queued → claimed → sent |
 * failed with conditional writes; an entry found still `claimed` belongs to an attempt that died
 * with an unknown outcome and is marked `ambiguous`, never re-sent (at-most-once, see docs/delivery.md).
 */
async function sendSegment(event: unknown, context: Context): Promise<SegmentOutput> {
  const input = SegmentInput.parse(event);
  const d = deps();
  const run = await d.runs.get<RunPlan>(input.runDate);
  if (!run) throw new Error(`no run record for ${input.runDate}`);
  let progress = await d.runs.getProgress(input.runDate, 'send', input.segment);
  const result = (done: boolean): SegmentOutput => ({ ...input, done });
  if (progress.done) return result(true);
  const expectedInvocations = progress.invocations;
  progress = { ...progress, invocations: progress.invocations + 1 };
  await d.runs.saveProgress(input.runDate, progress, expectedInvocations);

  const versions = await Promise.all(
    run.plan.campaigns.map((c) => d.campaigns.version(c.campaignId, c.version)),
  );
  const night = compileNight(
    run.plan,
    versions.filter((v) => v !== undefined),
  );
  const keys = await loadUnsubscribeKeys(d.config);
  const quota = await d.mailer.quota();
  // Each concurrent segment gets its share of the account's send rate.
  const rate =
    Math.min(d.config.MAX_SEND_RATE, quota?.maxSendRate ?? Number.POSITIVE_INFINITY) /
    d.config.SEND_CONCURRENCY;
  const limiter = createSendRateLimiter({
    maxSendRate: rate,
    max24HourSend: quota?.max24HourSend ?? -1,
    sentLast24Hours: quota?.sentLast24Hours ?? 0,
    now: () => Date.now(),
    sleep,
  });

  let pageRetries = 0;
  for (;;) {
    let released = 0;
    const page = await d.ledger.pageByShard({
      runDate: input.runDate,
      segment: input.segment,
      statuses: ['queued', 'claimed'],
      limit: PAGE,
      startKey: progress.lastKey,
    });
    const counts: Counts = { ...progress.counts };
    const customers = await d.customers.batchGet(page.items.map((e) => e.customerId));
    const suppressed = await d.suppression.suppressedAmong(
      [...customers.values()].map((c) => ({ customerId: c.customerId, email: c.profile.email })),
    );
    for (const entry of page.items) {
      const label = `campaign:${entry.campaignId}:${entry.segmentId}`;
      if (entry.status === 'claimed') {
        await d.ledger.transition(entry.sendKey, 'claimed', 'ambiguous', {
          finishedAt: new Date().toISOString(),
          reason: 'claimed by an attempt that ended without recording the outcome; not re-sent',
        });
        addCount(counts, 'send:ambiguous');
        addCount(counts, `${label}:ambiguous`);
        continue;
      }
      const customer = customers.get(entry.customerId);
      const campaign = night.campaigns.get(entry.campaignId);
      const eligibility = stillEligible(customer, campaign, suppressed.get(entry.customerId));
      if (!eligibility.ok || !customer || !campaign) {
        await d.ledger.transition(entry.sendKey, 'queued', 'skipped', {
          finishedAt: new Date().toISOString(),
          reason: eligibility.ok ? 'campaign no longer loaded' : eligibility.reason,
        });
        addCount(counts, `send:skipped:${eligibility.ok ? 'campaign' : eligibility.code}`);
        addCount(counts, `${label}:skipped`);
        continue;
      }
      const address = validateEmail(customer.profile.email);
      if (!address.ok) {
        await d.ledger.transition(entry.sendKey, 'queued', 'failed', {
          finishedAt: new Date().toISOString(),
          reason: `invalid address: ${address.reason}`,
        });
        addCount(counts, 'send:invalid_address');
        addCount(counts, `${label}:invalid_address`);
        continue;
      }
      if (limiter.remainingQuota() <= 0) {
        // Leave the entry queued: the next run of this date (or a re-run) picks it up.
        addCount(counts, 'send:deferred_quota');
        continue;
      }
      const token = signUnsubscribeToken(keys, {
        customerId: customer.customerId,
        campaignId: entry.campaignId,
        sendId: entry.sendKey,
        issuedAt: input.runDate,
      });
      const url = unsubscribeUrl(d.config.UNSUBSCRIBE_BASE_URL, token);
      let rendered: ReturnType<typeof renderDecidedEmail>;
      try {
        rendered = renderDecidedEmail(night, campaign, entry, customer, {
          unsubscribeUrl: url,
          postalAddress: d.config.POSTAL_ADDRESS,
          senderName: d.config.SENDER_NAME,
        });
      } catch (error) {
        // A template that cannot render for this customer is a permanent failure of this send only.
        await d.ledger.transition(entry.sendKey, 'queued', 'failed', {
          finishedAt: new Date().toISOString(),
          reason: `render failed: ${(error as Error).message}`.slice(0, 500),
        });
        addCount(counts, 'send:render_failed');
        addCount(counts, `${label}:failed`);
        continue;
      }
      if (
        !(await d.ledger.transition(entry.sendKey, 'queued', 'claimed', {
          claimedAt: new Date().toISOString(),
        }))
      ) {
        addCount(counts, 'send:lost_claim');
        continue;
      }
      const sendTag = encodeSendTag(entry.sendKey);
      try {
        const sent = await retryWithBackoff(
          async () => {
            const slot = await limiter.acquire();
            if (!slot.ok) throw new QuotaExhausted();
            return d.mailer.send({
              from: `${d.config.SENDER_NAME} <${d.config.SENDER_EMAIL}>`,
              to: address.email,
              subject: rendered.subject,
              html: rendered.html,
              text: rendered.text,
              headers: listUnsubscribeHeaders({ httpsUrl: url, mailto: d.config.UNSUBSCRIBE_MAILTO }).map(
                (h) => ({
                  name: h.Name,
                  value: h.Value,
                }),
              ),
              // The SES events handler finds the ledger entry again through the reversible sendId tag.
              tags: {
                [SES_TAG_NAMES.runDate]: input.runDate,
                [SES_TAG_NAMES.campaignId]: entry.campaignId,
                [SES_TAG_NAMES.segmentId]: entry.segmentId,
                ...(sendTag === undefined ? {} : { [SES_TAG_NAMES.sendId]: sendTag }),
              },
              configurationSet: d.config.SES_CONFIGURATION_SET,
            });
          },
          {
            maxAttempts: 6,
            baseMs: 200,
            capMs: 10_000,
            random: Math.random,
            sleep,
            isRetryable: (error: unknown) => {
              if (error instanceof QuotaExhausted) return false;
              const { kind, maybeSent } = describeSesError(error);
              if (kind === 'throttled') {
                workCounts.ses.throttled += 1;
                // SES dropped the throttled message: the slot was not used.
                limiter.release();
              }
              // Never resend when the request may have reached SES (timeout, reset connection).
              return (kind === 'throttled' || kind === 'transient') && !maybeSent;
            },
          },
        );
        workCounts.ses.recipients += 1;
        await d.ledger.transition(entry.sendKey, 'claimed', 'sent', {
          finishedAt: new Date().toISOString(),
          messageId: sent.messageId,
        });
        await d.customers.recordEmailSent(customer.customerId, entry.campaignId, input.runDate);
        addCount(counts, 'send:sent');
        addCount(counts, `${label}:sent`);
      } catch (error) {
        const kind = error instanceof QuotaExhausted ? 'quota_exceeded' : classifySesError(error);
        const maybeSent = !(error instanceof QuotaExhausted) && describeSesError(error).maybeSent;
        const reason =
          `${kind}: ${(error as Error).name ?? 'Error'}: ${(error as Error).message ?? ''}`.slice(0, 500);
        if (maybeSent) {
          // SES may have accepted it (timeout, reset connection): at-most-once, report, never resend.
          await d.ledger.transition(entry.sendKey, 'claimed', 'ambiguous', {
            finishedAt: new Date().toISOString(),
            reason: `outcome unknown, not re-sent: ${reason}`.slice(0, 500),
          });
          addCount(counts, 'send:ambiguous');
          addCount(counts, `${label}:ambiguous`);
        } else if (kind === 'throttled' || kind === 'transient' || kind === 'quota_exceeded') {
          // Throttled or transient after all retries: SES did not take the message, so it is safe to
          // release the claim; the page is passed over again below. Permanent errors are final.
          await d.ledger.transition(entry.sendKey, 'claimed', 'queued', { reason });
          addCount(counts, `send:retry_later:${kind}`);
          if (kind === 'throttled') {
            // The last attempt's throttle (the retry policy only sees the ones it retries).
            workCounts.ses.throttled += 1;
            limiter.release();
          }
          if (kind !== 'quota_exceeded') released += 1;
        } else {
          await d.ledger.transition(entry.sendKey, 'claimed', 'failed', {
            finishedAt: new Date().toISOString(),
            reason,
          });
          addCount(counts, 'send:failed');
          addCount(counts, `${label}:failed`);
        }
        logger.warn('send failed', { sendKey: entry.sendKey, to: maskEmail(customer.profile.email), kind });
      }
    }
    const before = progress.invocations;
    if (released > 0 && pageRetries < MAX_PAGE_RETRIES) {
      // Entries released back to `queued` on this page: pass over the same page again (same start
      // key) so they are retried in this run instead of being left behind when progress moves on.
      pageRetries += 1;
      progress = { ...progress, counts };
      await d.runs.saveProgress(input.runDate, progress, before);
      if (context.getRemainingTimeInMillis() < d.config.DEADLINE_RESERVE_MS) return result(false);
      continue;
    }
    if (released > 0) {
      addCount(counts, 'send:left_queued', released);
      logger.warn('entries left queued after repeated throttling', { segment: input.segment, released });
    }
    pageRetries = 0;
    progress = { ...progress, lastKey: page.lastKey, counts, done: page.lastKey === undefined };
    await d.runs.saveProgress(input.runDate, progress, before);
    if (progress.done) return result(true);
    if (context.getRemainingTimeInMillis() < d.config.DEADLINE_RESERVE_MS) return result(false);
  }
}

export type { LedgerEntry };
export const handler = middy(sendSegment).use(injectLambdaContext(logger));
