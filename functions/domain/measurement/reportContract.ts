// The `retention report --json` contract. Field names here are a documented, stable interface
// (docs/measurement.md): scripts and dashboards read them, so rename nothing, only add.
// Rates are fractions (0.12, not 12). Money is in the shop's currency units, not cents.
import type { IsoDate, LifeStage } from '../types.js';

export interface ReportWindow {
  from: IsoDate;
  to: IsoDate;
  /** The program default; a campaign may set its own (`attributionWindowDays`). */
  attributionDays: number;
}

/** One arm of a comparison: the treatment, or its control (a campaign's holdout or the global control group). */
export interface GroupFigures {
  customers: number;
  converters: number;
  conversionRate: number;
  orders: number;
  revenue: number;
  revenuePerCustomer: number;
}

export interface Interval {
  estimate: number;
  ciLow: number;
  ciHigh: number;
}

export interface Uplift {
  /** Treatment minus control; relative is absolute / control rate (null when the control rate is 0). */
  conversionRate: { absolute: number; relative: number | null; ciLow: number; ciHigh: number };
  revenuePerCustomer: { absolute: number; ciLow: number; ciHigh: number };
}

export type Verdict = 'significant' | 'not_significant' | 'insufficient_data';

/** Treatment against control, with the uncertainty. Intention-to-treat: a bounced treatment email is still treatment. */
export interface Comparison {
  treatment: GroupFigures;
  /** The control arm: the campaign's holdout, or, under `program`, the global control group. */
  holdout: GroupFigures;
  uplift: Uplift | null;
  incrementalConversions: Interval | null;
  incrementalRevenue: Interval | null;
  verdict: Verdict;
  /** With `insufficient_data` or `not_significant`: roughly how many customers per group an 80 %-power test would need. */
  neededPerGroup: number | null;
  /** Counts only, never a success measure (Apple Mail Privacy Protection inflates opens). */
  engagement: {
    sent: number;
    opened: number;
    clicked: number;
    bounced: number;
    complained: number;
    unsubscribed: number;
  };
}

export interface SegmentReport extends Comparison {
  segmentId: string;
}

export interface NightReport extends Comparison {
  runDate: IsoDate;
}

export interface CampaignReport extends Comparison {
  campaignId: string;
  attributionDays: number;
  segments: SegmentReport[];
  nights: NightReport[];
}

export interface Milepost {
  date: IsoDate;
  /** The attrition rate the goal expects by this date. */
  target: number;
  /** The measured rate for the period ending at this date; null while the period is not closed yet. */
  actual: number | null;
  met: boolean | null;
}

export interface GoalReport {
  name: string;
  metric: { kind: 'attrition_rate'; days: number };
  baseline: { from: IsoDate; to: IsoDate; rate: number | null; customers: number };
  target: { change: number; rate: number | null; by: IsoDate };
  current: { from: IsoDate; to: IsoDate; rate: number | null; customers: number } | null;
  mileposts: Milepost[];
  status: 'on_track' | 'off_track' | 'achieved' | 'not_enough_data';
}

export interface StageFlowReport {
  from: IsoDate;
  to: IsoDate;
  stages: LifeStage[];
  /**
   * matrix[i][j], i ≠ j: moves from stages[i] to stages[j], summed over the nights after `from` up to
   * and including `to` (one move per customer per night whose stage changed since their previous
   * night; a customer who moves twice counts twice). The diagonal is 0: staying is not a move.
   * Stage counts at both ends are in fromStages / toStages (docs/goals.md).
   */
  matrix: number[][];
  /**
   * Plain-words headline counts read off the matrix: moves from new/active/vip/reactivated to at_risk,
   * moves from at_risk back to one of those, and moves into reactivated.
   */
  highlights: { activeToAtRisk: number; atRiskBack: number; reactivated: number };
  /** Customers per stage on the night `from` and on the night `to`. */
  fromStages: Record<LifeStage, number>;
  toStages: Record<LifeStage, number>;
  /** Nights whose moves are summed, and the days between `from` and `to` without a run record. */
  nights: number;
  missingNights: number;
}

export interface ModelTrackingPoint {
  /** Week k covers days [7(k-1), 7k) from the cohort's first purchase day; the last week ends at the holdout end. */
  week: number;
  actual: number;
  predicted: number;
  period?: 'calibration' | 'holdout';
}

export interface ModelReport {
  /** The night whose check this is (the nightly run refits on the last closed period and predicts it). */
  runDate: IsoDate;
  calibrationEnd: IsoDate;
  holdoutEnd: IsoDate;
  customers: number;
  mae: number;
  rmse: number;
  baseline: { mae: number; rmse: number };
  beatsBaseline: boolean;
  /**
   * Cumulative repeat purchases, week by week, from the cohort's first week through the holdout period
   * (the paper's Figure 3: predicted = Σ customers' unconditional E[X(t)] since their first purchase);
   * `period` tells the calibration weeks from the holdout weeks.
   */
  tracking: ModelTrackingPoint[];
  /** Conditional expectation by calibration frequency (0, 1, …, 7+): mean holdout repeat purchases per customer. */
  conditional: { frequency: string; customers: number; actual: number; predicted: number }[];
  warnings: string[];
  /** Time unit of the fit and the holdout length in it. */
  timeUnit?: 'day' | 'week';
  holdoutLength?: number;
  /** BG/NBD parameters fitted on the calibration period. */
  parameters?: { r: number; alpha: number; a: number; b: number; logLikelihood: number };
  fitMethod?: 'maximum_likelihood' | 'constant_dropout_limit';
  /** Total holdout repeat purchases: actual, and the sum of the customers' conditional expectations. */
  holdoutTotals?: { actual: number; predicted: number };
}

export interface Report {
  window: ReportWindow;
  campaigns: CampaignReport[];
  program: Comparison;
  goal: GoalReport | null;
  stageFlow: StageFlowReport | null;
  model: ModelReport | null;
}
