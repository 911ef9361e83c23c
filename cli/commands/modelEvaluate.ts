// `retention model evaluate`: reads the transactions, runs the calibration/holdout check
// (functions/domain/scoring/evaluate.ts) and prints it as tables or one JSON object.
import type { ModelReport } from '../../functions/domain/measurement/reportContract.js';
import type { TimeUnit } from '../../functions/domain/scoring/index.js';
import { forEachTransaction, InputError } from './model.js';

export interface EvaluateCommandOptions {
  transactions: string;
  format: string;
  calibrationEnd: string;
  holdoutEnd: string;
  timeUnit: TimeUnit;
  penalizer: number;
  json: boolean;
}

export async function runModelEvaluate(o: EvaluateCommandOptions): Promise<void> {
  const { dayNumber, evaluateModel, PurchaseDays } = await import('../../functions/domain/scoring/index.js');
  // Check the dates before reading a large file.
  for (const [option, value] of [
    ['--calibration-end', o.calibrationEnd],
    ['--holdout-end', o.holdoutEnd],
  ] as const)
    if (Number.isNaN(dayNumber(value)))
      throw new Error(`${option}: invalid date ${JSON.stringify(value)} (expected YYYY-MM-DD)`);
  const purchases = new PurchaseDays();
  let rows = 0;
  await forEachTransaction(o.transactions, o.format, (line, id, day, raw) => {
    if (Number.isNaN(day))
      throw new InputError(o.transactions, line, `unparsable date: ${JSON.stringify(raw)}`);
    purchases.add(id, day);
    rows++;
  });
  if (rows === 0) throw new Error(`${o.transactions}: no transactions`);
  const report = evaluateModel(purchases, {
    calibrationEnd: o.calibrationEnd,
    holdoutEnd: o.holdoutEnd,
    timeUnit: o.timeUnit,
    ...(o.penalizer > 0 ? { penalizer: o.penalizer } : {}),
  });
  process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : formatModelReport(report));
}

const f3 = (v: number) => v.toFixed(3);
const int = (v: number) => Math.round(v).toLocaleString('en-US');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}\n`;
  return line(header) + rows.map(line).join('');
}

/** The terminal form of a model check. */
export function formatModelReport(r: ModelReport): string {
  const out: string[] = [];
  const unit = r.timeUnit ?? 'week';
  out.push(
    `Model check: BG/NBD fitted on purchases up to ${r.calibrationEnd}, predicting the holdout to ${r.holdoutEnd} (${f3(r.holdoutLength ?? 0)} ${unit}s), ${int(r.customers)} customers\n`,
  );
  const p = r.parameters;
  if (p)
    out.push(
      `Fit (${r.fitMethod === 'constant_dropout_limit' ? 'constant-dropout limit' : 'maximum likelihood'}): r=${p.r.toPrecision(4)} alpha=${p.alpha.toPrecision(4)} a=${p.a.toPrecision(4)} b=${p.b.toPrecision(4)} log-likelihood=${p.logLikelihood.toFixed(2)}\n`,
    );
  out.push('\nPer-customer error of predicted holdout repeat purchases\n');
  out.push(
    table(
      ['', 'model', 'naive baseline'],
      [
        ['MAE', f3(r.mae), f3(r.baseline.mae)],
        ['RMSE', f3(r.rmse), f3(r.baseline.rmse)],
      ],
    ),
  );
  out.push(
    r.beatsBaseline
      ? 'The model beats the naive baseline (each customer’s own calibration rate carried forward) on both.\n'
      : 'The model does NOT beat the naive baseline (each customer’s own calibration rate carried forward): do not trust its forecasts over that simple rule.\n',
  );
  if (r.holdoutTotals) {
    const { actual, predicted } = r.holdoutTotals;
    const diff =
      actual > 0
        ? ` (${predicted >= actual ? '+' : ''}${(((predicted - actual) / actual) * 100).toFixed(1)} %)`
        : '';
    out.push(`Holdout repeat purchases: actual ${int(actual)}, predicted ${int(predicted)}${diff}\n`);
  }
  out.push(
    '\nConditional expectation by calibration frequency (mean holdout repeat purchases per customer)\n',
  );
  out.push(
    table(
      ['frequency', 'customers', 'actual', 'predicted'],
      r.conditional.map((c) => [c.frequency, int(c.customers), f3(c.actual), f3(c.predicted)]),
    ),
  );
  out.push(
    '\nCumulative repeat purchases, week by week (predicted: Σ customers’ E[X(t)] since their first purchase)\n',
  );
  out.push(
    table(
      ['week', 'period', 'actual', 'predicted'],
      r.tracking.map((t) => [String(t.week), t.period ?? '', int(t.actual), t.predicted.toFixed(1)]),
    ),
  );
  if (r.warnings.length > 0) out.push(`\nWarnings:\n${r.warnings.map((w) => `  - ${w}\n`).join('')}`);
  return out.join('');
}
