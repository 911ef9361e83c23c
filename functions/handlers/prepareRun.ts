import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { addDays, isoDateSchema } from '../domain/night/dates.js';
import { buildRunPlan, type RunPlan } from '../domain/night/plan.js';
import { DRIFT_CHECK_DAYS } from '../domain/scoring/driftCheck.js';
import type { PurchaseAggregates } from '../domain/types.js';
import { nightNow } from './clock.js';
import { type Deps, deps, logger } from './deps.js';
import { metrics, tracer } from './observability.js';

const PrepareInput = z.object({ runDate: isoDateSchema }).strict();

export interface SegmentItem {
  runDate: string;
  segment: number;
  totalSegments: number;
}

export interface PrepareOutput {
  runDate: string;
  totalSegments: number;
  segments: SegmentItem[];
  campaigns: number;
  reused: boolean;
}

/** The population sample is taken as whole parallel-scan segments: DynamoDB hashes keys, so each is a uniform sample. */
const SAMPLE_SEGMENTS = 64;

async function prepare(event: unknown, _context: Context): Promise<PrepareOutput> {
  const { runDate } = PrepareInput.parse(event);
  const d = deps();
  const existing = await d.runs.get<RunPlan>(runDate);
  if (existing) {
    logger.info('run record exists, reusing its plan', { runDate });
    return output(existing.plan, existing.totalSegments, true);
  }
  const heads = await d.campaigns.heads();
  const active = heads.filter((h) => h.activeVersion !== undefined && !h.paused);
  const population = await samplePopulation(d, d.config.SCORING_SAMPLE_SIZE);
  // The night DRIFT_CHECK_DAYS ago left a forecast that tonight's sample closes.
  const forecastNight = await d.runs.get<RunPlan>(addDays(runDate, -DRIFT_CHECK_DAYS));
  const plan = buildRunPlan({
    previousForecast: forecastNight?.plan.modelCheck?.forecast ?? null,
    runDate,
    population: population.aggregates,
    sampledFraction: population.fraction,
    campaigns: active.map((h) => ({ campaignId: h.campaignId, version: h.activeVersion as number })),
    settings: {
      horizonDays: d.config.HORIZON_DAYS,
      clvMonths: d.config.CLV_MONTHS,
      monthlyDiscount: d.config.MONTHLY_DISCOUNT,
      globalCapDays: d.config.GLOBAL_CAP_DAYS,
      globalControlPercent: d.config.GLOBAL_CONTROL_PERCENT,
      holdoutSalt: d.config.HOLDOUT_SALT,
    },
  });
  const { record } = await d.runs.createOrGet<RunPlan>({
    runDate,
    createdAt: new Date().toISOString(),
    totalSegments: d.config.TOTAL_SEGMENTS,
    plan: {
      ...plan,
      delivery: {
        readyAt: new Date(nightNow(d.config, runDate)()).toISOString(),
        defaultTimeZone: d.config.DEFAULT_TIME_ZONE,
        sendWindow: d.config.SEND_WINDOW,
      },
    },
    status: 'scoring',
  });
  logger.info('run prepared', {
    runDate,
    campaigns: plan.campaigns.length,
    sampled: population.aggregates.length,
    modelStatus: plan.models ? (plan.models.fit?.method ?? 'fitted') : plan.modelProblem,
    modelWarnings: plan.models?.fit?.warnings ?? [],
    modelCheck: plan.modelCheck?.closed?.message,
  });
  return output(record.plan, record.totalSegments, false);
}

function output(plan: RunPlan, totalSegments: number, reused: boolean): PrepareOutput {
  return {
    runDate: plan.runDate,
    totalSegments,
    segments: Array.from({ length: totalSegments }, (_, segment) => ({
      runDate: plan.runDate,
      segment,
      totalSegments,
    })),
    campaigns: plan.campaigns.length,
    reused,
  };
}

async function samplePopulation(
  d: Deps,
  sampleSize: number,
): Promise<{ aggregates: PurchaseAggregates[]; fraction: number }> {
  const aggregates: PurchaseAggregates[] = [];
  let segmentsRead = 0;
  for (let segment = 0; segment < SAMPLE_SEGMENTS && aggregates.length < sampleSize; segment++) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await d.customers.scanPage({
        segment,
        totalSegments: SAMPLE_SEGMENTS,
        limit: 1000,
        startKey,
        projection: 'aggregates',
      });
      for (const item of page.items) if (item.aggregates) aggregates.push(item.aggregates);
      startKey = page.lastKey;
    } while (startKey);
    segmentsRead++;
  }
  return { aggregates, fraction: segmentsRead / SAMPLE_SEGMENTS };
}

export const handler = middy(prepare)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
