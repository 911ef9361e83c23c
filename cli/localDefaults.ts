// Imported first by cli/main.ts, before any handler module creates its logger: locally the
// handlers' structured logs are noise next to the CLI's own output unless asked for.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// The same Metrics and Tracer middleware as on AWS, made quiet: EMF metric lines only when asked
// (POWERTOOLS_METRICS_DISABLED=false prints them to stdout), and no X-Ray daemon to send segments to.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'RetentionPipeline';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.AWS_REGION ??= 'us-east-1';
