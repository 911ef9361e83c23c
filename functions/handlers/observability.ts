import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from '../telemetryNames.js';

// One Metrics and one Tracer for every handler, next to the logger in deps.ts. The namespace comes
// from POWERTOOLS_METRICS_NAMESPACE, which the stack sets on every function. Locally
// cli/localDefaults.ts sets POWERTOOLS_METRICS_DISABLED=true and POWERTOOLS_TRACE_ENABLED=false before
// any handler loads: the same middleware runs, but writes no EMF lines and reaches for no X-Ray daemon.

export const metrics = new Metrics({ serviceName: SERVICE_NAME });
export const tracer = new Tracer({ serviceName: SERVICE_NAME });
