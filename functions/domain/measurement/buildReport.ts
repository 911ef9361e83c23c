// Assembles the `retention report` (the Report contract, reportContract.ts) from what the nights
// stored: group sizes from each night's run summary, attributed sums (attribution.ts) and the SES
// event counters. Pure: a small port (functions/adapters/reportSource.ts) reads those items, one run
// record, one sums partition and one stats item per campaign per night; nothing scans customers.
import type { DriftCheck } from '../scoring/driftCheck.js';
import type { IsoDate } from '../types.js';
import { type ArmGroup, type AttributionSums, inAttributionWindow } from './attribution.js';
import type { Goal } from './goalFile.js';
import { buildGoalReport } from './goalProgress.js';
import type { NightFigures } from './nightFigures.js';
import type {
  CampaignReport,
  Comparison,
  ModelReport,
  NightReport,
  Report,
  SegmentReport,
} from './reportContract.js';
import { buildStageFlow } from './stageFlow.js';

/** One arm's sums, as the statistics take them (compareArms' `ArmSums`). */
export interface ArmTotals {
  customers: number;
  converters: number;
  orders: number;
  revenue: number;
  /** Σ over the arm's customers of (customer's attributed revenue)². */
  revenueSumSquares: number;
}

/** The statistics: treatment against control (compareArms.ts). Injected so this module stays about assembly. */
export type CompareArms = (treatment: ArmTotals, control: ArmTotals) => Omit<Comparison, 'engagement'>;

export type Engagement = Comparison['engagement'];

/** Customers per group of one campaign segment on one night (the night's run summary). */
export interface GroupSizes {
  campaignId: string;
  segmentId: string;
  /** Decided `send` (intention to treat: also those whose email was then skipped or failed). */
  treatment: number;
  holdout: number;
  globalControl: number;
  /** Emails SES accepted. */
  sent: number;
}

/** What one night stored that the report reads. */
export interface StoredNight {
  runDate: IsoDate;
  groups: GroupSizes[];
  sums: AttributionSums[];
  /** SES event counters per campaign (sendStats.ts: open, click, bounce_permanent, complaint, …). */
  events: Record<string, Record<string, number>>;
  figures: NightFigures;
  modelCheck?: DriftCheck | null | undefined;
}

export interface ReportInput {
  from: IsoDate;
  to: IsoDate;
  /** The program default window (ATTRIBUTION_WINDOW_DAYS). */
  attributionDays: number;
  /** Nights with a run summary; nights before `from` may be included for the goal's baseline. */
  nights: readonly StoredNight[];
  campaignId?: string | undefined;
  goal?: Goal | null | undefined;
  model?: ModelReport | null | undefined;
}

/** The report with the additions this module makes to the contract (optional, so readers may ignore them). */
export type AssembledReport = Report & {
  /** The latest closed model drift check of the nights in the window (docs/scoring.md). */
  modelCheck?: DriftCheck | null;
};

const emptyArm = (): ArmTotals => ({
  customers: 0,
  converters: 0,
  orders: 0,
  revenue: 0,
  revenueSumSquares: 0,
});
const emptyEngagement = (): Engagement => ({
  sent: 0,
  opened: 0,
  clicked: 0,
  bounced: 0,
  complained: 0,
  unsubscribed: 0,
});

function addArm(to: ArmTotals, from: ArmTotals): void {
  to.customers += from.customers;
  to.converters += from.converters;
  to.orders += from.orders;
  to.revenue += from.revenue;
  to.revenueSumSquares += from.revenueSumSquares;
}

function addEngagement(to: Engagement, from: Engagement): void {
  for (const k of Object.keys(to) as (keyof Engagement)[]) to[k] += from[k];
}

/** The SES event counters of one campaign's night as engagement counts (opens are counts, never success). */
export function engagementOf(sent: number, counters: Record<string, number> | undefined): Engagement {
  const c = counters ?? {};
  let bounced = 0;
  for (const [k, v] of Object.entries(c)) if (k.startsWith('bounce_')) bounced += v;
  return {
    sent,
    opened: c.open ?? 0,
    clicked: c.click ?? 0,
    bounced,
    complained: c.complaint ?? 0,
    unsubscribed: c.subscription ?? 0,
  };
}

interface Cell {
  treatment: ArmTotals;
  holdout: ArmTotals;
  globalControl: ArmTotals;
}
const emptyCell = (): Cell => ({ treatment: emptyArm(), holdout: emptyArm(), globalControl: emptyArm() });
const cellArm = (cell: Cell, group: ArmGroup): ArmTotals =>
  group === 'treatment' ? cell.treatment : group === 'holdout' ? cell.holdout : cell.globalControl;

function addCell(to: Cell, from: Cell): void {
  addArm(to.treatment, from.treatment);
  addArm(to.holdout, from.holdout);
  addArm(to.globalControl, from.globalControl);
}

/**
 * Builds the report for the nights from `from` to `to` (inclusive). Per campaign: the whole window,
 * each segment and each night, treatment against the campaign's holdout; `program`: every campaign's
 * treatment against the global control group. A customer decided on several nights is one unit per
 * night (each decision is its own random assignment).
 */
