// `retention plan`: the projected wall time and AWS cost of a night and a month, from the
// operation counts a local run measured (bench/measured-profile.json) and public prices.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { PRICES_AS_OF, US_EAST_1_PRICES } from '../../functions/domain/cost/prices.js';
import { MeasuredProfileSchema } from '../../functions/domain/cost/profile.js';
import { type NightPlan, type PlanInput, projectNight } from '../../functions/domain/cost/projectNight.js';

const PROFILE_FILE = new URL('../../bench/measured-profile.json', import.meta.url);

const count = z.coerce.number().int().positive();
const PlanOptions = z.object({
  customers: count,
  sendRate: z.coerce.number().positive(),
  sendShare: z.coerce.number().min(0).max(1).optional(),
  segments: count,
  mapConcurrency: count,
  memory: count,
  sample: count,
  sesEventsPerSend: z.coerce.number().nonnegative(),
  sesEventWriteUnits: z.coerce.number().nonnegative(),
  dailyQuota: count.optional(),
  sendWindowHours: z.coerce.number().positive().optional(),
  tableReadUnits: count,
  tableWriteUnits: count,
  profile: z.string().optional(),
  json: z.boolean().optional(),
});

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description(
      'projected wall time and AWS cost of one night and of a month, from measured operation counts',
    )
    .requiredOption('--customers <n>', 'number of customers')
    .option('--send-rate <r>', "the SES account's max send rate, messages per second", '14')
    .option('--send-share <s>', 'share of customers emailed per night, 0..1 (default: the measured night)')
    .option('--segments <n>', 'parallel scan segments', '256')
    .option('--map-concurrency <n>', 'Distributed Map max concurrency', '256')
    .option('--memory <mb>', 'Lambda memory of the night handlers, MB', '1024')
    .option('--sample <n>', 'scoring sample size (SCORING_SAMPLE_SIZE)', '200000')
    .option('--ses-events-per-send <n>', 'SES events per message reaching the event handler', '2')
    .option(
      '--ses-event-write-units <n>',
      'write units per SES event (ledger update, counter marker, counter ADD: read from the sesEvents handler, not measured)',
      '3',
    )
    .option('--daily-quota <n>', 'SES 24-hour sending quota: warn when the night sends more')
    .option('--send-window-hours <h>', 'hours the sends may take: warn when the SES rate needs longer')
    .option(
      '--table-read-units <n>',
      'customers table read units per second (on-demand warm throughput)',
      '12000',
    )
    .option(
      '--table-write-units <n>',
      'customers table write units per second (on-demand warm throughput)',
      '4000',
    )
    .option('--profile <file>', 'measured profile (default: bench/measured-profile.json)')
    .option('--json', 'print the plan as JSON')
    .action((raw: Record<string, unknown>) => {
      const parsed = PlanOptions.safeParse(raw);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `--${kebab(String(i.path[0]))}: ${i.message}`);
        throw new Error(`retention plan: ${problems.join('; ')}`);
      }
      const o = parsed.data;
      const file = o.profile ?? PROFILE_FILE;
      const profileParsed = MeasuredProfileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!profileParsed.success) {
        const issue = profileParsed.error.issues[0];
        throw new Error(`${String(file)}: ${issue?.path.join('.')}: ${issue?.message}`);
      }
      const profile = profileParsed.data;
      const input: PlanInput = {
        customers: o.customers,
        sendRate: o.sendRate,
        sendShare: o.sendShare ?? profile.send.measuredSendShare,
        segments: o.segments,
        mapConcurrency: o.mapConcurrency,
        lambdaMemoryMb: o.memory,
        scoringSampleSize: o.sample,
        sesEventsPerSend: o.sesEventsPerSend,
        writeUnitsPerSesEvent: o.sesEventWriteUnits,
        nightsPerMonth: 30,
        tableReadUnitsPerSecond: o.tableReadUnits,
        tableWriteUnitsPerSecond: o.tableWriteUnits,
        dailyQuota: o.dailyQuota,
        sendWindowHours: o.sendWindowHours,
      };
      const plan = projectNight(profile, input, US_EAST_1_PRICES);
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({ ...plan, pricesAsOf: PRICES_AS_OF, profile: { measuredOn: profile.measuredOn, howMeasured: profile.howMeasured } }, null, 2)}\n`,
        );
      } else process.stdout.write(formatPlan(plan, profile.measuredOn));
    });
}

function quantity(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en') : x.toPrecision(3);
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function formatPlan(plan: NightPlan, measuredOn: string): string {
  const usd = (x: number) => `$${x < 1 ? x.toFixed(4) : x.toFixed(2)}`;
  const min = (s: number) => `${(s / 60).toFixed(1)} min`;
  const out: string[] = [];
  const i = plan.input;
  out.push(
    `plan for ${i.customers.toLocaleString('en')} customers, ${plan.sends.toLocaleString('en')} emails a night ` +
      `(profile measured ${measuredOn}; us-east-1 prices: ${PRICES_AS_OF})`,
    '',
    `${'item'.padEnd(30)} ${'quantity'.padStart(16)} ${'unit'.padEnd(12)} ${'per night'.padStart(10)}`,
  );
  for (const l of plan.lines) {
    out.push(
      `${l.item.padEnd(30)} ${quantity(l.quantity).padStart(16)} ${l.unit.padEnd(12)} ${usd(l.usdPerNight).padStart(10)}`,
    );
  }
  out.push(
    '',
    `compute and storage: ${usd(plan.usdPerNight.computeAndStorage)} a night, ${usd(plan.usdPerMonth.computeAndStorage)} a month, ${usd(plan.computeAndStorageUsdPerMillionCustomers)} per million customers a night`,
    `email (SES):         ${usd(plan.usdPerNight.email)} a night, ${usd(plan.usdPerMonth.email)} a month`,
    '',
    `wall time without the SES rate: ${min(plan.wallSeconds.withoutSesRate)} (prepare ${min(plan.wallSeconds.prepare)}, scoring ${min(plan.wallSeconds.scoring)}: compute ${min(plan.wallSeconds.scoringCompute)}, table throughput ${min(plan.wallSeconds.scoringTableBound)})`,
    `time the SES rate imposes:      ${min(plan.wallSeconds.sesRate)} at ${i.sendRate} messages/s`,
    `Lambda concurrency:             ${plan.lambdaConcurrency} (${i.segments} segments, Map concurrency ${i.mapConcurrency})`,
    `send segments at once:          ${plan.sendConcurrency} (what ${i.sendRate}/s needs; each is billed while it waits for its share of the rate)`,
  );
  for (const w of plan.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}
