import { Aws, CfnOutput, type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { sendMapConcurrency } from '../functions/domain/delivery/sendPacing.js';
import type { DeployConfig } from './config/deployConfig.js';
import { AccessLogs } from './constructs/accessLogs.js';
import { CampaignUpload } from './constructs/campaignUpload.js';
import { DataImport } from './constructs/dataImport.js';
import { DataTables } from './constructs/dataTables.js';
import { Delivery } from './constructs/delivery.js';
import { EmailSending } from './constructs/emailSending.js';
import { Guardrail } from './constructs/guardrail.js';
import { HandlerFunction } from './constructs/handlerFunction.js';
import { Monitoring } from './constructs/monitoring.js';
import { NightlyRun } from './constructs/nightlyRun.js';
import { NightlySchedule } from './constructs/nightlySchedule.js';
import { UnsubscribeKeys } from './constructs/unsubscribeKeys.js';

/** Scan segments scored at once (the distributed score Map); the table's throughput is the real bound. */
const MAX_SCORE_MAP_CONCURRENCY = 40;

export interface RetentionStackProps extends StackProps {
  /** One stage's validated settings (infra/config/<stage>.ts). */
  config: DeployConfig;
  removalPolicy?: RemovalPolicy;
}

export class RetentionStack extends Stack {
  readonly config: DeployConfig;
  readonly data: DataTables;
  readonly email: EmailSending;
  readonly delivery: Delivery;
  readonly nightly: NightlyRun;
  readonly monitoring: Monitoring;
  readonly guardrail: Guardrail;

  constructor(scope: Construct, id: string, props: RetentionStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    this.data = new DataTables(this, 'Data', { removalPolicy: props.removalPolicy });
    this.email = new EmailSending(this, 'Email', {
      domain: config.sender.domain,
      mailFromSubdomain: config.sender.mailFromSubdomain,
    });
    const configurationSetName = this.email.configurationSet.configurationSetName;
    const accessLogs = new AccessLogs(this, 'AccessLogs', { removalPolicy: props.removalPolicy });

    // Rotated every 90 days; old keys verify for the links' lifetime (docs/operations.md).
    const unsubscribeKeys = new UnsubscribeKeys(this, 'UnsubscribeKeys').secret;

    // One value for the send Map's MaxConcurrency and the handlers' SEND_CONCURRENCY: each send
    // segment takes MAX_SEND_RATE / SEND_CONCURRENCY, so together they never exceed the rate; and no
    // more segments than the rate needs, since a send Lambda is billed while it waits for its share.
    const sendConcurrency = sendMapConcurrency(config.totalSegments, config.maxSendRate);
    // What every function's config (functions/config.ts) reads; the stage's settings end here.
    const shared = {
      ...this.data.environment(),
      SENDER_EMAIL: config.sender.email,
      SENDER_NAME: config.sender.name,
      POSTAL_ADDRESS: config.postalAddress,
      UNSUBSCRIBE_KEYS_SECRET: unsubscribeKeys.secretName,
      SES_CONFIGURATION_SET: configurationSetName,
      MAX_SEND_RATE: String(config.maxSendRate),
      TOTAL_SEGMENTS: String(config.totalSegments),
      SEND_CONCURRENCY: String(sendConcurrency),
      GLOBAL_CAP_DAYS: String(config.caps.globalCapDays),
      GLOBAL_CONTROL_PERCENT: String(config.caps.globalControlPercent),
      ORDER_RETENTION_DAYS: String(config.retention.orderDays),
      LEDGER_RETENTION_DAYS: String(config.retention.ledgerDays),
      RUN_RETENTION_DAYS: String(config.retention.runDays),
      EVENT_RETENTION_DAYS: String(config.retention.eventDays),
      // The erasure hash's salt: one per deployment (the stack's id never changes while it exists).
      ERASURE_SALT: config.erasureSalt ?? Aws.STACK_ID,
    };

    this.delivery = new Delivery(this, 'Delivery', {
      environment: shared,
      tables: this.data.tables,
      unsubscribeKeys,
    });
    // Unset in the stage: the links point at this stack's own Function URL (it ends in "/"), so the
    // first deploy already sends working links.
    const environment = {
      ...shared,
      UNSUBSCRIBE_BASE_URL: config.unsubscribeBaseUrl ?? `${this.delivery.unsubscribeUrl}u`,
    };

    this.nightly = new NightlyRun(this, 'Nightly', {
      environment,
      tables: this.data.tables,
      maxConcurrency: Math.min(config.totalSegments, MAX_SCORE_MAP_CONCURRENCY),
      sendConcurrency,
      sesIdentityArns: [
        this.formatArn({ service: 'ses', resource: 'identity', resourceName: config.sender.domain }),
      ],
      configurationSetName,
      logRetention: config.retention.logDays,
    });
    unsubscribeKeys.grantRead(this.nightly.functions.sendSegment);

    const schedule = new NightlySchedule(this, 'Schedule', {
      stateMachine: this.nightly.stateMachine,
      hour: config.schedule.hour,
      minute: config.schedule.minute,
      timeZone: config.schedule.timeZone,
    });

    const campaigns = new CampaignUpload(this, 'CampaignUpload', {
      configTable: this.data.tables.config,
      environment,
      removalPolicy: props.removalPolicy,
      accessLogs: accessLogs.bucket,
    });

    const imports = new DataImport(this, 'DataImport', {
      environment,
      customers: this.data.tables.customers,
      orders: this.data.tables.orders,
      ledger: this.data.tables.ledger,
      config: this.data.tables.config,
      removalPolicy: props.removalPolicy,
      accessLogs: accessLogs.bucket,
    });
    new CfnOutput(this, 'ImportBucket', { value: imports.bucket.bucketName });
    new CfnOutput(this, 'StateMachineArn', { value: this.nightly.stateMachine.stateMachineArn });

    const functions = this.node.findAll().filter((c): c is HandlerFunction => c instanceof HandlerFunction);
    this.monitoring = new Monitoring(this, 'Monitoring', {
      alarmEmail: config.alarmEmail,
      stateMachine: this.nightly.stateMachine,
      alarms: this.nightly.alarms,
      functions,
      tables: this.data.tables,
      failureQueues: {
        SesEventsDeadLetters: this.delivery.deadLetters,
        ImportFailures: imports.failures,
        CampaignUploadFailures: campaigns.failures,
        StartFailures: schedule.failures,
      },
      configurationSetName,
    });
    this.guardrail = new Guardrail(this, 'Guardrail', {
      topic: this.monitoring.topic,
      reputationAlarms: [
        this.monitoring.guardrailAlarms.bounceRate,
        this.monitoring.guardrailAlarms.complaintRate,
      ],
      configTable: this.data.tables.config,
      environment,
    });
    this.monitoring.addGuardrailWidget(this.guardrail.trippedMetric);
    new CfnOutput(this, 'ConfigTableName', { value: this.data.tables.config.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });

    // One retention for every log group of the stage (the functions' and the state machine's).
    for (const child of this.node.findAll()) {
      if (child instanceof CfnLogGroup) child.retentionInDays = config.retention.logDays;
    }
  }
}
