import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_SCHEMAS, type TableSchema } from '../../functions/adapters/tables.js';

/** The five DynamoDB tables: on-demand, point-in-time recovery, encrypted, TTL where items expire. */
export class DataTables extends Construct {
  readonly tables: Record<TableSchema['name'], Table>;

  constructor(scope: Construct, id: string, props: { removalPolicy?: RemovalPolicy } = {}) {
    super(scope, id);
    const tables = {} as Record<TableSchema['name'], Table>;
    for (const schema of TABLE_SCHEMAS) {
      const table = new Table(this, pascal(schema.name), {
        partitionKey: { name: schema.partitionKey, type: AttributeType.STRING },
        sortKey: schema.sortKey ? { name: schema.sortKey, type: AttributeType.STRING } : undefined,
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.AWS_MANAGED,
        timeToLiveAttribute: schema.ttlAttribute,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        deletionProtection: (props.removalPolicy ?? RemovalPolicy.RETAIN) === RemovalPolicy.RETAIN,
      });
      for (const gsi of schema.globalIndexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: gsi.indexName,
          partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
          sortKey: gsi.sortKey ? { name: gsi.sortKey, type: AttributeType.STRING } : undefined,
        });
      }
      tables[schema.name] = table;
    }
    this.tables = tables;
  }

  /** Environment variables that tell handlers the physical table names. */
  environment(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const schema of TABLE_SCHEMAS) env[schema.envVar] = this.tables[schema.name].tableName;
    return env;
  }
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
