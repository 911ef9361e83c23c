import { join } from 'node:path';
import type { Command } from 'commander';
import { documentClient } from '../../functions/adapters/clients.js';
import { RunStore } from '../../functions/adapters/runStore.js';
import { todayUtc } from '../../functions/domain/night/dates.js';
import type { RunPlan } from '../../functions/domain/night/plan.js';
import { exampleCampaignFiles, pushCampaignFiles } from '../local/campaigns.js';
import { holdNight } from '../local/nightLock.js';
import { writeOutbox } from '../local/outbox.js';
import { localPaths } from '../local/paths.js';
import { formatSummary } from '../local/report.js';
import { openLocalSession } from '../local/session.js';
import { parseDate, parseInstant, parsePositiveInt } from '../options.js';
import { seedPopulation } from '../seed/load.js';

export function registerLocalCommands(program: Command): void {
  program
    .command('seed')
    .description(
      'Seed the local database with a deterministic synthetic population (buy-till-you-die process)',
    )
    // Checked in the action, not with requiredOption: commander would demand it of the
    // `seed responses` subcommand too (it checks ancestors' mandatory options).
    .option('--customers <n>', 'number of customers (required)', parsePositiveInt)
    .option('--seed <s>', 'random seed', parsePositiveInt, 42)
    .option('--as-of <date>', 'last day of the synthetic history (default today)', parseDate)
    .option('--force', 'seed even when customers exist (overwrites the same ids)')
    .action(async (opts: { customers?: number; seed: number; asOf?: string; force?: boolean }) => {
      if (opts.customers === undefined)
        throw new Error("error: required option '--customers <n>' not specified");
      const customers = opts.customers;
      const session = await openLocalSession();
      try {
        const existing = await session.customers.count();
        if (existing > 0 && !opts.force) {
          throw new Error(`the local database already has ${existing} customers; use --force to seed anyway`);
        }
        const result = await seedPopulation(documentClient(), session.tables, {
          customers,
          seed: opts.seed,
          asOf: opts.asOf ?? todayUtc(),
          orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
        });
        process.stdout.write(
          `seeded ${result.customers} customers with ${result.orders} orders (${result.ordersWritten} within retention) in ${(result.ms / 1000).toFixed(1)} s\n`,
        );
      } finally {
        await session.close();
      }
    });

  program
    .command('run')
    .description('Run one nightly run locally: the real state machine and handlers on the embedded services')
    .option('--date <date>', 'the night to run (default today)', parseDate)
    .option('--json', 'print the summary as one JSON object')
    .option('--friendly', 'seed 10,000 synthetic customers and push the example campaigns on first use')
    .option('--customers <n>', 'customers to seed on first use (with --friendly)', parsePositiveInt, 10_000)
    .option('--no-examples', 'do not push the example campaigns before the run')
    .option(
      '--wait-for-windows',
      "really wait for each send wave's local-time window (the system clock); by default the night is simulated: each wave is sent at once, every email dated at its scheduled moment",
    )
    .option(
      '--start-at <instant>',
      'simulated clock: the UTC instant the night starts at, e.g. 2026-12-03T12:00:00Z (default 02:00 UTC on the run date)',
      parseInstant,
    )
    .action(
      async (opts: {
        date?: string;
        json?: boolean;
        friendly?: boolean;
        customers: number;
        examples: boolean;
        waitForWindows?: boolean;
        startAt?: number;
      }) => {
        if (opts.waitForWindows && opts.startAt !== undefined) {
          throw new Error(
            '--start-at sets the simulated clock; it cannot be combined with --wait-for-windows',
          );
        }
        const runDate = opts.date ?? todayUtc();
        const log = (line: string) => {
          if (!opts.json) process.stderr.write(`${line}\n`);
        };
        const session = await openLocalSession();
        try {
          const timings: Record<string, number> = {};
          if (opts.friendly && (await session.customers.isEmpty())) {
            log(`first use: seeding ${opts.customers.toLocaleString('en')} synthetic customers…`);
            const seeded = await seedPopulation(documentClient(), session.tables, {
              customers: opts.customers,
              seed: 42,
              asOf: runDate,
              orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
              onProgress: (n) => {
                if (!opts.json && process.stderr.isTTY)
                  process.stderr.write(`\r  ${n.toLocaleString('en')} customers`);
              },
            });
            if (!opts.json && process.stderr.isTTY) process.stderr.write('\n');
            timings.seedMs = seeded.ms;
            log(
              `seeded ${seeded.customers} customers and ${seeded.orders} orders in ${(seeded.ms / 1000).toFixed(1)} s`,
            );
          }
          if (opts.examples) {
            const outcomes = await pushCampaignFiles(
              session.campaigns,
              await exampleCampaignFiles(process.cwd()),
              'local',
            );
            for (const o of outcomes) {
              if (!o.ok)
                log(`campaign ${o.file} is invalid and was not loaded:\n  ${(o.errors ?? []).join('\n  ')}`);
              else if (o.changed) log(`campaign ${o.campaignId}: version ${o.version} from ${o.file}`);
            }
          }
          // One process runs a night at a time (as one execution name on AWS); a second run of the
          // same night waits, then re-runs it idempotently.
          const night = await holdNight({
            db: documentClient(),
            table: session.tables.config,
            runDate,
            onWait: (h) =>
              process.stderr.write(
                `the night of ${runDate} is being run by pid ${h.pid} (${h.command}, started ${h.startedAt}); waiting for it to finish…\n`,
              ),
          });
          const since = Math.floor(Date.now() / 1000) - 1;
          log(`running the night of ${runDate}…`);
          // Loaded on demand: it builds the CDK app, which other commands need not pay for.
          const { runNight } = await import('../local/runNight.js');
          const stopProgress = opts.json ? () => undefined : showProgress(session, runDate);
          let result: Awaited<ReturnType<typeof runNight>>;
          try {
            result = await runNight({
              runDate,
              clock: opts.waitForWindows
                ? { mode: 'system' }
                : { mode: 'simulated', ...(opts.startAt === undefined ? {} : { startAt: opts.startAt }) },
            });
          } finally {
            stopProgress();
            await night.release();
          }
          const outboxDir = join(localPaths(session.services.home).outbox, runDate);
          const written = await writeOutbox(session.services.sesEndpoint, outboxDir, since);
          const report = {
            ...result.summary,
            work: { ...result.summary.work, ...result.work },
            timings: {
              ...timings,
              runMs: result.wallMs,
              phasesMs: result.phases,
              statesMs: result.stateWallMs,
            },
            outbox: { dir: outboxDir, written: written.length },
          };
          if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
          else process.stdout.write(formatSummary(report));
        } finally {
          await session.close();
        }
      },
    );
}

