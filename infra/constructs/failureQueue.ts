import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * Where the events of one asynchronous path end up when every retry failed: encrypted, TLS only,
 * kept 14 days (SQS's maximum) for inspection and replay (docs/operations.md).
 */
export function failureQueue(scope: Construct, id: string): Queue {
  return new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    retentionPeriod: Duration.days(14),
    enforceSSL: true,
  });
}
