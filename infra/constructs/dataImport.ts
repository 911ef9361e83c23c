import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { HandlerFunction } from './handlerFunction.js';

export interface DataImportProps {
  environment: Record<string, string>;
  customers: ITable;
  orders: ITable;
  removalPolicy?: RemovalPolicy;
}

/**
 * Ingestion on AWS: drop customer or order files (CSV or JSON Lines) under `imports/customers/` or
 * `imports/orders/`; a Lambda imports them with the same domain code as `retention import` and
 * writes `<key>.status.json` next to each file.
 */
export class DataImport extends Construct {
  readonly bucket: Bucket;
  readonly importer: HandlerFunction;

  constructor(scope: Construct, id: string, props: DataImportProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
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
    this.bucket.grantRead(this.importer, 'imports/*');
    this.bucket.grantPut(this.importer, 'imports/*.status.json');
    props.customers.grantReadWriteData(this.importer);
    props.orders.grantReadWriteData(this.importer);
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
