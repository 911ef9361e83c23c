import { formatWaves } from '../../functions/domain/delivery/sendWaves.js';
import type { RunSummary } from '../../functions/domain/night/summary.js';
import type { NightResult } from './runNight.js';

export type RunReport = Omit<RunSummary, 'work'> & {
  work: RunSummary['work'] & NightResult['work'];
  timings: {
    seedMs?: number;
    runMs: number;
    phasesMs: Record<string, number>;
    statesMs: Record<string, number>;
  };
  outbox: { dir: string; written: number };
};

const n = (x: number) => x.toLocaleString('en');

function table(title: string, rows: [string, number][]): string {
  if (rows.length === 0) return `${title}: none\n`;
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${title}\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${n(v).padStart(8)}`).join('\n')}\n`;
}

const sorted = (r: Record<string, number>): [string, number][] =>
  Object.entries(r).sort((a, b) => b[1] - a[1]);

/** The human-readable run report `retention run` prints. */
export function formatSummary(report: RunReport): string {
  const out: string[] = [];
  const scored = report.scored;
  const withoutOrders = report.customers - scored - report.unscorable;
  out.push(
    `\nNight of ${report.runDate}: ${n(report.customers)} customers: ${n(scored)} scored, ${n(withoutOrders)} without orders (nothing to score), ${n(report.unscorable)} could not be scored\n`,
  );
  if (report.models) {
    const b = report.models.bgnbd;
    out.push(
      `Models fitted on ${n(report.population.withOrders)} customers with orders (${n(report.population.repeatCustomers)} repeat): BG/NBD r=${b.r.toFixed(3)} alpha=${b.alpha.toFixed(2)} a=${b.a.toFixed(3)} b=${b.b.toFixed(3)}` +
        (report.models.gammaGamma
          ? `, Gamma-Gamma p=${report.models.gammaGamma.p.toFixed(2)} q=${report.models.gammaGamma.q.toFixed(2)} v=${report.models.gammaGamma.v.toFixed(2)}`
          : '') +
        '\n',
    );
    if (report.models.fit?.method === 'constant_dropout_limit')
      out.push(
        `BG/NBD fitted as the constant-dropout limit (a, b → ∞): dropout probability ${report.models.fit.dropoutProbability?.toFixed(3)} after each purchase\n`,
      );
    for (const w of report.models.fit?.warnings ?? []) out.push(`Model warning: ${w}\n`);
    const closed = report.modelCheck?.closed;
    if (closed) out.push(`${closed.drift ? 'Model warning: ' : 'Model check: '}${closed.message}\n`);
  } else {
    out.push(`Models not fitted: ${report.modelProblem ?? 'unknown reason'}\n`);
  }
  out.push(table('\nLife stages', sorted(report.stages)));
  out.push(table('\nSignals', sorted(report.signals)));
  out.push(table('\nDecisions', sorted(report.outcomes)));
  if (report.campaigns.length > 0) {
    out.push(
      '\nCampaign / segment                          chosen     sent  held out  suppressed  skipped  failed\n',
    );
    for (const c of report.campaigns) {
      const label = `${c.campaignId} / ${c.segmentId}`.padEnd(40);
      out.push(
        `  ${label}  ${n(c.chosen).padStart(6)}  ${n(c.sent).padStart(7)}  ${n(c.holdout + c.globalControl).padStart(8)}  ${n(c.suppressed).padStart(10)}  ${n(c.skipped).padStart(7)}  ${n(c.failed + c.ambiguous).padStart(6)}\n`,
      );
    }
  }
  out.push(table('\nSending', sorted(report.send)));
  // When each zone's emails go out (UTC, and the local window they were planned in).
  if (report.waves) out.push(`\n${formatWaves(report.waves).join('\n')}\n`);
  const w = report.work;
  out.push(
    `\nWork done: DynamoDB ${n(Object.values(w.dynamodb.calls).reduce((a, b) => a + b, 0))} calls, ` +
      `${n(Math.round(w.dynamodb.readCapacityUnits))} RCU, ${n(Math.round(w.dynamodb.writeCapacityUnits))} WCU; ` +
      `SES ${n(Object.values(w.ses.calls).reduce((a, b) => a + b, 0))} calls; ` +
      `Step Functions ${n(w.stepFunctions.stateTransitions)} state transitions; ` +
      `Lambda ${n(Object.values(w.lambda.invocations).reduce((a, b) => a + b, 0))} invocations\n`,
  );
  const phases = Object.entries(report.timings.statesMs)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
    .join(', ');
  out.push(
    `Time: ${report.timings.seedMs !== undefined ? `seeding ${(report.timings.seedMs / 1000).toFixed(1)} s, ` : ''}night ${(report.timings.runMs / 1000).toFixed(1)} s (${phases})\n`,
  );
  out.push(`\nEmails: ${n(report.outbox.written)} new .eml files in ${report.outbox.dir}\n`);
  out.push(
    'Next: open an .eml file; `npx retention serve` serves the unsubscribe links they contain; ' +
      '`npx retention run --date <next day>` simulates the following night.\n',
  );
  return out.join('');
}
