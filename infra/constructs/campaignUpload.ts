import { Aws, CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CAMPAIGN_PREFIX, CAMPAIGN_SUFFIXES, STATUS_SUFFIX } from '../../functions/adapters/s3Objects.js';
import { failureQueue } from './failureQueue.js';
import { HandlerFunction } from './handlerFunction.js';
import { acknowledgeWildcards, exactResource } from './nag.js';

export interface CampaignUploadProps {
  /** The config table: campaign versions and heads. */
  configTable: ITable;
  /** The app's shared Lambda environment (table names and settings the config loader checks). */
  environment: Record<string, string>;
  removalPolicy?: RemovalPolicy;
  /** Server access logs of the bucket go there (under `campaigns/`). */
  accessLogs?: IBucket;
}

/**
 * The bucket marketers drop campaign files into (console or `retention campaigns push --target aws`),
 * and the Lambda that validates each file under `campaigns/`, activates it as a new version and writes
 * `<key>.status.json` next to it.
 *
 * The notification is set on the bucket itself (no custom-resource Lambda): the bucket has a
 * deterministic name so the invoke permission can name it without a dependency cycle.
 */
export class CampaignUpload extends Construct {
  readonly bucket: Bucket;
  readonly handler: HandlerFunction;
  /** S3 notifications whose check failed after Lambda's retries (the event under `requestPayload`). */
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: CampaignUploadProps) {
    super(scope, id);
    const bucketName = `retention-campaigns-${Aws.ACCOUNT_ID}-${Aws.REGION}-${this.node.addr.slice(-8)}`;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName,
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Old versions of campaign files stay available for a year (the config table keeps every version too).
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(365) }],
      removalPolicy,
      ...(props.accessLogs
        ? { serverAccessLogsBucket: props.accessLogs, serverAccessLogsPrefix: 'campaigns/' }
        : {}),
    });

    this.handler = new HandlerFunction(this, 'Function', {
      handlerName: 'campaignUpload',
      description: 'Validates an uploaded campaign file, activates it and writes <key>.status.json',
      timeout: Duration.minutes(1),
      memorySize: 512,
      environment: { ...props.environment, CAMPAIGN_BUCKET: bucketName },
    });

    // Least privilege: read the campaign files and templates, write only status objects,
    // read and write the config table. No delete. ARNs are built from the name, not the bucket
    // resource, so the notification (bucket → function) does not close a dependency cycle.
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${bucketName}`;
    this.handler.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [`${bucketArn}/${CAMPAIGN_PREFIX}*`],
      }),
    );
    // Without ListBucket, S3 answers AccessDenied instead of NoSuchKey for a missing template.
    this.handler.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${CAMPAIGN_PREFIX}*`] } },
      }),
    );
    this.handler.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [`${bucketArn}/${CAMPAIGN_PREFIX}*${STATUS_SUFFIX}`],
      }),
    );
    acknowledgeWildcards(
      this.handler.role!,
      exactResource(
        this,
        `${bucketArn}/${CAMPAIGN_PREFIX}*`,
        `Reads the campaign files and templates under ${CAMPAIGN_PREFIX} of this one bucket, whatever a marketer names them; S3 narrows object ARNs only by key prefix`,
      ),
      exactResource(
        this,
        `${bucketArn}/${CAMPAIGN_PREFIX}*${STATUS_SUFFIX}`,
        `Writes only <key>${STATUS_SUFFIX} next to a campaign file of this bucket; the key is the uploaded file's, so only a pattern can name it`,
      ),
    );
    props.configTable.grantReadWriteData(this.handler);
    // S3 invokes asynchronously: a failed check is retried twice by Lambda, then parked here.
    this.failures = failureQueue(this, 'UploadFailures');
    this.handler.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.failures),
    });

    const permission = new CfnPermission(this, 'InvokeFromBucket', {
      action: 'lambda:InvokeFunction',
      functionName: this.handler.functionArn,
      principal: 's3.amazonaws.com',
      sourceArn: bucketArn,
      sourceAccount: Aws.ACCOUNT_ID,
    });
    const cfnBucket = this.bucket.node.defaultChild as CfnBucket;
    cfnBucket.notificationConfiguration = {
      lambdaConfigurations: CAMPAIGN_SUFFIXES.map((suffix) => ({
        event: 's3:ObjectCreated:*',
        function: this.handler.functionArn,
        filter: {
          s3Key: {
            rules: [
              { name: 'prefix', value: CAMPAIGN_PREFIX },
              { name: 'suffix', value: suffix },
            ],
          },
        },
      })),
    };
    // S3 checks it may invoke the function when the notification is set: the permission comes first.
    cfnBucket.node.addDependency(permission);

    new CfnOutput(this, 'BucketName', {
      description: 'Campaign bucket: drop files under campaigns/ (RETENTION_CAMPAIGN_BUCKET for the CLI)',
      value: bucketName,
    });
  }
}
