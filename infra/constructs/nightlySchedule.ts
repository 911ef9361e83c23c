import { Duration, TimeZone } from 'aws-cdk-lib';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { HandlerFunction } from './handlerFunction.js';

export interface NightlyScheduleProps {
  stateMachine: IStateMachine;
  /** Cron in the given time zone, default 02:00 every night. */
  hour?: number;
  timeZone?: TimeZone;
}

/**
 * EventBridge Scheduler invokes a small starter Lambda that turns the scheduled time into a run
 * date and starts the state machine with the execution name `nightly-YYYY-MM-DD`: a retried or
 * duplicated trigger hits ExecutionAlreadyExists instead of starting a second run.
 */
export class NightlySchedule extends Construct {
  readonly starter: HandlerFunction;

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
    new Schedule(this, 'Nightly', {
      description: 'Nightly retention run',
      schedule: ScheduleExpression.cron({
        minute: '0',
        hour: String(props.hour ?? 2),
        timeZone: props.timeZone ?? TimeZone.ETC_UTC,
      }),
      target: new LambdaInvoke(this.starter, {
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: 5,
        maxEventAge: Duration.hours(2),
      }),
    });
  }
}
