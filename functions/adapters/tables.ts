// Key schemas of the DynamoDB tables, defined once: the CDK construct and the local runtime
// both create their tables from these descriptions.

export interface TableIndex {
  indexName: string;
  partitionKey: string;
  sortKey?: string;
}

export interface TableSchema {
  /** Logical name, also the suffix of the local table name. */
  name: 'customers' | 'orders' | 'config' | 'ledger' | 'suppression';
  partitionKey: string;
  sortKey?: string;
  /** Attribute holding an epoch-seconds expiry (DynamoDB TTL on AWS; checked in code locally). */
  ttlAttribute?: string;
  globalIndexes?: TableIndex[];
  /** The environment variable through which handlers learn the physical table name. */
  envVar: 'CUSTOMERS_TABLE' | 'ORDERS_TABLE' | 'CONFIG_TABLE' | 'LEDGER_TABLE' | 'SUPPRESSION_TABLE';
}

export const LEDGER_BY_RUN_SHARD = 'byRunShard';
/**
 * A customer's decisions in run-date order (`sendKey` starts with the run date): order ingest finds
 * the decision an order is attributed to with one Query, never a scan (docs/measurement.md).
 */
export const LEDGER_BY_CUSTOMER = 'byCustomer';

export const TABLE_SCHEMAS: readonly TableSchema[] = [
  { name: 'customers', partitionKey: 'customerId', envVar: 'CUSTOMERS_TABLE' },
  {
    name: 'orders',
    partitionKey: 'customerId',
    sortKey: 'orderId',
    ttlAttribute: 'expiresAt',
    envVar: 'ORDERS_TABLE',
  },
  { name: 'config', partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt', envVar: 'CONFIG_TABLE' },
  {
    name: 'ledger',
    partitionKey: 'sendKey',
    ttlAttribute: 'expiresAt',
    globalIndexes: [
      { indexName: LEDGER_BY_RUN_SHARD, partitionKey: 'runShard', sortKey: 'sendKey' },
      { indexName: LEDGER_BY_CUSTOMER, partitionKey: 'customerId', sortKey: 'sendKey' },
    ],
    envVar: 'LEDGER_TABLE',
  },
  { name: 'suppression', partitionKey: 'subject', envVar: 'SUPPRESSION_TABLE' },
];
