import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { HandlerFunction } from './handlerFunction.js';
import { acknowledgeWildcards, exactResource, XRAY_WRITE } from './nag.js';
import { sendWavesMap } from './sendWavesMap.js';

export interface NightlyRunProps {
  environment: Record<string, string>;
  tables: Record<'customers' | 'orders' | 'config' | 'ledger' | 'suppression', ITable>;
  /** Parallel scan segments scored at once; each Map item is one segment. */
  maxConcurrency: number;
  /**
   * Segments of a wave sent at once: the functions' SEND_CONCURRENCY, from `sendMapConcurrency`
   * (no more than the SES rate needs). Defaults to `maxConcurrency`.
   */
  sendConcurrency?: number;
  sesIdentityArns: string[];
  configurationSetName: string;
  /** Retention of the state machine's execution log (no execution data: it holds no personal data). */
  logRetention?: RetentionDays;
}

/** Lambda errors worth retrying: the service's own hiccups and our transient failures. */
const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'States.Timeout',
  'TransientError',
  // Another invocation of the segment saved its progress first (an earlier attempt still running).
  'SegmentLeaseLost',
];

/**
 * The nightly run: Prepare → Score (Map over scan segments, each iteration pages through its
 * segment and loops until done) → Send (Map over the same segments) → Summarize.
 * JSONPath only, no variables, no ItemReader: the local interpreter runs this exact definition.
 */
export class NightlyRun extends Construct {
  readonly stateMachine: StateMachine;
  /** Failed and timed-out runs; the stack routes them to the alarm topic. */
  readonly alarms: Alarm[];
  readonly functions: Record<
    'prepareRun' | 'scoreSegment' | 'planWaves' | 'sendSegment' | 'summarizeRun',
    HandlerFunction
  >;