export function buildReport(input: ReportInput, compare: CompareArms): AssembledReport {
  const inWindow = input.nights
    .filter((n) => n.runDate >= input.from && n.runDate <= input.to)
    .sort((a, b) => a.runDate.localeCompare(b.runDate));
  const wanted = (campaignId: string) => input.campaignId === undefined || input.campaignId === campaignId;

  // campaign → night → segment → cell
  const cells = new Map<string, Map<IsoDate, Map<string, Cell>>>();
  const engagementByNight = new Map<string, Map<IsoDate, Engagement>>();
  const windowOf = new Map<string, number>();
  const cellOf = (campaignId: string, runDate: IsoDate, segmentId: string): Cell =>
    getOr(
      getOr(
        getOr(cells, campaignId, () => new Map()),
        runDate,
        () => new Map(),
      ),
      segmentId,
      emptyCell,
    );
  for (const night of inWindow) {
    const sentByCampaign = new Map<string, number>();
    for (const g of night.groups) {
      if (!wanted(g.campaignId)) continue;
      const cell = cellOf(g.campaignId, night.runDate, g.segmentId);
      cell.treatment.customers += g.treatment;
      cell.holdout.customers += g.holdout;
      cell.globalControl.customers += g.globalControl;
      sentByCampaign.set(g.campaignId, (sentByCampaign.get(g.campaignId) ?? 0) + g.sent);
    }
    for (const s of night.sums) {
      if (!wanted(s.campaignId)) continue;
      const arm = cellArm(cellOf(s.campaignId, night.runDate, s.segmentId), s.group);
      arm.converters += s.converters;
      arm.orders += s.orders;
      arm.revenue += s.revenue;
      arm.revenueSumSquares += s.revenueSumSquares;
      if (s.attributionDays !== undefined) windowOf.set(s.campaignId, s.attributionDays);
    }
    for (const campaignId of new Set([...sentByCampaign.keys(), ...Object.keys(night.events)])) {
      if (!wanted(campaignId)) continue;
      getOr(engagementByNight, campaignId, () => new Map()).set(
        night.runDate,
        engagementOf(sentByCampaign.get(campaignId) ?? 0, night.events[campaignId]),
      );
    }
  }

  const comparison = (
    cell: Cell,
    control: 'holdout' | 'globalControl',
    engagement: Engagement,
  ): Comparison => ({
    ...compare(cell.treatment, cell[control]),
    engagement,
  });

  const campaigns: CampaignReport[] = [];
  const programCell = emptyCell();
  const programEngagement = emptyEngagement();
  for (const campaignId of [...new Set([...cells.keys(), ...engagementByNight.keys()])].sort()) {
    const nights = cells.get(campaignId) ?? new Map<IsoDate, Map<string, Cell>>();
    for (const runDate of engagementByNight.get(campaignId)?.keys() ?? [])
      if (!nights.has(runDate)) nights.set(runDate, new Map());
    const total = emptyCell();
    const bySegment = new Map<string, Cell>();
    const nightReports: NightReport[] = [];
    const campaignEngagement = emptyEngagement();
    for (const [runDate, segments] of [...nights.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const nightCell = emptyCell();
      for (const [segmentId, cell] of segments) {
        addCell(nightCell, cell);
        addCell(getOr(bySegment, segmentId, emptyCell), cell);
      }
      addCell(total, nightCell);
      const engagement = engagementByNight.get(campaignId)?.get(runDate) ?? emptyEngagement();
      addEngagement(campaignEngagement, engagement);
      nightReports.push({ runDate, ...comparison(nightCell, 'holdout', engagement) });
    }
    const sentBySegment = sentPerSegment(inWindow, campaignId);
    const segments: SegmentReport[] = [...bySegment.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([segmentId, cell]) => ({
        segmentId,
        // The SES event counters are kept per campaign and night, not per segment: a segment shows
        // its sent count only (docs/measurement.md).
        ...comparison(cell, 'holdout', { ...emptyEngagement(), sent: sentBySegment.get(segmentId) ?? 0 }),
      }));
    addArm(programCell.treatment, total.treatment);
    addArm(programCell.globalControl, total.globalControl);
    addEngagement(programEngagement, campaignEngagement);
    campaigns.push({
      campaignId,
      attributionDays: windowOf.get(campaignId) ?? input.attributionDays,
      ...comparison(total, 'holdout', campaignEngagement),
      segments,
      nights: nightReports,
    });
  }

  const figures = input.nights.map((n) => n.figures);
  const lastNight = inWindow[inWindow.length - 1];
  const modelCheck =
    [...inWindow]
      .reverse()
      .map((n) => n.modelCheck)
      .find((c): c is DriftCheck => c !== null && c !== undefined) ?? null;
  return {
    window: { from: input.from, to: input.to, attributionDays: input.attributionDays },
    campaigns,
    program: comparison(programCell, 'globalControl', programEngagement),
    goal: input.goal ? buildGoalReport(input.goal, figures, lastNight?.runDate ?? input.to) : null,
    stageFlow: buildStageFlow(figures, input.from, input.to),
    model: input.model ?? null,
    modelCheck,
  };
}

function getOr<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

function sentPerSegment(nights: readonly StoredNight[], campaignId: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of nights)
    for (const g of n.groups)
      if (g.campaignId === campaignId) out.set(g.segmentId, (out.get(g.segmentId) ?? 0) + g.sent);
  return out;
}

/**
 * Whether every decision of the night has had its whole window: before that its figures still grow
 * as orders arrive (the report shows them anyway, marked in the terminal table).
 */
export function windowClosed(runDate: IsoDate, days: number, today: IsoDate): boolean {
  return !inAttributionWindow(runDate, today, days) && today > runDate;
}
