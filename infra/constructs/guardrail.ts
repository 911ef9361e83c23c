import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { GUARDRAIL_METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/telemetryNames.js';
import { HandlerFunction } from './handlerFunction.js';

export interface GuardrailProps {
  /** The alarm topic (Monitoring.topic). */
  topic: Topic;
  /** The SES reputation alarms (Monitoring.guardrailAlarms), already notifying the topic. */
  reputationAlarms: Alarm[];
  configTable: ITable;
  environment: Record<string, string>;
}

/**
 * Both paths to the one kill switch: the SES events handler trips it from our own sharded counters
 * and emits GuardrailTripped (alarmed here, so people hear why); SES's own reputation alarms reach
 * this function through the topic and trip it too.
 */
export class Guardrail extends Construct {
  readonly function: HandlerFunction;
  readonly trippedAlarm: Alarm;
  readonly trippedMetric: Metric;

  constructor(scope: Construct, id: string, props: GuardrailProps) {
    super(scope, id);
    this.trippedMetric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: GUARDRAIL_METRIC,
      dimensionsMap: { service: SERVICE_NAME },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    this.trippedAlarm = new Alarm(this, 'GuardrailTrippedAlarm', {
      alarmDescription:
        'Guardrail: the bounce or complaint rate passed its threshold and sending is PAUSED (kill switch). Why: `retention sending status --target aws`; runbook: docs/operations.md, Kill switch',
      metric: this.trippedMetric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.trippedAlarm.addAlarmAction(new SnsAction(props.topic));

    this.function = new HandlerFunction(this, 'GuardrailAlarmFunction', {
      handlerName: 'guardrailAlarm',
      description: 'Guardrail: a reputation alarm on the topic pauses sending (kill switch)',
      timeout: Duration.seconds(30),
      memorySize: 256,
      environment: {
        ...props.environment,
        GUARDRAIL_ALARM_NAMES: props.reputationAlarms.map((a) => a.alarmName).join(','),
      },
    });
    // Least privilege: the kill-switch item's read and conditional update, nothing else.
    props.configTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    props.topic.addSubscription(new LambdaSubscription(this.function));
    // Made after Monitoring collected the functions: its own error alarm, on the same topic.
    new Alarm(this, 'GuardrailAlarmErrorsAlarm', {
      alarmDescription:
        'Lambda guardrailAlarm: an invocation failed (a reputation alarm may not have paused sending)',
      metric: this.function.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(props.topic));
  }
}
