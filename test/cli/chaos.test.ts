import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RATES, FAULT_KINDS, LOST_STATS_INCREMENT, parseFaultList } from '../../cli/chaos/faults.js';
import { runChaos } from '../../cli/chaos/harness.js';
import { checkInvariants, countDuplicates } from '../../cli/chaos/invariants.js';
import { runWorld } from '../../cli/chaos/world.js';
import { documentClient } from '../../functions/adapters/clients.js';
import { emailSubject, SuppressionStore } from '../../functions/adapters/suppressionStore.js';

describe('--faults', () => {
  it('takes all, none, kinds with their default rate, and kind=rate', () => {
    expect(parseFaultList('none')).toEqual({});
    expect(parseFaultList('ses-throttle,ses-5xx=0.2')).toEqual({
      'ses-throttle': DEFAULT_RATES['ses-throttle'],
      'ses-5xx': 0.2,
    });
    const all = parseFaultList('all');
    expect(Object.keys(all).sort()).toEqual(
      FAULT_KINDS.filter((k) => k !== 'ses-events-timeout' && k !== 'dynamo-lost-response').sort(),
    );
    expect(parseFaultList('all,ses-events-timeout')['ses-events-timeout']).toBe(0.05);
  });

  it('names the bad item and says what is expected', () => {
    expect(() => parseFaultList('ses-throttle,disk-full')).toThrow(
      /unknown fault "disk-full": expected all, none or one of/,
    );
    expect(() => parseFaultList('ses-5xx=2')).toThrow(/"ses-5xx=2": the rate must be a number from 0 to 1/);
    expect(() => parseFaultList('ses-5xx=')).toThrow(/the rate must be a number/);
  });
});

/** The CI suite's world: 300 customers × 2 nights from 2026-10-31 (a DST change on night 2), seed 7. */
const WORLD = { customers: 300, nights: 2, seed: 7, startDate: '2026-10-31', pageSize: 50 };

describe('retention chaos', () => {
  it('300 customers × 2 nights under every fault: all invariants hold, every fault kind struck', async () => {
    const report = await runChaos({ ...WORLD, faults: parseFaultList('all') });
    expect(report.invariants).toEqual({
      mailedOnceOrExplained: { ok: true, violations: 0, examples: [] },
      noDuplicates: { ok: true, violations: 0, examples: [] },
      noSendToSuppressed: { ok: true, violations: 0, examples: [] },
      sameAsFaultFree: { ok: true, violations: 0, examples: [] },
      ledgerStatsSummaryAgree: { ok: true, violations: 0, examples: [] },
    });
    expect(report.ok).toBe(true);
    expect(report.duplicates).toBe(0);
    // The faults really struck: the deaths each night, and the rate-driven ones at least once.
    expect(report.injected['crash-score']).toBe(2);
    expect(report.injected['crash-send']).toBe(2);
    expect(report.injected['crash-after-send']).toBe(2);
    expect(report.injected['clock-skew']).toBe(2);
    expect(report.injected['ses-events-reorder']).toBe(2);
    for (const kind of [
      'ses-throttle',
      'ses-5xx',
      'dynamo-unprocessed',
      'dynamo-throttle',
      'lambda-timeout',
      'ses-events-duplicate',
    ])
      expect(report.injected[kind], kind).toBeGreaterThan(0);
    // Six deaths a run; two of them may strike the same attempt (the waves run many send
    // invocations at once), so at least one restart per night.
    expect(report.restarts).toBeGreaterThanOrEqual(2);
    // Emails went out despite all that (417 without faults), and the deaths left entries ambiguous
    // rather than re-sent: each death can leave a group (up to 15) of every in-flight segment of
    // every open wave ambiguous.
    expect(report.emails).toBeGreaterThan(80);
    expect(report.ambiguous).toBeGreaterThan(0);
    expect(report.ambiguous).toBeGreaterThan(0);
  }, 600_000);

  it('responses lost after DynamoDB applied the write: every retried save is known as its own, only statistics increments count twice', async () => {
    const report = await runChaos({ ...WORLD, faults: parseFaultList('dynamo-lost-response=0.05') });
    expect(report.injected['dynamo-lost-response']).toBeGreaterThan(20);
    const { ledgerStatsSummaryAgree, ...others } = report.invariants;
    for (const [name, result] of Object.entries(others)) expect(result, name).toMatchObject({ ok: true });
    // A lost save of a lease or a send intent used to end the attempt (SegmentLeaseLost) and leave
    // its group ambiguous; now nothing is ambiguous, failed or skipped, and no attempt was repeated.
    expect(report).toMatchObject({ ambiguous: 0, failed: 0, skipped: 0, duplicates: 0 });
    expect(report.attemptsPerNight).toEqual([1, 1]);
    // The one known limit (no transactions): a retried ADD counts twice, once per lost response.
    const lostIncrements = report.injected[LOST_STATS_INCREMENT] ?? 0;
    expect(lostIncrements).toBeGreaterThan(0);
    expect(report.statisticsOverEvents).toBe(lostIncrements);
    expect(ledgerStatsSummaryAgree.examples.every((e) => /: statistics \d+, events published/.test(e))).toBe(
      true,
    );
  }, 600_000);

  it('the checker reports a duplicate and a send to a suppressed address made behind the ledger', async () => {
    let victim = '';
    const world = await runWorld({
      customers: 150,
      nights: 2,
      seed: 3,
      startDate: '2026-11-10',
      pageSize: 50,
      faults: {},
      afterRun: async (session, index) => {
        const store = await fetch(`${session.services.sesEndpoint}/store`);
        const { emails } = (await store.json()) as { emails: { destination: { to: string[] } }[] };
        const raw = new SESv2Client({
          endpoint: session.services.sesEndpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        });
        const send = (to: string) =>
          raw.send(
            new SendEmailCommand({
              FromEmailAddress: session.config.SENDER_EMAIL,
              Destination: { ToAddresses: [to] },
              Content: { Simple: { Subject: { Data: 'again' }, Body: { Text: { Data: 'again' } } } },
            }),
          );
        if (index === 0) {
          // Suppressed after night 1: night 2 must not mail this address, and the pipeline does not.
          victim = emails[0]?.destination.to[0] ?? '';
          await new SuppressionStore(documentClient(), session.tables, session.config.ERASURE_SALT).suppress(
            emailSubject(victim),
            'manual',
            'test',
            new Date(),
          );
        } else {
          // Behind the pipeline's back: the suppressed address, and a second email to someone mailed tonight.
          await send(victim);
          await send(emails.at(-1)?.destination.to[0] ?? '');
        }
        raw.destroy();
      },
    });
    expect(victim).not.toBe('');
    const invariants = checkInvariants(world, undefined);
    expect(invariants.noSendToSuppressed.ok).toBe(false);
    expect(invariants.noSendToSuppressed.examples.join()).toMatch(/to suppressed/);
    expect(invariants.noDuplicates.ok).toBe(false);
    expect(invariants.noDuplicates.examples.join()).toMatch(/mailed 2 times \(.*untracked\)/);
    expect(invariants.mailedOnceOrExplained.ok).toBe(false);
    expect(invariants.ledgerStatsSummaryAgree.ok).toBe(false);
    expect(countDuplicates(world)).toBe(1);
    // The same world without the test's sends: the first night is clean.
    expect(checkInvariants({ ...world, nights: world.nights.slice(0, 1) }, undefined).noDuplicates.ok).toBe(
      true,
    );
  }, 300_000);
});
