import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledgeRule } from './nag.js';

/**
 * Where the events of one asynchronous path end up when every retry failed: encrypted, TLS only,
 * kept 14 days (SQS's maximum) for inspection and replay (docs/operations.md).
 */
export function failureQueue(scope: Construct, id: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    retentionPeriod: Duration.days(14),
    enforceSSL: true,
  });
  acknowledgeRule(
    queue,
    'AwsSolutions-SQS3',
    'This queue is itself the dead-letter (or on-failure) destination of an asynchronous path: nothing consumes it, so no message can fail here; a queue of its own would only hold the same messages again. Its depth alarm (Monitoring) reports every message.',
  );
  return queue;
}
