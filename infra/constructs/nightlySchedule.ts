import { Aws, Duration, TimeZone } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { failureQueue } from './failureQueue.js';
import { HandlerFunction } from './handlerFunction.js';
import { acknowledgeWildcards, exactResource } from './nag.js';

export interface NightlyScheduleProps {
  stateMachine: IStateMachine;
  /** Local time of the nightly start, in `timeZone` (IANA name); default 02:00 UTC. */
  hour?: number;
  minute?: number;
  timeZone?: string;
}

/**
 * EventBridge Scheduler invokes a small starter Lambda that turns the scheduled time into a run
 * date and starts the state machine with the execution name `nightly-YYYY-MM-DD`: a retried or
 * duplicated trigger hits ExecutionAlreadyExists instead of starting a second run.
 */
export class NightlySchedule extends Construct {
  readonly starter: HandlerFunction;
  /** Triggers the scheduler could not deliver, and starts that failed after Lambda's retries. */
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: NightlyScheduleProps) {
    super(scope, id);
    this.starter = new HandlerFunction(this, 'StartNightly', {
      handlerName: 'startNightly',
      description: 'Starts the nightly run with a deterministic execution name per date',
      timeout: Duration.seconds(30),
      memorySize: 256,
      environment: { STATE_MACHINE_ARN: props.stateMachine.stateMachineArn },
    });
    props.stateMachine.grantStartExecution(this.starter);
    this.failures = failureQueue(this, 'StartFailures');
    // The scheduler invokes asynchronously: a failed start is retried by Lambda, then parked.
    this.starter.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(2),
      onFailure: new SqsDestination(this.failures),
    });
    // The scheduler's role, here rather than the stack-level one the target would make, so that its
    // acknowledgement sits next to it.
    const schedulerRole = new Role(this, 'SchedulerRole', {
      // Only schedules of this account may use it (confused-deputy guard, as CDK's own role has).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'EventBridge Scheduler: invokes the nightly starter, parks undeliverable triggers',
    });
    acknowledgeWildcards(
      schedulerRole,
      exactResource(
        this,
        `${this.starter.functionArn}:*`,
        "lambda:InvokeFunction on the starter function's versions and aliases only (CDK's scheduler target grants <function ARN>:*)",
      ),
    );
    new Schedule(this, 'Nightly', {
      description: 'Nightly retention run',
      schedule: ScheduleExpression.cron({
        minute: String(props.minute ?? 0),
        hour: String(props.hour ?? 2),
        timeZone: props.timeZone ? TimeZone.of(props.timeZone) : TimeZone.ETC_UTC,
      }),
      target: new LambdaInvoke(this.starter, {
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: 5,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: this.failures,
        role: schedulerRole,
      }),
    });
  }
}
