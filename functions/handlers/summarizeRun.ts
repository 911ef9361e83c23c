import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { isoDateSchema } from '../domain/night/dates.js';
import { headlineFigures } from '../domain/night/headlineFigures.js';
import type { RunPlan } from '../domain/night/plan.js';
import { type RunSummary, summarizeCounts } from '../domain/night/summary.js';
import { deps, logger } from './deps.js';
import { metrics, tracer } from './observability.js';

const SummarizeInput = z.object({ runDate: isoDateSchema }).strict();

async function summarize(event: unknown, _context: Context): Promise<RunSummary> {
  const { runDate } = SummarizeInput.parse(event);
  const d = deps();
  const run = await d.runs.get<RunPlan>(runDate);
  if (!run) throw new Error(`no run record for ${runDate}`);
  const [score, send] = await Promise.all([
    d.runs.listProgress(runDate, 'score'),
    d.runs.listProgress(runDate, 'send'),
  ]);
  const summary = summarizeCounts(run.plan, score, send);
  await d.runs.setStatus(runDate, 'done', summary);
  // Written after the summary so a retried Summarize rewrites the same figures.
  await d.runs.keepFigures({
    runDate,
    customers: summary.customers,
    stages: summary.stages,
    moves: summary.moves,
    recency: summary.recency,
  });
  // The dashboard's headline row; logMetrics flushes them as one EMF line when the handler returns.
  for (const [name, value] of Object.entries(headlineFigures(summary))) {
    metrics.addMetric(name, MetricUnit.Count, value);
  }
  logger.info('run summary', { runDate, customers: summary.customers, outcomes: summary.outcomes });
  return summary;
}

export const handler = middy(summarize)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
