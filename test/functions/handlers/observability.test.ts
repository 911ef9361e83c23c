import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { withoutEmptyFlushWarning } from '../../../functions/handlers/observability.js';

// A recording logger handed to a real Metrics instance: what the utility warns about is what reaches it.
function recorder() {
  const warnings: string[] = [];
  const keep = (...content: unknown[]) => warnings.push(String(content[0]));
  return { warnings, logger: { debug: () => {}, info: () => {}, error: keep, warn: keep } };
}

describe('the Metrics logger', () => {
  it('drops the warning for a flush with no metrics, which most invocations have by design', () => {
    const r = recorder();
    const metrics = new Metrics({
      namespace: 'Test',
      serviceName: 'svc',
      logger: withoutEmptyFlushWarning(r.logger),
    });
    metrics.publishStoredMetrics();
    expect(r.warnings).toEqual([]);
  });

  it('would have printed it without the filter', () => {
    const r = recorder();
    new Metrics({ namespace: 'Test', serviceName: 'svc', logger: r.logger }).publishStoredMetrics();
    expect(r.warnings.join('\n')).toMatch(/No application metrics to publish/);
  });

  it('passes every other warning on: an invalid dimension still reaches the logger', () => {
    const r = recorder();
    const metrics = new Metrics({
      namespace: 'Test',
      serviceName: 'svc',
      logger: withoutEmptyFlushWarning(r.logger),
    });
    metrics.addDimension('campaignId', '');
    metrics.addMetric('Sent', MetricUnit.Count, 1);
    expect(r.warnings.join('\n')).toMatch(/dimension campaignId/);
  });
});
