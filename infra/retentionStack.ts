import { CfnOutput, type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  ConfigurationSet,
  EmailSendingEvent,
  EventDestination,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { CampaignUpload } from './constructs/campaignUpload.js';
import { DataImport } from './constructs/dataImport.js';
import { DataTables } from './constructs/dataTables.js';
import { Delivery } from './constructs/delivery.js';
import { NightlyRun } from './constructs/nightlyRun.js';
import { NightlySchedule } from './constructs/nightlySchedule.js';

export interface RetentionStackProps extends StackProps {
  /** Verified SES identity (domain) that sends the mail, e.g. `shop.example.com`. */
  senderDomain: string;
  senderEmail: string;
  senderName: string;
  postalAddress: string;
  /** Public base URL of the unsubscribe endpoint (custom domain or Function URL). */
  unsubscribeBaseUrl: string;
  maxSendRate: number;
  totalSegments: number;
  removalPolicy?: RemovalPolicy;
}

export class RetentionStack extends Stack {
  readonly data: DataTables;
  readonly nightly: NightlyRun;

  constructor(scope: Construct, id: string, props: RetentionStackProps) {
    super(scope, id, props);
    this.data = new DataTables(this, 'Data', { removalPolicy: props.removalPolicy });

    const configurationSet = new ConfigurationSet(this, 'EmailConfigurationSet', {
      // SES's account-level list is a second layer; our suppression table is the source of truth.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
      sendingEnabled: true,
    });
    configurationSet.addEventDestination('ToEventBridge', {
      destination: EventDestination.eventBus(EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: [
        EmailSendingEvent.SEND,
        EmailSendingEvent.DELIVERY,
        EmailSendingEvent.BOUNCE,
        EmailSendingEvent.COMPLAINT,
        EmailSendingEvent.REJECT,
        EmailSendingEvent.OPEN,
        EmailSendingEvent.CLICK,
        EmailSendingEvent.RENDERING_FAILURE,
        EmailSendingEvent.DELIVERY_DELAY,
      ],
    });

    const unsubscribeKeys = new Secret(this, 'UnsubscribeKeys', {
      description: 'HMAC key ring for unsubscribe tokens: {"activeKeyId": "k1", "k1": "<secret>"}',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ activeKeyId: 'k1' }),
        generateStringKey: 'k1',
        passwordLength: 48,
        excludePunctuation: true,
      },
    });

    const environment = {
      ...this.data.environment(),
      SENDER_EMAIL: props.senderEmail,
      SENDER_NAME: props.senderName,
      POSTAL_ADDRESS: props.postalAddress,
      UNSUBSCRIBE_BASE_URL: props.unsubscribeBaseUrl,
      UNSUBSCRIBE_KEYS_SECRET: unsubscribeKeys.secretName,
      SES_CONFIGURATION_SET: configurationSet.configurationSetName,
      MAX_SEND_RATE: String(props.maxSendRate),
      TOTAL_SEGMENTS: String(props.totalSegments),
    };

    this.nightly = new NightlyRun(this, 'Nightly', {
      environment,
      tables: this.data.tables,
      maxConcurrency: Math.min(props.totalSegments, 40),
      sesIdentityArns: [
        this.formatArn({ service: 'ses', resource: 'identity', resourceName: props.senderDomain }),
      ],
      configurationSetName: configurationSet.configurationSetName,
    });
    unsubscribeKeys.grantRead(this.nightly.functions.sendSegment);

    new NightlySchedule(this, 'Schedule', { stateMachine: this.nightly.stateMachine });

    new CampaignUpload(this, 'CampaignUpload', {
      configTable: this.data.tables.config,
      environment,
      removalPolicy: props.removalPolicy,
    });

    new Delivery(this, 'Delivery', { environment, tables: this.data.tables, unsubscribeKeys });

    const imports = new DataImport(this, 'DataImport', {
      environment,
      customers: this.data.tables.customers,
      orders: this.data.tables.orders,
      removalPolicy: props.removalPolicy,
    });
    new CfnOutput(this, 'ImportBucket', { value: imports.bucket.bucketName });

    new CfnOutput(this, 'StateMachineArn', { value: this.nightly.stateMachine.stateMachineArn });
  }
}
