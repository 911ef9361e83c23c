import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { documentClient } from '../adapters/clients.js';
import { SendingControl } from '../adapters/sendingControl.js';
import { tableNames } from '../adapters/tableNames.js';
import { loadConfig } from '../config.js';
import { reasonFromAlarm } from '../domain/delivery/guardrail.js';
import { GUARDRAIL_METRIC } from '../telemetryNames.js';
import { logger } from './deps.js';
import { metrics, tracer } from './observability.js';

const SnsEvent = z.object({
  Records: z.array(z.object({ Sns: z.object({ Message: z.string() }) })).min(1),
});

/** The alarm names that pause sending (the guardrail alarms); others on the topic are ignored. */
const GuardrailEnv = z.object({
  GUARDRAIL_ALARM_NAMES: z
    .string()
    .min(1)
    .transform((t) =>
      t
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== ''),
    ),
});

export interface GuardrailAlarmResult {
  /** Alarms in the input that were guardrail alarms going into ALARM. */
  matched: number;
  /** Whether this input set the kill switch (false when it was paused already). */
  paused: boolean;
}

/**
 * SNS (the alarm topic) → this function: a guardrail alarm (SES reputation bounce or complaint rate,
 * or the GuardrailTripped metric) going into ALARM sets the one kill switch, with the alarm's name
 * and reason. Every other alarm on the topic, and OK transitions, change nothing. The switch is set
 * conditionally, so a second alarm or a redelivery keeps the first reason.
 */
export async function applyGuardrailAlarm(raw: unknown, now = new Date()): Promise<GuardrailAlarmResult> {
  const parsedEvent = SnsEvent.safeParse(raw);
  if (!parsedEvent.success) {
    throw new Error(
      `guardrailAlarm: not an SNS event: ${parsedEvent.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const env = GuardrailEnv.parse(process.env);
  const control = new SendingControl(documentClient(), tableNames(loadConfig(process.env)));
  const result: GuardrailAlarmResult = { matched: 0, paused: false };
  for (const record of parsedEvent.data.Records) {
    let message: unknown;
    try {
      message = JSON.parse(record.Sns.Message);
    } catch {
      logger.info('SNS message is not an alarm notification; ignored');
      continue;
    }
    const alarm = reasonFromAlarm(message);
    if (!alarm || !env.GUARDRAIL_ALARM_NAMES.includes(alarm.alarmName)) continue;
    result.matched += 1;
    if (await control.pause(alarm.reason, `guardrail:alarm:${alarm.alarmName}`, now)) {
      result.paused = true;
      metrics.addMetric(GUARDRAIL_METRIC, MetricUnit.Count, 1);
      logger.warn('guardrail alarm: sending paused (kill switch)', {
        alarm: alarm.alarmName,
        reason: alarm.reason,
      });
    } else {
      logger.info('guardrail alarm while sending was already paused', { alarm: alarm.alarmName });
    }
  }
  return result;
}

export const handler = middy((event: unknown, _context: Context) => applyGuardrailAlarm(event))
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
