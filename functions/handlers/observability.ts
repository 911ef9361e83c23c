import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from '../telemetryNames.js';
import { logger } from './deps.js';

// One Metrics and one Tracer for every handler, next to the logger in deps.ts. The namespace comes
// from POWERTOOLS_METRICS_NAMESPACE, which the stack sets on every function. Locally
// cli/localDefaults.ts sets POWERTOOLS_METRICS_DISABLED=true and POWERTOOLS_TRACE_ENABLED=false before
// any handler loads: the same middleware runs, but writes no EMF lines and reaches for no X-Ray daemon.

type MetricsLogger = NonNullable<NonNullable<ConstructorParameters<typeof Metrics>[0]>['logger']>;

const EMPTY_FLUSH = 'No application metrics to publish';

/**
 * The Metrics utility's logger: every warning goes to `target` except the one for a flush with no
 * metrics. This app emits metrics for events (a guardrail trip, a paused send, a short quota, the
 * night's summary), so most invocations have none by design; Powertools would print that warning,
 * unstructured, on every one of them (a line per warm invocation in CloudWatch, thousands in a local
 * run). A custom logger is the maintainers' answer (powertools-lambda-typescript#2036). Real
 * problems, an invalid dimension or metric, still reach the structured logger.
 */
export function withoutEmptyFlushWarning(target: MetricsLogger): MetricsLogger {
  return {
    debug: (...content) => target.debug(...content),
    info: (...content) => target.info(...content),
    error: (...content) => target.error(...content),
    warn: (...content) => {
      if (typeof content[0] === 'string' && content[0].startsWith(EMPTY_FLUSH)) return;
      target.warn(...content);
    },
  };
}

export const metrics = new Metrics({ serviceName: SERVICE_NAME, logger: withoutEmptyFlushWarning(logger) });
export const tracer = new Tracer({ serviceName: SERVICE_NAME });
