// `retention report`: did it work? Per campaign, segment and night, treatment against holdout, and the
// program against the global control group (docs/measurement.md, "The report").
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { documentClient } from '../../functions/adapters/clients.js';
import { ReportSource } from '../../functions/adapters/reportSource.js';
import { ConfigSchema, loadConfig } from '../../functions/config.js';
import { formatCampaignError } from '../../functions/domain/campaigns/validate.js';
import {
  type AssembledReport,
  buildReport,
  type CompareArms,
} from '../../functions/domain/measurement/buildReport.js';
import { compareArms } from '../../functions/domain/measurement/compareArms.js';
import { validateGoalSource } from '../../functions/domain/measurement/goalFile.js';
import type { ModelReport } from '../../functions/domain/measurement/reportContract.js';
import { addDays, isoDateSchema, todayUtc } from '../../functions/domain/night/dates.js';
import type { IsoDate } from '../../functions/domain/types.js';
import { openLocalSession } from '../local/session.js';
import { formatReport } from '../report/reportText.js';
import { writeReportHtml } from './reportHtml.js';

/** Nights the report covers when --from is not given: the last 30 up to --to. */
export const DEFAULT_REPORT_NIGHTS = 30;

export interface ReportOptions {
  from?: string | undefined;
  to?: string | undefined;
  campaign?: string | undefined;
  goals?: string | undefined;
  model?: string | undefined;
  /** Where relative defaults (goals.yaml) are looked up: the project folder. */
  cwd: string;
  today?: IsoDate | undefined;
}

function optionDate(option: string, value: string): IsoDate {
  const parsed = isoDateSchema.safeParse(value);
  if (!parsed.success)
    throw new Error(`${option}: ${JSON.stringify(value)} is not a date (expected YYYY-MM-DD)`);
  return parsed.data;
}

/** The dates the report covers, checked. */
export function reportWindow(o: Pick<ReportOptions, 'from' | 'to' | 'today'>): {
  from: IsoDate;
  to: IsoDate;
} {
  const to = o.to === undefined ? (o.today ?? todayUtc()) : optionDate('--to', o.to);
  const from =
    o.from === undefined ? addDays(to, -(DEFAULT_REPORT_NIGHTS - 1)) : optionDate('--from', o.from);
  if (from > to) throw new Error(`--from ${from} is after --to ${to}`);
  return { from, to };
}

async function readGoal(o: ReportOptions) {
  const file =
    o.goals ?? (existsSync(resolve(o.cwd, 'goals.yaml')) ? resolve(o.cwd, 'goals.yaml') : undefined);
  if (file === undefined) return null;
  const result = validateGoalSource(await readFile(file, 'utf8'), o.goals ?? 'goals.yaml');
  if (!result.ok) throw new Error(result.errors.map(formatCampaignError).join('\n'));
  return result.goal;
}

/** A `retention model evaluate --json` output, checked for the fields the report shows. */
async function readModel(file: string | undefined): Promise<ModelReport | null> {
  if (file === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `--model ${file}: not JSON (${(error as Error).message}); write it with retention model evaluate --json`,
    );
  }
  const m = value as Partial<ModelReport> | null;
  for (const field of ['runDate', 'mae', 'rmse', 'baseline', 'tracking', 'conditional'] as const)
    if (m === null || typeof m !== 'object' || m[field] === undefined)
      throw new Error(`--model ${file}: missing "${field}"; write it with retention model evaluate --json`);
  return m as ModelReport;
}

/** Reads the nights (and the goal's baseline nights) and builds the report. */
export async function buildStoredReport(
  source: ReportSource,
  o: ReportOptions & { attributionDays: number },
  compare: CompareArms,
): Promise<AssembledReport> {
  const { from, to } = reportWindow(o);
  const goal = await readGoal(o);
  const model = await readModel(o.model);
  const earliest = goal && goal.baseline.from < from ? goal.baseline.from : from;
  const nights = await source.nights(earliest, to);
  return buildReport(
    { from, to, attributionDays: o.attributionDays, nights, campaignId: o.campaign, goal, model },
    compare,
  );
}

function printReport(report: AssembledReport, opts: { json?: boolean; html?: string }): void {
  if (opts.html) {
    writeReportHtml(report, opts.html);
    if (!opts.json) process.stderr.write(`report page written to ${opts.html}\n`);
  }
  process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatReport(report));
}

export function registerReportCommand(program: Command, compare: CompareArms = compareArms): void {
  program
    .command('report')
    .description(
      'Did it work? Per campaign, segment and night: treatment against holdout (conversion, revenue, uplift with intervals, verdict), the program against the global control group, goal, stage moves',
    )
    .option('--from <date>', `first run date (default: ${DEFAULT_REPORT_NIGHTS} nights up to --to)`)
    .option('--to <date>', 'last run date (default: today, UTC)')
    .option('--campaign <id>', 'only this campaign (the program line then covers it alone)')
    .option('--json', 'print exactly one Report JSON object (docs/measurement.md)')
    .option('--html <file>', 'also write the self-contained report page')
    .option('--goals <file>', 'the goal file (default: goals.yaml in this folder, if there is one)')
    .option('--model <file>', 'a `retention model evaluate --json` output to show as the model check')
    .option('--target <target>', 'local (the embedded database) or aws (the deployed config table)', 'local')
    .option('--config-table <name>', 'the deployed config table for --target aws (default: $CONFIG_TABLE)')
    .action(
      async (opts: {
        from?: string;
        to?: string;
        campaign?: string;
        json?: boolean;
        html?: string;
        goals?: string;
        model?: string;
        target: string;
        configTable?: string;
      }) => {
        if (opts.target !== 'local' && opts.target !== 'aws')
          throw new Error(`--target must be local or aws, got "${opts.target}"`);
        const options = { ...opts, cwd: process.cwd() };
        reportWindow(options); // refuse bad dates before starting anything
        if (opts.target === 'aws') {
          const table = opts.configTable ?? process.env.CONFIG_TABLE;
          if (!table) throw new Error('--target aws needs --config-table NAME or CONFIG_TABLE');
          const parsedDays = ConfigSchema.shape.ATTRIBUTION_WINDOW_DAYS.safeParse(
            process.env.ATTRIBUTION_WINDOW_DAYS,
          );
          if (!parsedDays.success)
            throw new Error(
              `ATTRIBUTION_WINDOW_DAYS: ${JSON.stringify(process.env.ATTRIBUTION_WINDOW_DAYS)} is not a whole number of days from 1 to 365`,
            );
          const days = parsedDays.data;
          const report = await buildStoredReport(
            new ReportSource(documentClient(), table),
            { ...options, attributionDays: days },
            compare,
          );
          printReport(report, opts);
          return;
        }
        const session = await openLocalSession();
        try {
          const config = loadConfig(process.env);
          const report = await buildStoredReport(
            new ReportSource(documentClient(), session.tables.config),
            { ...options, attributionDays: config.ATTRIBUTION_WINDOW_DAYS },
            compare,
          );
          printReport(report, opts);
        } finally {
          await session.close();
        }
      },
    );
}
