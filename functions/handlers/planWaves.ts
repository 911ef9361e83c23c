import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { overlappingWaves, type SendWave, wavesFromCounts } from '../domain/delivery/sendWaves.js';
import { isoDateSchema } from '../domain/night/dates.js';
import { deps, logger } from './deps.js';
import { metrics, tracer } from './observability.js';

const PlanWavesInput = z.object({ runDate: isoDateSchema }).strict();

export type PlannedWave = SendWave & { overlapping: number };

/**
 * Between scoring and sending: the night's send waves, from the wave counters every score segment
 * saved with its progress (each queued email was stamped with its wave when it was decided). The
 * state machine's wave Map waits for each wave's opening and then sends its segments.
 */
async function planWaves(event: unknown, _context: Context): Promise<PlannedWave[]> {
  const { runDate } = PlanWavesInput.parse(event);
  const d = deps();
  const score = await d.runs.listProgress(runDate, 'score');
  const unfinished = score.filter((p) => !p.done).map((p) => p.segment);
  if (unfinished.length > 0) {
    throw new Error(
      `cannot plan the waves of ${runDate}: score segments ${unfinished.join(', ')} are not done`,
    );
  }
  const totals: Record<string, number> = {};
  for (const p of score) for (const [k, v] of Object.entries(p.counts)) totals[k] = (totals[k] ?? 0) + v;
  const waves = wavesFromCounts(totals);
  logger.info('send waves planned', {
    runDate,
    waves: waves.map((w) => ({ waveId: w.waveId, emails: w.emails })),
  });
  return waves.map((w) => ({ ...w, overlapping: overlappingWaves(waves, w) }));
}

export const handler = middy(planWaves)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