/**
 * Progress of a long night, read from the same per-segment progress items the handlers save
 * after every page: customers scored so far and emails sent, refreshed every second on a TTY.
 */
function showProgress(session: Awaited<ReturnType<typeof openLocalSession>>, runDate: string): () => void {
  if (!process.stderr.isTTY) return () => undefined;
  const runs = new RunStore(documentClient(), session.tables);
  // The total comes from Prepare's sample (the whole population up to SCORING_SAMPLE_SIZE), so
  // showing progress costs no scan of its own.
  let total: number | undefined;
  const sum = (items: { counts: Record<string, number> }[], key: string) =>
    items.reduce((n, p) => n + (p.counts[key] ?? 0), 0);
  const timer = setInterval(() => {
    void Promise.all([
      runs.listProgress(runDate, 'score'),
      runs.listProgress(runDate, 'send'),
      total ? undefined : runs.get<RunPlan>(runDate),
    ])
      .then(([score, send, run]) => {
        const population = run?.plan.population;
        if (population && population.sampledFraction > 0)
          total = Math.round(population.sampled / population.sampledFraction);
        const scored = sum(score, 'customers');
        const sent = sum(send, 'send:sent');
        const of = total ? ` of ${total.toLocaleString('en')}` : '';
        process.stderr.write(
          `\r  scored ${scored.toLocaleString('en')}${of} customers, sent ${sent.toLocaleString('en')} emails   `,
        );
      })
      .catch(() => undefined);
  }, 1000);
  return () => {
    clearInterval(timer);
    process.stderr.write(`\r${' '.repeat(72)}\r`);
  };
}
