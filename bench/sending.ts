import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { exampleCampaignFiles, pushCampaignFiles } from '../cli/local/campaigns.js';
import { localContext, runNight } from '../cli/local/runNight.js';
import { openLocalSession } from '../cli/local/session.js';
import { seedPopulation } from '../cli/seed/load.js';
import { documentClient, sesClient } from '../functions/adapters/clients.js';
import { CustomerStore } from '../functions/adapters/customerStore.js';
import { type LedgerEntry, LedgerStore, ledgerKey, runShard } from '../functions/adapters/ledgerStore.js';
import { RunStore } from '../functions/adapters/runStore.js';
import { workCounts } from '../functions/adapters/workCounters.js';
import type { SegmentOutput } from '../functions/handlers/segmentInput.js';

const RUN_DATE = '2026-11-20';
/** Send segments of their own for the cloned decisions (the night itself uses 0..3). */
const FIRST_BENCH_SEGMENT = 50;
/** Segments sent at once, as the state machine's Map runs them (SEND_CONCURRENCY). */
const WORKERS = Number(process.env.BENCH_WORKERS ?? 4);
/** Rounds of (bare, bare with WORKERS callers, stage), interleaved so drift hits all three alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/**
 * Untimed rounds first: both paths get faster over the first few thousand calls (JIT, connection
 * pools), the bare loop more than the stage, so cold rounds flattered the ratio.
 */
const WARMUP_ROUNDS = 1;
const ALL_ROUNDS = WARMUP_ROUNDS + ROUNDS;
const TOTAL_SEGMENTS = FIRST_BENCH_SEGMENT + WORKERS * ALL_ROUNDS;
/**
 * The clones' send wave: one wide window, so the stage's window check always passes (the session's
 * simulated clock jumps to its opening) and the figure is the stage's own cost.
 */
