import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { HEADLINE_METRICS } from '../../functions/domain/night/headlineFigures.js';
import { METRICS_NAMESPACE, SEND_PAUSED_METRIC, SERVICE_NAME } from '../../functions/telemetryNames.js';
import type { HandlerFunction } from './handlerFunction.js';

/** SES's bounce rate above which the account is at risk (SES reviews at 5 %). */
export const BOUNCE_RATE_THRESHOLD = 0.04;
/** Complaint rate above which mail is at risk (SES reviews at 0.1 %, Gmail advises < 0.1 %). */
export const COMPLAINT_RATE_THRESHOLD = 0.0008;

export interface MonitoringProps {
  alarmEmail: string;
  stateMachine: IStateMachine;
  /** Alarms made elsewhere (failed and timed-out runs) that notify the same topic. */
  alarms: Alarm[];
  functions: HandlerFunction[];
  tables: Record<string, ITable>;
  /** Dead-letter and on-failure queues by name: any message in one is an event that was not processed. */
  failureQueues: Record<string, IQueue>;
  configurationSetName: string;
}

/**
 * Who hears about trouble, and where the night's figures are: one SNS topic (an email
 * subscription to the configured address) that every alarm notifies, and a dashboard.
 * `topic` and `guardrailAlarms` are public so that the guardrail (kill switch) can subscribe to
 * the same bounce and complaint alarms.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  /** SES configuration-set reputation: bounce rate > 4 %, complaint rate > 0.08 %. */
  readonly guardrailAlarms: { bounceRate: Alarm; complaintRate: Alarm };
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'retention-pipeline alarms',
      enforceSSL: true,
    });
    this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);
    const notify = (alarm: Alarm): Alarm => {
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
      return alarm;
    };
    for (const alarm of props.alarms) notify(alarm);
    const atLeastOnce = {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    };

    notify(
      new Alarm(this, 'RunAbortedAlarm', {
        alarmDescription: 'A nightly retention run was aborted (stopped by hand or by a redeploy)',
        metric: props.stateMachine.metricAborted({ period: Duration.hours(1) }),
        ...atLeastOnce,
      }),
    );

    // SES publishes these per configuration set when reputation metrics are on; the value is a
    // fraction of the sends SES reviews (a rolling window), not a per-night count.
    const reputation = (metricName: string) =>
      new Metric({
        namespace: 'AWS/SES',
        metricName,
        dimensionsMap: { 'ses:configuration-set': props.configurationSetName },
        statistic: 'Maximum',
        period: Duration.minutes(15),
      });
    this.guardrailAlarms = {
      bounceRate: notify(
        new Alarm(this, 'BounceRateAlarm', {
          alarmDescription:
            'Guardrail: the SES bounce rate of the configuration set passed 4 %; sending pauses (kill switch) until it is explained',
          metric: reputation('Reputation.BounceRate'),
          threshold: BOUNCE_RATE_THRESHOLD,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      ),
      complaintRate: notify(
        new Alarm(this, 'ComplaintRateAlarm', {
          alarmDescription:
            'Guardrail: the SES complaint rate of the configuration set passed 0.08 %; sending pauses (kill switch) until it is explained',
          metric: reputation('Reputation.ComplaintRate'),
          threshold: COMPLAINT_RATE_THRESHOLD,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      ),
    };

    for (const [name, queue] of Object.entries(props.failureQueues)) {
      notify(
        new Alarm(this, `${name}DepthAlarm`, {
          alarmDescription: `${name}: events that failed every retry are waiting (docs/operations.md, DLQ replay)`,
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: 'Maximum',
          }),
          ...atLeastOnce,
        }),
      );
    }

    for (const fn of props.functions) {
      const name = fn.handlerName;
      // The SES events function fails on purpose when an event arrives before its send outcome
      // (LedgerOutcomePending, retried by Lambda); only a burst is news there. What fails every
      // retry lands in its dead-letter queue, which alarms at one message.
      const errorThreshold = name === 'sesEvents' ? 20 : 1;
      notify(
        new Alarm(this, `${pascal(name)}ErrorsAlarm`, {
          alarmDescription: `Lambda ${name}: ${errorThreshold === 1 ? 'an invocation' : `${errorThreshold}+ invocations in 15 minutes`} failed`,
          metric: fn.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
          ...atLeastOnce,
          threshold: errorThreshold,
        }),
      );
      notify(
        new Alarm(this, `${pascal(name)}ThrottlesAlarm`, {
          alarmDescription: `Lambda ${name}: invocations were throttled (concurrency limit)`,
          metric: fn.metricThrottles({ period: Duration.minutes(15), statistic: 'Sum' }),
          ...atLeastOnce,
        }),
      );
    }

    for (const [name, table] of Object.entries(props.tables)) {
      const throttles = new MathExpression({
        expression: 'FILL(r, 0) + FILL(w, 0)',
        usingMetrics: {
          r: table.metric('ReadThrottleEvents', { statistic: 'Sum', period: Duration.minutes(5) }),
          w: table.metric('WriteThrottleEvents', { statistic: 'Sum', period: Duration.minutes(5) }),
        },
        label: `${name} throttled requests`,
        period: Duration.minutes(5),
      });
      notify(
        new Alarm(this, `${pascal(name)}TableThrottlesAlarm`, {
          alarmDescription: `DynamoDB table ${name}: reads or writes were throttled`,
          metric: throttles,
          ...atLeastOnce,
        }),
      );
    }

    this.dashboard = this.buildDashboard(props);
  }

  /** The guardrail's row: the kill-switch trips against the reputation rates that cause them. */
  addGuardrailWidget(tripped: Metric): void {
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Guardrail: kill-switch trips, paused send segments',
        left: [
          tripped.with({ label: 'GuardrailTripped' }),
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: SEND_PAUSED_METRIC,
            dimensionsMap: { service: SERVICE_NAME },
            statistic: 'Sum',
            period: Duration.minutes(5),
            label: 'SendPaused (segments stopped)',
          }),
        ],
        right: [this.guardrailAlarms.bounceRate.metric, this.guardrailAlarms.complaintRate.metric],
        rightAnnotations: [
          { value: BOUNCE_RATE_THRESHOLD, label: 'bounce 4 %' },
          { value: COMPLAINT_RATE_THRESHOLD, label: 'complaint 0.08 %' },
        ],
        width: 24,
      }),
    );
  }

  private buildDashboard(props: MonitoringProps): Dashboard {
    const headline = (metricName: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME },
        statistic: 'Sum',
        period: Duration.days(1),
      });
    const dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(7) });
    dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# retention-pipeline: the night\nHeadline figures of the last run (sums per day, from Summarize). Runbook: docs/operations.md',
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new SingleValueWidget({
        title: 'Last night',
        metrics: HEADLINE_METRICS.map(headline),
        width: 24,
        height: 4,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Sent, held out, failed per night',
        left: ['Sent', 'HeldOut', 'SendFailed', 'SendAmbiguous'].map(headline),
        width: 12,
      }),
      new GraphWidget({
        title: 'Runs',
        left: [
          props.stateMachine.metricSucceeded({ period: Duration.days(1) }),
          props.stateMachine.metricFailed({ period: Duration.days(1) }),
          props.stateMachine.metricTimedOut({ period: Duration.days(1) }),
        ],
        right: [props.stateMachine.metricTime({ period: Duration.days(1), statistic: 'Maximum' })],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'SES reputation (configuration set)',
        left: [this.guardrailAlarms.bounceRate.metric, this.guardrailAlarms.complaintRate.metric],
        leftAnnotations: [
          { value: BOUNCE_RATE_THRESHOLD, label: 'bounce 4 %' },
          { value: COMPLAINT_RATE_THRESHOLD, label: 'complaint 0.08 %' },
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Lambda errors',
        left: props.functions.map((fn) =>
          fn.metricErrors({ period: Duration.hours(1), statistic: 'Sum', label: fn.handlerName }),
        ),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Failure queues (messages waiting)',
        left: Object.entries(props.failureQueues).map(([name, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ label: name, statistic: 'Maximum' }),
        ),
        width: 24,
      }),
    );
    return dashboard;
  }
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
