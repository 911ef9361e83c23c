import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
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
} from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { failureQueue } from './failureQueue.js';
import { HandlerFunction } from './handlerFunction.js';
import { acknowledgeWildcards, exactResource } from './nag.js';

const IMPORT_PREFIXES = ['imports/customers/', 'imports/orders/'] as const;
const IMPORT_SUFFIXES = ['.csv', '.jsonl', '.ndjson'] as const;

export interface DataImportProps {
  environment: Record<string, string>;
  customers: ITable;
  orders: ITable;
  /** Attribution at order ingest: the ledger's byCustomer index is read, the config table written. */
  ledger?: ITable;
  config?: ITable;
  removalPolicy?: RemovalPolicy;
  /** Server access logs of the bucket go there (under `imports/`). */
  accessLogs?: IBucket;
}

/**
 * Ingestion on AWS: drop customer or order files (CSV or JSON Lines) under `imports/customers/` or
 * `imports/orders/`; a Lambda imports them with the same domain code as `retention import` and
 * writes `<key>.status.json` next to each file.
 *
 * The notification is set on the bucket itself, as for campaign files: no custom-resource Lambda
 * (and its role) that exists only to call PutBucketNotification at deploy time. The bucket has a
 * deterministic name so that the invoke permission can name it without a dependency cycle.
 */
export class DataImport extends Construct {
  readonly bucket: Bucket;
  readonly importer: HandlerFunction;
  /** S3 notifications whose import failed after Lambda's retries (the event under `requestPayload`). */
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: DataImportProps) {
    super(scope, id);
    const bucketName = `retention-imports-${Aws.ACCOUNT_ID}-${Aws.REGION}-${this.node.addr.slice(-8)}`;
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${bucketName}`;
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName,
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.accessLogs
        ? { serverAccessLogsBucket: props.accessLogs, serverAccessLogsPrefix: 'imports/' }
        : {}),
    });
    this.importer = new HandlerFunction(this, 'ImportUpload', {
      handlerName: 'importUpload',
      description: 'Imports uploaded customer and order files; writes a status object next to each',
      timeout: Duration.minutes(15),
      memorySize: 2048,
      environment: props.environment,
      // One import at a time keeps optimistic-lock retries on the same customers rare.
      reservedConcurrentExecutions: 2,
    });
    // Least privilege with exact actions (grantRead would add s3:GetObject*, s3:List* and more).
    this.importer.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [`${bucketArn}/imports/*`] }),
    );
    // Without ListBucket, S3 answers AccessDenied instead of NoSuchKey for a missing object.
    this.importer.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': ['imports/*'] } },
      }),
    );
    this.importer.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [`${bucketArn}/imports/*.status.json`],
      }),
    );
    // S3 invokes asynchronously: a failed import is retried twice by Lambda, then parked here.
    this.failures = failureQueue(this, 'ImportFailures');
    this.importer.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.failures),
    });
    acknowledgeWildcards(
      this.importer.role!,
      exactResource(
        this,
        `${bucketArn}/imports/*`,
        'Reads the uploaded files under imports/ of this one bucket, whatever they are named; S3 narrows object ARNs only by key prefix',
      ),
      exactResource(
        this,
        `${bucketArn}/imports/*.status.json`,
        "Writes only <key>.status.json next to an uploaded file of this bucket; the key is the upload's, so only a pattern can name it",
      ),
    );
    props.customers.grantReadWriteData(this.importer);
    props.orders.grantReadWriteData(this.importer);
    if (props.ledger) {
      props.ledger.grantReadData(this.importer);
      acknowledgeWildcards(
        this.importer.role!,
        exactResource(
          this,
          `${props.ledger.tableArn}/index/*`,
          "Attribution queries the ledger's byCustomer index (read only); DynamoDB names an index as <table ARN>/index/<name>, and the table grant covers them as index/*",
        ),
      );
    }
    props.config?.grantReadWriteData(this.importer);

    const permission = new CfnPermission(this, 'InvokeFromBucket', {
      action: 'lambda:InvokeFunction',
      functionName: this.importer.functionArn,
      principal: 's3.amazonaws.com',
      sourceArn: bucketArn,
      sourceAccount: Aws.ACCOUNT_ID,
    });
    const cfnBucket = this.bucket.node.defaultChild as CfnBucket;
    cfnBucket.notificationConfiguration = {
      lambdaConfigurations: IMPORT_PREFIXES.flatMap((prefix) =>
        IMPORT_SUFFIXES.map((suffix) => ({
          event: 's3:ObjectCreated:*',
          function: this.importer.functionArn,
          filter: {
            s3Key: {
              rules: [
                { name: 'prefix', value: prefix },
                { name: 'suffix', value: suffix },
              ],
            },
          },
        })),
      ),
    };
    // S3 checks it may invoke the function when the notification is set: the permission comes first.
    cfnBucket.node.addDependency(permission);
  }
}