const BENCH_WAVE = {
  waveId: `${RUN_DATE}T08:00Z/${RUN_DATE}T20:00Z`,
  opensAt: `${RUN_DATE}T08:00:00.000Z`,
  closesAt: `${RUN_DATE}T20:00:00.000Z`,
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export interface SendingBenchResult {
  n: number;
  rounds: number;
  /** Medians over the rounds. */
  bareSendsPerSecond: number;
  bareConcurrentSendsPerSecond: number;
  pipelineSendsPerSecond: number;
  /** Median of each round's stage rate / bare one-caller rate. */
  ratio: number;
  ratios: number[];
  /**
   * The stage's own cost per send: event-loop busy time per message of the stage minus that of the
   * bare loop in the same round (µs, median). Less sensitive to this machine's speed drift than the
   * ratio, and what the 70 % target is about (SendEmail itself is in both).
   */
  overheadMicrosPerSend: number;
  /** Share of the stage's time with nothing to run (all segments waiting on DynamoDB), median. */
  stageIdleShare: number;
  /** DynamoDB requests the stage made per 100 messages (median over the rounds). */
  dynamodbRequestsPer100: number;
}

/**
 * 1. Bare: N sequential SendEmail calls replaying the night's own requests (same subjects, bodies,
 *    headers, tags and configuration set as the stage sends), each to a fresh address.
 * 2. Pipeline: one night is run for real (seeded customers, example campaigns); its sent decisions are
 *    cloned into N queued ledger entries per round for fresh customers, spread over WORKERS segments,
 *    and the SendSegment handler sends them, WORKERS segments at once as the state machine's Map runs
 *    them. MAX_SEND_RATE is set high: the limiter does not pace, so the figure is the stage's own cost.
 */
export async function benchSending(n = Number(process.env.BENCH_SENDS ?? 1500)): Promise<SendingBenchResult> {
  const home = mkdtempSync(join(tmpdir(), 'retention-bench-send-'));
  const session = await openLocalSession({
    home,
    persist: false,
    overrides: {
      MAX_SEND_RATE: '1000000',
      SEND_CONCURRENCY: String(WORKERS),
      AWS_SES_ACCOUNT: JSON.stringify({
        SendQuota: { Max24HourSend: 100_000_000, MaxSendRate: 1_000_000, SentLast24Hours: 0 },
      }),
    },
  });
  try {
    const db = documentClient();
    await seedPopulation(db, session.tables, {
      customers: 600,
      seed: 42,
      asOf: RUN_DATE,
      orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
    });
    await pushCampaignFiles(session.campaigns, await exampleCampaignFiles(process.cwd()), 'bench');
    // Keep the SendEmail requests the night makes: the bare loop below replays them.
    const ses = sesClient();
    const nightRequests: SendEmailCommandInput[] = [];
    ses.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendEmailCommand') {
          nightRequests.push(structuredClone(args.input as SendEmailCommandInput));
        }
        return next(args);
      },
      { step: 'initialize', name: 'benchKeepSendEmail' },
    );
    try {
      await runNight({ runDate: RUN_DATE });
    } finally {
      ses.middlewareStack.remove('benchKeepSendEmail');
    }
    if (nightRequests.length === 0) throw new Error('the night sent no email to replay');
    const ledger = new LedgerStore(db, session.tables);
    const customers = new CustomerStore(db, session.tables);
    const scanned = await db.send(new ScanCommand({ TableName: session.tables.ledger }));
    const sent = ((scanned.Items ?? []) as LedgerEntry[]).filter((e) => e.status === 'sent');
    if (sent.length === 0) throw new Error('the night sent nothing to clone');
    const originals = await customers.batchGet([...new Set(sent.map((e) => e.customerId))]);

    // Clone N decisions per round: fresh customers (own id and address), queued in the round's segments.
    const clones: Parameters<CustomerStore['bulkPut']>[0][number][] = [];
    const queued: LedgerEntry[] = [];
    const segmentOf = (i: number) => FIRST_BENCH_SEGMENT + Math.floor(i / n) * WORKERS + (i % WORKERS);
    for (let i = 0; i < n * ALL_ROUNDS; i++) {
      const base = sent[i % sent.length]!;
      const original = originals.get(base.customerId)!;
      const customerId = `${base.customerId}-bench${i}`;
      clones.push({
        ...original,
        customerId,
        profile: { ...original.profile, customerId, email: `bench.${i}@example.com` },
      });
      const { messageId: _m, finishedAt: _f, reason: _r, sentAt: _s, ...rest } = base;
      queued.push({
        ...rest,
        sendKey: ledgerKey(RUN_DATE, base.campaignId, customerId),
        runShard: runShard(RUN_DATE, segmentOf(i), BENCH_WAVE.waveId),
        wave: BENCH_WAVE.waveId,
        segment: segmentOf(i),
        customerId,
        status: 'queued',
      });
    }
    // Setup only: fresh keys, so the batch write is as good as a conditional create here.
    await ledger.putOutcomes(queued);
    await customers.bulkPut(clones);

    // Bare SendEmail, sequential, same client and endpoint: the night's own requests replayed (subject,
    // bodies, headers, tags, configuration set) with a fresh recipient each, so the bare loop and the
    // stage send the same messages and the difference is the stage's own work.
    const bare = (i: number) =>
      ses.send(
        new SendEmailCommand({
          ...nightRequests[i % nightRequests.length]!,
          Destination: { ToAddresses: [`bare.${i}@example.com`] },
        }),
      );
    const { handler } = (await import('../functions/handlers/sendSegment.js')) as {
      handler: (e: unknown, c: Context) => Promise<SegmentOutput>;
    };
    const runs = new RunStore(db, session.tables);
    const bareRates: number[] = [];
    const bareConcurrentRates: number[] = [];
    const stageRates: number[] = [];
    const ratios: number[] = [];
    const overheads: number[] = [];
    const idleShares: number[] = [];
    const requestsPer100: number[] = [];
    const dynamodbRequests = () => Object.values(workCounts.dynamodb.calls).reduce((a, b) => a + b, 0);
    let bareCount = 0;
    for (let round = 0; round < ALL_ROUNDS; round++) {
      const warmup = round < WARMUP_ROUNDS;
      const bareLoop = performance.eventLoopUtilization();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await bare(bareCount++);
      const bareRate = n / ((performance.now() - t0) / 1000);
      const bareBusy = performance.eventLoopUtilization(bareLoop).active;
      // The same calls from WORKERS concurrent callers: the ceiling for WORKERS send segments.
      const t0c = performance.now();
      let started = 0;
      await Promise.all(
        Array.from({ length: WORKERS }, async () => {
          while (started < n) {
            started += 1;
            await bare(bareCount++);
          }
        }),
      );
      const bareConcurrentRate = n / ((performance.now() - t0c) / 1000);

      // The pipeline's send stage on this round's N queued clones.
      const segments = Array.from({ length: WORKERS }, (_, w) => FIRST_BENCH_SEGMENT + round * WORKERS + w);
      const requestsBefore = dynamodbRequests();
      const stageLoop = performance.eventLoopUtilization();
      const t1 = performance.now();
      await Promise.all(
        segments.map(async (segment) => {
          let out: SegmentOutput;
          do {
            out = await handler(
              { runDate: RUN_DATE, segment, totalSegments: TOTAL_SEGMENTS, wave: BENCH_WAVE },
              localContext('sendSegment', 15 * 60_000),
            );
          } while (!out.done);
        }),
      );
      const stageRate = n / ((performance.now() - t1) / 1000);
      const stageUse = performance.eventLoopUtilization(stageLoop);
      const requests = dynamodbRequests() - requestsBefore;
      let stageSent = 0;
      for (const segment of segments) {
        stageSent +=
          (await runs.getProgress(RUN_DATE, 'send', segment, BENCH_WAVE.waveId)).counts['send:sent'] ?? 0;
      }
      if (stageSent !== n) throw new Error(`send stage sent ${stageSent} of ${n} in round ${round + 1}`);
      if (warmup) continue;
      bareRates.push(bareRate);
      bareConcurrentRates.push(bareConcurrentRate);
      stageRates.push(stageRate);
      ratios.push(stageRate / bareRate);
      overheads.push(((stageUse.active - bareBusy) * 1000) / n);
      idleShares.push(1 - stageUse.utilization);
      requestsPer100.push((requests * 100) / n);
    }

    const result: SendingBenchResult = {
      n,
      rounds: ROUNDS,
      bareSendsPerSecond: median(bareRates),
      bareConcurrentSendsPerSecond: median(bareConcurrentRates),
      pipelineSendsPerSecond: median(stageRates),
      ratio: median(ratios),
      ratios,
      overheadMicrosPerSend: median(overheads),
      stageIdleShare: median(idleShares),
      dynamodbRequestsPer100: median(requestsPer100),
    };
    const line = (k: string, v: string) => process.stdout.write(`  ${k.padEnd(34)} ${v}\n`);
    const rates = (values: number[]) => values.map((v) => Math.round(v)).join(', ');
    process.stdout.write(
      `\nsending, ${n.toLocaleString('en')} messages x ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up round (SES emulator in-process, dynalite in its own process; the bare loop replays the night's ${nightRequests.length} SendEmail requests; medians, rounds in brackets)\n`,
    );
    line(
      'bare SendEmail, one caller',
      `${Math.round(result.bareSendsPerSecond)} sends/s  [${rates(bareRates)}]`,
    );
    line(
      `bare SendEmail, ${WORKERS} callers`,
      `${Math.round(result.bareConcurrentSendsPerSecond)} sends/s  [${rates(bareConcurrentRates)}]`,
    );
    line(
      `send stage, ${WORKERS} segments`,
      `${Math.round(result.pipelineSendsPerSecond)} sends/s  [${rates(stageRates)}]`,
    );
    line(
      'send stage / bare (one caller)',
      `${(result.ratio * 100).toFixed(0)} % (target ≥ 70 %)  [${ratios.map((r) => `${(r * 100).toFixed(0)} %`).join(', ')}]`,
    );
    line(
      `send stage / bare (${WORKERS} callers)`,
      `${((result.pipelineSendsPerSecond / result.bareConcurrentSendsPerSecond) * 100).toFixed(0)} %`,
    );
    line(
      'stage overhead per send',
      `${Math.round(result.overheadMicrosPerSend)} µs busy beyond the bare call  [${overheads.map((v) => Math.round(v)).join(', ')}]`,
    );
    line('stage idle (all segments waiting)', `${(result.stageIdleShare * 100).toFixed(1)} %`);
    line('DynamoDB requests per 100 sends', result.dynamodbRequestsPer100.toFixed(1));
    return result;
  } finally {
    await session.close();
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchSending();
