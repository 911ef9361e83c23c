import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { logger } from './deps.js';
import { metrics, tracer } from './observability.js';

const Input = z.object({ scheduledTime: z.iso.datetime({ offset: true }) });
const sfn = new SFNClient({});

/** The run date is the scheduled time's UTC date; the execution name makes the start idempotent. */
async function startNightly(
  event: unknown,
  _context: Context,
): Promise<{ executionName: string; started: boolean }> {
  const { scheduledTime } = Input.parse(event);
  const runDate = scheduledTime.slice(0, 10);
  const executionName = `nightly-${runDate}`;
  const stateMachineArn = z.string().min(20).parse(process.env.STATE_MACHINE_ARN);
  try {
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify({ runDate }) }),
    );
    logger.info('nightly run started', { executionName });
    return { executionName, started: true };
  } catch (error) {
    if ((error as { name?: string }).name === 'ExecutionAlreadyExists') {
      logger.info('nightly run already started for this date', { executionName });
      return { executionName, started: false };
    }
    throw error;
  }
}

export const handler = middy(startNightly)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
