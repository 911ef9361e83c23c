import {
  type CohortForecast,
  closeDriftCheck,
  cohortForecast,
  type DriftCheck,
} from '../scoring/driftCheck.js';
import { DEFAULT_LIFE_STAGE_CONFIG, type LifeStageConfig } from '../scoring/lifestage.js';
import { fitModels, type ModelParams, scoreCustomer } from '../scoring/model.js';
import { type RfmBreakpoints, rfmBreakpoints } from '../scoring/rfm.js';
import { DEFAULT_SIGNAL_CONFIG, type SignalConfig } from '../scoring/signals.js';
import { summarizeAggregates } from '../scoring/summary.js';
import { type ClvTierBreakpoints, clvTierBreakpoints } from '../scoring/tiers.js';
import type { IsoDate, PurchaseAggregates, RfmSummary } from '../types.js';
import { daysBetween } from './dates.js';

export interface NightSettings {
  horizonDays: number;
  clvMonths: number;
  monthlyDiscount: number;
  globalCapDays: number;
  globalControlPercent: number;
  holdoutSalt: string;
}

/** Everything Prepare decides once per night and every segment reuses (stored with the run record). */
export interface RunPlan {
  runDate: IsoDate;
  timeUnit: 'day';
  models: ModelParams | null;
  modelProblem?: string | undefined;
  rfm: RfmBreakpoints | null;
  clvTiers: ClvTierBreakpoints | null;
  campaigns: { campaignId: string; version: number }[];
  settings: NightSettings;
  lifeStage: LifeStageConfig;
  signals: SignalConfig;
  population: { sampled: number; sampledFraction: number; withOrders: number; repeatCustomers: number };
  /**
   * Model drift: tonight's forecast for the next DRIFT_CHECK_DAYS (closed by the night it is due), and
   * the check of the forecast made that many days ago, when that night's record had one.
   */
  modelCheck?: { forecast: CohortForecast | null; closed: DriftCheck | null } | undefined;
  /**
   * Local-time delivery, fixed once per night so that every score segment (and a re-run of the
   * date) stamps the same waves: the moment the waves are planned from (Prepare's clock; a window
   * that has closed by then is not planned), the default zone and the program's window.
   */
  delivery?: DeliveryPlan | undefined;
}

export interface DeliveryPlan {
  /** ISO instant: each email gets the first window, in its customer's zone, still open or ahead of it. */
  readyAt: string;
  defaultTimeZone: string;
  sendWindow: { start: string; end: string };
}

/** Below these counts a maximum-likelihood fit says more about noise than about customers. */
export const MIN_CUSTOMERS_TO_FIT = 50;
export const MIN_REPEAT_CUSTOMERS_TO_FIT = 10;

export function buildRunPlan(args: {
  runDate: IsoDate;
  population: readonly PurchaseAggregates[];
  sampledFraction: number;
  campaigns: { campaignId: string; version: number }[];
  settings: NightSettings;
  /** The forecast stored by the night DRIFT_CHECK_DAYS ago, if any. */
  previousForecast?: CohortForecast | null | undefined;
}): RunPlan {
  const { runDate, population, settings } = args;
  const summaries: RfmSummary[] = [];
  const rfmInputs: { daysSinceLastOrder: number; frequency: number; monetary: number }[] = [];
  for (const agg of population) {
    // Orders dated after the run date (simulating an earlier night on newer data) are not in the sample.
    if (!agg.lastOrderDate || agg.lastOrderDate > runDate) continue;
    const summary = summarizeAggregates(agg, runDate, 'day');
    if (!summary) continue;
    summaries.push(summary);
    rfmInputs.push({
      daysSinceLastOrder: daysBetween(agg.lastOrderDate, runDate),
      frequency: agg.purchaseDays,
      monetary: agg.totalSpent,
    });
  }
  const repeatCustomers = summaries.filter((s) => s.frequency > 0).length;
  let models: ModelParams | null = null;
  let modelProblem: string | undefined;
  if (summaries.length < MIN_CUSTOMERS_TO_FIT || repeatCustomers < MIN_REPEAT_CUSTOMERS_TO_FIT) {
    modelProblem = `too few customers to fit the models (${summaries.length} with orders, ${repeatCustomers} repeat; need ${MIN_CUSTOMERS_TO_FIT} and ${MIN_REPEAT_CUSTOMERS_TO_FIT})`;
  } else {
    try {
      models = fitModels(summaries, { timeUnit: 'day' });
    } catch (error) {
      modelProblem = `model fit failed: ${(error as Error).message}`;
    }
  }
  let clvTiers: ClvTierBreakpoints | null = null;
  if (models) {
    const clvs: number[] = [];
    for (const s of summaries) {
      const r = scoreCustomer(models, s, {
        horizon: settings.horizonDays,
        clvMonths: settings.clvMonths,
        discount: settings.monthlyDiscount,
        timeUnit: 'day',
      });
      if (r.ok) clvs.push(r.clv);
    }
    if (clvs.length > 0) clvTiers = clvTierBreakpoints(clvs);
  }
  const modelCheck = {
    forecast: models ? cohortForecast(models.bgnbd, population, runDate) : null,
    closed: args.previousForecast ? closeDriftCheck(args.previousForecast, population, runDate) : null,
  };
  return {
    runDate,
    timeUnit: 'day',
    models,
    modelCheck,
    modelProblem,
    rfm: rfmInputs.length > 0 ? rfmBreakpoints(rfmInputs) : null,
    clvTiers,
    campaigns: args.campaigns,
    settings,
    lifeStage: DEFAULT_LIFE_STAGE_CONFIG,
    signals: DEFAULT_SIGNAL_CONFIG,
    population: {
      sampled: population.length,
      sampledFraction: args.sampledFraction,
      withOrders: summaries.length,
      repeatCustomers,
    },
  };
}
