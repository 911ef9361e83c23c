// The terminal form of `retention report`: the same Report object --json prints, as tables.
import type { AssembledReport } from '../../functions/domain/measurement/buildReport.js';
import type { Comparison, Interval } from '../../functions/domain/measurement/reportContract.js';

const int = (x: number) => Math.round(x).toLocaleString('en');
const money = (x: number) => x.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const pp = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} pp`;
const signed = (x: number, f: (v: number) => string) => `${x >= 0 ? '+' : '−'}${f(Math.abs(x))}`;
const interval = (i: Interval | null, f: (v: number) => string) =>
  i === null ? 'n/a' : `${signed(i.estimate, f)} [${signed(i.ciLow, f)}, ${signed(i.ciHigh, f)}]`;

function verdictText(c: Comparison): string {
  const needed =
    c.neededPerGroup === null ? '' : ` (about ${int(c.neededPerGroup)} customers per group needed)`;
  return `${c.verdict.replace('_', ' ')}${c.verdict === 'significant' ? '' : needed}`;
}

/** The figures of one comparison as a block of aligned lines. */
function comparisonBlock(c: Comparison, controlName: string, indent: string): string[] {
  const t = c.treatment;
  const h = c.holdout;
  const row = (label: string, a: string, b: string) =>
    `${indent}${label.padEnd(22)}${a.padStart(14)}${b.padStart(16)}`;
  const lines = [
    row('', 'treatment', controlName),
    row('customers', int(t.customers), int(h.customers)),
    row('converters', int(t.converters), int(h.converters)),
    row('conversion rate', pct(t.conversionRate), pct(h.conversionRate)),
    row('orders', int(t.orders), int(h.orders)),
    row('revenue', money(t.revenue), money(h.revenue)),
    row('revenue per customer', money(t.revenuePerCustomer), money(h.revenuePerCustomer)),
  ];
  if (c.uplift) {
    const u = c.uplift;
    const relative =
      u.conversionRate.relative === null
        ? ''
        : ` (${signed(u.conversionRate.relative * 100, (v) => `${v.toFixed(0)} %`)})`;
    lines.push(
      `${indent}uplift, conversion     ${pp(u.conversionRate.absolute)} [${pp(u.conversionRate.ciLow)}, ${pp(u.conversionRate.ciHigh)}]${relative}`,
      `${indent}uplift, revenue/cust.  ${signed(u.revenuePerCustomer.absolute, money)} [${signed(u.revenuePerCustomer.ciLow, money)}, ${signed(u.revenuePerCustomer.ciHigh, money)}]`,
    );
  }
  lines.push(
    `${indent}incremental            conversions ${interval(c.incrementalConversions, int)}, revenue ${interval(c.incrementalRevenue, money)}`,
    `${indent}verdict                ${verdictText(c)}`,
    `${indent}engagement (counts)    sent ${int(c.engagement.sent)}, opened ${int(c.engagement.opened)}, clicked ${int(c.engagement.clicked)}, bounced ${int(c.engagement.bounced)}, complained ${int(c.engagement.complained)}, unsubscribed ${int(c.engagement.unsubscribed)}`,
  );
  return lines;
}

/** One line per segment or night: sizes, rates, the uplift and its interval, the verdict. */
function compactRow(label: string, c: Comparison): string {
  const u = c.uplift?.conversionRate;
  const uplift = u ? `${pp(u.absolute)} [${pp(u.ciLow)}, ${pp(u.ciHigh)}]` : 'n/a';
  return (
    `    ${label.padEnd(20)}${int(c.treatment.customers).padStart(9)}${int(c.holdout.customers).padStart(9)}` +
    `${pct(c.treatment.conversionRate).padStart(10)}${pct(c.holdout.conversionRate).padStart(10)}` +
    `${money(c.treatment.revenuePerCustomer).padStart(10)}${money(c.holdout.revenuePerCustomer).padStart(10)}  ${uplift.padEnd(30)} ${c.verdict}`
  );
}

const COMPACT_HEADER = `    ${''.padEnd(20)}${'treated'.padStart(9)}${'held out'.padStart(9)}${'conv T'.padStart(10)}${'conv H'.padStart(10)}${'rev/c T'.padStart(10)}${'rev/c H'.padStart(10)}  ${'conversion uplift [95 % CI]'.padEnd(30)} verdict`;

export function formatReport(r: AssembledReport): string {
  const out: string[] = [];
  out.push(
    `Report ${r.window.from} to ${r.window.to}; an order counts for a decision from its run date to ${r.window.attributionDays} days after (inclusive) unless the campaign sets its own window.`,
    'Intention to treat: every decision to send is treatment, whether the email went out or not. Opens and clicks are counts, never a success measure.',
    '',
  );
  if (r.campaigns.length === 0) out.push('No campaign decisions in this window.', '');
  for (const c of r.campaigns) {
    out.push(`Campaign ${c.campaignId} (attribution ${c.attributionDays} days)`);
    out.push(...comparisonBlock(c, 'holdout', '  '));
    if (c.segments.length > 0) {
      out.push('  by segment', COMPACT_HEADER);
      for (const s of c.segments) out.push(compactRow(s.segmentId, s));
    }
    if (c.nights.length > 0) {
      out.push('  by night', COMPACT_HEADER);
      for (const n of c.nights) out.push(compactRow(n.runDate, n));
    }
    out.push('');
  }
  out.push("Program: every campaign's treatment against the global control group");
  out.push(...comparisonBlock(r.program, 'global control', '  '), '');
  if (r.goal) {
    const g = r.goal;
    out.push(
      `Goal ${g.name}: ${g.metric.days}-day attrition ${g.current?.rate === null || g.current === null ? 'n/a' : pct(g.current.rate)} now, baseline ${g.baseline.rate === null ? 'n/a' : pct(g.baseline.rate)}, target ${g.target.rate === null ? 'n/a' : pct(g.target.rate)} by ${g.target.by}: ${g.status.replace(/_/g, ' ')}`,
    );
  }
  if (r.stageFlow) {
    const h = r.stageFlow.highlights;
    out.push(
      `Stage moves ${r.stageFlow.from} → ${r.stageFlow.to}: ${int(h.activeToAtRisk)} into at risk, ${int(h.atRiskBack)} back from at risk, ${int(h.reactivated)} reactivated (${r.stageFlow.nights} nights, ${r.stageFlow.missingNights} missing)`,
    );
  }
  if (r.modelCheck) out.push(`Model check: ${r.modelCheck.message}`);
  if (r.model)
    out.push(
      `Model: MAE ${r.model.mae.toFixed(3)} against the baseline's ${r.model.baseline.mae.toFixed(3)} (${r.model.beatsBaseline ? 'beats' : 'does not beat'} it)`,
    );
  return `${out.join('\n')}\n`;
}