  constructor(scope: Construct, id: string, props: NightlyRunProps) {
    super(scope, id);
    const fn = (name: string, description: string, timeout: Duration, memorySize = 1024) =>
      new HandlerFunction(this, `${name.charAt(0).toUpperCase()}${name.slice(1)}Function`, {
        handlerName: name,
        description,
        timeout,
        memorySize,
        environment: props.environment,
      });
    const prepareRun = fn(
      'prepareRun',
      'Nightly run: load campaigns, fit scoring models, plan segments',
      Duration.minutes(10),
      3008,
    );
    const scoreSegment = fn(
      'scoreSegment',
      'Nightly run: score and decide one scan segment',
      Duration.minutes(15),
      2048,
    );
    const planWaves = fn(
      'planWaves',
      "Nightly run: the local-time send waves from the score segments' counts",
      Duration.minutes(2),
      512,
    );
    const sendSegment = fn(
      'sendSegment',
      'Nightly run: send the decided emails of one segment',
      Duration.minutes(15),
    );
    const summarizeRun = fn(
      'summarizeRun',
      'Nightly run: counts, metrics and the run report',
      Duration.minutes(5),
    );
    this.functions = { prepareRun, scoreSegment, planWaves, sendSegment, summarizeRun };

    const { customers, orders, config, ledger, suppression } = props.tables;
    // Least privilege: each function gets exactly the tables and actions it uses.
    customers.grantReadData(prepareRun);
    config.grantReadWriteData(prepareRun);
    customers.grantReadWriteData(scoreSegment);
    config.grantReadWriteData(scoreSegment);
    ledger.grantReadWriteData(scoreSegment);
    suppression.grantReadData(scoreSegment);
    customers.grantReadWriteData(sendSegment);
    config.grantReadWriteData(sendSegment);
    ledger.grantReadWriteData(sendSegment);
    suppression.grantReadData(sendSegment);
    config.grantReadData(planWaves);
    config.grantReadWriteData(summarizeRun);
    void orders;
    sendSegment.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          ...props.sesIdentityArns,
          Stack.of(this).formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: props.configurationSetName,
          }),
        ],
      }),
    );
    // GetAccount has no resource type (it reads the account's quota): the send stage paces itself by
    // it, and Prepare checks that the night fits it.
    for (const fn of [sendSegment, prepareRun]) {
      fn.addToRolePolicy(new PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
      acknowledgeWildcards(fn.role!, {
        actions: ['ses:GetAccount'],
        resource: /^\*$/,
        reason:
          'ses:GetAccount reads the account\'s sending quota; it has no resource type, so IAM only accepts Resource "*"',
      });
    }
    for (const fn of [scoreSegment, sendSegment]) {
      acknowledgeWildcards(
        fn.role!,
        exactResource(
          this,
          `${ledger.tableArn}/index/*`,
          "The indexes of the ledger table only (byRunShard: the send stage queries its run's shard of entries); DynamoDB names an index as <table ARN>/index/<name>, and the table grant covers them as index/*",
        ),
      );
    }

    const failed = new Fail(this, 'RunFailed', {
      comment: 'The run stopped; the cause is in the error. Re-running the same date resumes safely.',
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
    });

    const task = (
      stateName: string,
      lambda: HandlerFunction,
      payload: TaskInput,
      timeout: Duration,
      resultPath?: string,
    ) => {
      const t = new LambdaInvoke(this, stateName, {
        stateName,
        lambdaFunction: lambda,
        payload,
        payloadResponseOnly: true,
        ...(resultPath ? { resultPath } : {}),
        retryOnServiceExceptions: false,
        taskTimeout: Timeout.duration(timeout),
      });
      t.addRetry({
        errors: TRANSIENT_ERRORS,
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 4,
        maxDelay: Duration.seconds(60),
        jitterStrategy: JitterType.FULL,
      });
      return t;
    };

    const prepare = task(
      'Prepare',
      prepareRun,
      TaskInput.fromObject({ runDate: JsonPath.stringAt('$.runDate') }),
      Duration.minutes(10),
      '$.run',
    );
    prepare.addCatch(failed, { resultPath: '$.failure' });

    const segmentPayload = TaskInput.fromObject({
      runDate: JsonPath.stringAt('$.runDate'),
      segment: JsonPath.numberAt('$.segment'),
      totalSegments: JsonPath.numberAt('$.totalSegments'),
    });
    const scoreTask = task('ScoreSegment', scoreSegment, segmentPayload, Duration.minutes(15));
    const scoreLoop = new Choice(this, 'SegmentScored?')
      .when(Condition.booleanEquals('$.done', true), new Succeed(this, 'SegmentScoreDone'))
      .otherwise(scoreTask);
    const scoreMap = new DistributedMap(this, 'ScoreSegments', {
      itemsPath: '$.run.segments',
      maxConcurrency: props.maxConcurrency,
      mapExecutionType: StateMachineType.STANDARD,
      resultPath: JsonPath.DISCARD,
      label: 'ScoreSegments',
    });
    scoreMap.itemProcessor(scoreTask.next(scoreLoop));
    scoreMap.addCatch(failed, { resultPath: '$.failure' });

    // The waves: decided at scoring (each queued email carries its wave), planned from the score
    // segments' counts, then each wave waits for its local-time window and sends its segments.
    const planTask = task(
      'PlanWaves',
      planWaves,
      TaskInput.fromObject({ runDate: JsonPath.stringAt('$.run.runDate') }),
      Duration.minutes(2),
      '$.waves',
    );
    planTask.addCatch(failed, { resultPath: '$.failure' });
    const sendTask = task(
      'SendSegment',
      sendSegment,
      TaskInput.fromObject({
        runDate: JsonPath.stringAt('$.runDate'),
        segment: JsonPath.numberAt('$.segment'),
        totalSegments: JsonPath.numberAt('$.totalSegments'),
        wave: JsonPath.objectAt('$.wave'),
      }),
      Duration.minutes(15),
    );
    const sendLoop = new Choice(this, 'SegmentSent?')
      .when(Condition.booleanEquals('$.done', true), new Succeed(this, 'SegmentSendDone'))
      .otherwise(sendTask);
    const sendMap = sendWavesMap(this, {
      wavesPath: '$.waves',
      segmentsPath: '$.run.segments',
      maxConcurrency: props.sendConcurrency ?? props.maxConcurrency,
      sendSegment: sendTask.next(sendLoop),
    });
    sendMap.addCatch(failed, { resultPath: '$.failure' });

    const summarize = task(
      'Summarize',
      summarizeRun,
      TaskInput.fromObject({ runDate: JsonPath.stringAt('$.run.runDate') }),
      Duration.minutes(5),
    );
    summarize.addCatch(failed, { resultPath: '$.failure' });

    const definition = prepare.next(scoreMap).next(planTask).next(sendMap).next(summarize);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(definition),
      stateMachineType: StateMachineType.STANDARD,
      // The send waves wait for each zone's local window: the last one can open up to a day after
      // scoring (Tokyo's morning for a night ready at 02:00 UTC) and a window may last most of a day.
      timeout: Duration.hours(52),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'StateMachineLogs', {
          retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
        }),
        // Every state transition, without inputs and outputs: run dates and counts are in the run
        // record, and a payload could one day carry a customer's data.
        level: LogLevel.ALL,
        includeExecutionData: false,
      },
    });

    // Step Functions' own role (CDK-generated from the tasks, the Distributed Maps and the logging).
    acknowledgeWildcards(
      this.stateMachine,
      XRAY_WRITE,
      {
        actions: [
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
        ],
        resource: /^\*$/,
        reason:
          'Step Functions logging to CloudWatch Logs goes through vended log delivery, whose actions support no resource-level permissions (AWS documents Resource "*" for them); the role can create deliveries, not read or write log events',
      },
      ...[prepareRun, scoreSegment, planWaves, sendSegment, summarizeRun].map((fn) =>
        exactResource(
          this,
          `${fn.functionArn}:*`,
          `lambda:InvokeFunction on the versions and aliases of the ${fn.handlerName} function only (CDK's LambdaInvoke grants <function ARN>:*)`,
        ),
      ),
      {
        actions: ['states:DescribeExecution', 'states:StopExecution', 'states:RedriveExecution'],
        resource: /^arn:<AWS::Partition>:states:[^:]+:[^:]+:execution:.+:\*$/,
        reason:
          "A Distributed Map runs each item in a child execution whose name Step Functions picks: describing, stopping and redriving them needs the executions of this state machine (and its maps' child executions), <execution ARN prefix>:*",
      },
    );

    const runFailed = new Alarm(this, 'RunFailedAlarm', {
      alarmDescription: 'A nightly retention run failed, timed out or was aborted',
      metric: this.stateMachine.metricFailed({ period: Duration.hours(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const runTimedOut = new Alarm(this, 'RunTimedOutAlarm', {
      alarmDescription: 'A nightly retention run hit the state machine timeout',
      metric: this.stateMachine.metricTimedOut({ period: Duration.hours(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [runFailed, runTimedOut];
  }
}
