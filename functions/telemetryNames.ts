// Names shared by the handlers (which emit) and the CDK app (which sets the environment, alarms
// and the dashboard). A plain module: importing it at synth creates no Powertools objects.

/** CloudWatch namespace of the app's own metrics (EMF), set as POWERTOOLS_METRICS_NAMESPACE. */
export const METRICS_NAMESPACE = 'RetentionPipeline';
/** POWERTOOLS_SERVICE_NAME of every function; Powertools adds it as the `service` metric dimension. */
export const SERVICE_NAME = 'retention-pipeline';
