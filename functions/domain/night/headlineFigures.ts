import type { RunSummary } from './summary.js';

/** The night's headline figures: CloudWatch metric names (namespace of the app) and the dashboard's rows. */
export const HEADLINE_METRICS = [
  'Customers',
  'Scored',
  'Chosen',
  'Sent',
  'HeldOut',
  'Suppressed',
  'SendFailed',
  'SendAmbiguous',
  'IncompleteSegments',
] as const;

export type HeadlineMetric = (typeof HEADLINE_METRICS)[number];

/** Totals over campaigns of one run summary, one number per headline metric. */
export function headlineFigures(summary: RunSummary): Record<HeadlineMetric, number> {
  const sum = (pick: (c: RunSummary['campaigns'][number]) => number) =>
    summary.campaigns.reduce((n, c) => n + pick(c), 0);
  return {
    Customers: summary.customers,
    Scored: summary.scored,
    Chosen: sum((c) => c.chosen),
    Sent: sum((c) => c.sent),
    HeldOut: sum((c) => c.holdout + c.globalControl),
    Suppressed: sum((c) => c.suppressed),
    SendFailed: sum((c) => c.failed),
    SendAmbiguous: sum((c) => c.ambiguous),
    IncompleteSegments: summary.work.incompleteSegments,
  };
}

/** Per-campaign figures of the night, emitted with a `campaignId` dimension (Summarize). */
export function campaignFigures(
  summary: RunSummary,
): Map<string, { Sent: number; SendFailed: number; HeldOut: number }> {
  const out = new Map<string, { Sent: number; SendFailed: number; HeldOut: number }>();
  for (const c of summary.campaigns) {
    const f = out.get(c.campaignId) ?? { Sent: 0, SendFailed: 0, HeldOut: 0 };
    f.Sent += c.sent;
    f.SendFailed += c.failed + c.ambiguous;
    f.HeldOut += c.holdout + c.globalControl;
    out.set(c.campaignId, f);
  }
  return out;
}
