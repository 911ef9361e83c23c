import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { failureQueue } from './failureQueue.js';
import { HandlerFunction } from './handlerFunction.js';

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
 */
export class DataImport extends Construct {
  readonly bucket: Bucket;
  readonly importer: HandlerFunction;
  /** S3 notifications whose import failed after Lambda's retries (the event under `requestPayload`). */
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: DataImportProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
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
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects('imports/*')] }),
    );
    // Without ListBucket, S3 answers AccessDenied instead of NoSuchKey for a missing object.
    this.importer.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['imports/*'] } },
      }),
    );
    this.importer.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('imports/*.status.json')],
      }),
    );
    // S3 invokes asynchronously: a failed import is retried twice by Lambda, then parked here.
    this.failures = failureQueue(this, 'ImportFailures');
    this.importer.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.failures),
    });
    props.customers.grantReadWriteData(this.importer);
    props.orders.grantReadWriteData(this.importer);
    props.ledger?.grantReadData(this.importer);
    props.config?.grantReadWriteData(this.importer);
    for (const prefix of ['imports/customers/', 'imports/orders/']) {
      for (const suffix of ['.csv', '.jsonl', '.ndjson']) {
        this.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(this.importer), {
          prefix,
          suffix,
        });
      }
    }
  }
}
