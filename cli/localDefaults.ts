// Imported first by cli/main.ts, before any handler module creates its logger: locally the
// handlers' structured logs are noise next to the CLI's own output unless asked for.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.AWS_REGION ??= 'us-east-1';
