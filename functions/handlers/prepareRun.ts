import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { checkSendCapacity, type SendCapacityCheck } from '../domain/delivery/sendCapacity.js';
import { addDays, isoDateSchema } from '../domain/night/dates.js';
import { buildRunPlan, type RunPlan } from '../domain/night/plan.js';
import { DRIFT_CHECK_DAYS } from '../domain/scoring/driftCheck.js';
import type { PurchaseAggregates } from '../domain/types.js';
import { SEND_CAPACITY_METRIC } from '../telemetryNames.js';
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
  plan.sendCapacity = await checkCapacity(d, runDate);
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
  if (plan.sendCapacity.problems.length > 0) {
    metrics.addMetric(SEND_CAPACITY_METRIC, MetricUnit.Count, 1);
    logger.warn("tonight's sends will not all fit", { runDate, ...plan.sendCapacity });
  }
  return output(record.plan, record.totalSegments, false);
}

/**
 * Expected sends are the previous night's sent count (its run summary): the best cheap estimate
 * before scoring, as a night's audience changes slowly. No previous night: 0, nothing to warn about.
 */
async function checkCapacity(d: Deps, runDate: string): Promise<SendCapacityCheck> {
  const [previous, quota] = await Promise.all([d.runs.get<RunPlan>(addDays(runDate, -1)), d.mailer.quota()]);
  const sent = (previous?.summary as { send?: Record<string, number> } | undefined)?.send?.sent;
  return checkSendCapacity({
    expectedSends: sent ?? 0,
    basis: sent === undefined ? 'none' : 'previous_night',
    quota,
    maxSendRate: Math.min(d.config.MAX_SEND_RATE, quota?.maxSendRate ?? Number.POSITIVE_INFINITY),
    window: d.config.SEND_WINDOW,
  });
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
