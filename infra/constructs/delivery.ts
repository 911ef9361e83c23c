import { CfnOutput, Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENTBRIDGE_DETAIL_TYPES } from '../../functions/domain/delivery/sesEvents.js';
import { failureQueue } from './failureQueue.js';
import { HandlerFunction } from './handlerFunction.js';
import { acknowledgeWildcards, exactResource } from './nag.js';

/** Concurrency reserved for (and capping) the public unsubscribe Function URL. */
export const UNSUBSCRIBE_RESERVED_CONCURRENCY = 10;

export interface DeliveryProps {
  /** The shared Lambda environment, without UNSUBSCRIBE_BASE_URL (the unsubscribe function is that URL). */
  environment: Record<string, string>;
  tables: Record<'config' | 'customers' | 'ledger' | 'suppression', ITable>;
  /** The unsubscribe HMAC key ring (created in the stack as `unsubscribeKeys`). */
  unsubscribeKeys: ISecret;
}

/**
 * Delivery feedback and opt-out, the parts of email that customers and mailbox providers see:
 * - the unsubscribe endpoint: a Lambda behind a Function URL (no auth: a mailbox provider's RFC 8058
 *   one-click POST carries no credentials; the signed token is the authorisation), writing suppressions;
 * - SES feedback: an EventBridge rule on the default bus for `aws.ses` events (the configuration
 *   set publishes there) → a Lambda that suppresses on hard bounces and complaints, records events on
 *   the send ledger and counts them per run and campaign. Events that fail delivery after the retries
 *   land in an encrypted dead-letter queue, and so do events the function still fails on after
 *   Lambda's asynchronous retries (e.g. `LedgerOutcomePending`: an event that arrived before the send
 *   stage recorded its outcome, normally settled by the first retry).
 */
export class Delivery extends Construct {
  readonly unsubscribeFunction: HandlerFunction;
  readonly unsubscribeUrl: string;
  readonly sesEventsFunction: HandlerFunction;
  readonly sesEventsRule: Rule;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    const { config, customers, ledger, suppression } = props.tables;

    this.unsubscribeFunction = new HandlerFunction(this, 'UnsubscribeFunction', {
      handlerName: 'unsubscribe',
      description: 'Unsubscribe endpoint (RFC 8058 one-click and preference centre) behind a Function URL',
      timeout: Duration.seconds(10),
      memorySize: 512,
      environment: props.environment,
      // The endpoint is public: a flood of requests can use at most this many concurrent executions
      // (and their DynamoDB writes), never the account's whole pool that the nightly run needs.
      reservedConcurrentExecutions: UNSUBSCRIBE_RESERVED_CONCURRENCY,
    });
    const url = this.unsubscribeFunction.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.BUFFERED,
    });
    this.unsubscribeUrl = url.url;
    // Least privilege: writes suppressions, reads the key ring; the preference centre reads one
    // customer and updates its preferences, reads a campaign's head and version (its consent topic)
    // and checks the customer's suppression. No scans, no queries, no deletes.
    suppression.grantWriteData(this.unsubscribeFunction);
    suppression.grant(this.unsubscribeFunction, 'dynamodb:BatchGetItem');
    customers.grant(this.unsubscribeFunction, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    config.grant(this.unsubscribeFunction, 'dynamodb:GetItem');
    props.unsubscribeKeys.grantRead(this.unsubscribeFunction);

    this.sesEventsFunction = new HandlerFunction(this, 'SesEventsFunction', {
      handlerName: 'sesEvents',
      description:
        'SES events (bounces, complaints, deliveries, opens, clicks) → suppression, ledger, statistics',
      timeout: Duration.seconds(30),
      memorySize: 512,
      environment: props.environment,
    });
    suppression.grantWriteData(this.sesEventsFunction);
    ledger.grantReadWriteData(this.sesEventsFunction);
    config.grantReadWriteData(this.sesEventsFunction);
    acknowledgeWildcards(
      this.sesEventsFunction.role!,
      exactResource(
        this,
        `${ledger.tableArn}/index/*`,
        'The indexes of the ledger table only; DynamoDB names an index as <table ARN>/index/<name>, and the table grant covers them as index/*',
      ),
    );

    this.deadLetters = failureQueue(this, 'SesEventsDeadLetters');
    // Function errors: EventBridge invokes the function asynchronously, so a failed invocation
    // (LedgerOutcomePending while the send stage's outcome is not recorded yet, a DynamoDB error) is
    // retried by Lambda itself, about 1 minute and then 2 more minutes later (2 retries, Lambda's
    // maximum), then sent to the same dead-letter queue as an on-failure destination record (the
    // original event under `requestPayload`, the error under `responsePayload`), to inspect or redrive.
    this.sesEventsFunction.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetters),
    });
    this.sesEventsRule = new Rule(this, 'SesEventsRule', {
      description: 'SES event publishing (configuration set → default bus) to the SES events function',
      eventBus: EventBus.fromEventBusName(this, 'DefaultBus', 'default'),
      eventPattern: { source: ['aws.ses'], detailType: Object.keys(EVENTBRIDGE_DETAIL_TYPES) },
    });
    // These retries cover delivering the event to Lambda (throttled or unavailable invoke API), not
    // errors of the function, which the asynchronous invocation config above retries. Events that
    // cannot be delivered land in the dead-letter queue as the EventBridge event itself.
    this.sesEventsRule.addTarget(
      new LambdaFunction(this.sesEventsFunction, {
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
        deadLetterQueue: this.deadLetters,
      }),
    );

    new CfnOutput(this, 'UnsubscribeFunctionUrl', {
      value: url.url,
      description: 'Unsubscribe endpoint; use it (or a custom domain in front of it) as unsubscribeBaseUrl',
    });
  }
}
