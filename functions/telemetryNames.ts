// Names shared by the handlers (which emit) and the CDK app (which sets the environment, alarms
// and the dashboard). A plain module: importing it at synth creates no Powertools objects.

/** CloudWatch namespace of the app's own metrics (EMF), set as POWERTOOLS_METRICS_NAMESPACE. */
export const METRICS_NAMESPACE = 'RetentionPipeline';
/** POWERTOOLS_SERVICE_NAME of every function; Powertools adds it as the `service` metric dimension. */
export const SERVICE_NAME = 'retention-pipeline';
/** Emitted (count 1) when the guardrail sets the kill switch; an alarm on the SNS topic watches it. */
export const GUARDRAIL_METRIC = 'GuardrailTripped';
/** Emitted by Prepare when the night's expected sends exceed the daily quota or the send window. */
export const SEND_CAPACITY_METRIC = 'SendCapacityShort';
/** Emitted by a send segment that stopped because the kill switch was set. */
export const SEND_PAUSED_METRIC = 'SendPaused';
