import { DeleteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type TableNames, writeIf } from '../../functions/adapters/tableNames.js';
import { TABLE_SCHEMAS } from '../../functions/adapters/tables.js';
import { isExpired } from '../../functions/domain/retention/expiry.js';

// `retention prune`: what DynamoDB TTL does on AWS, for the embedded database, which has no TTL.
// Every table with a TTL attribute is scanned for items whose expiry has passed, and each one is
// deleted with a condition that it is still expired, so an item rewritten meanwhile (a new expiry)
// survives. Readers check expiry in code anyway (functions/domain/retention/expiry.ts); this keeps
// the local folder from growing without bound.

export interface PruneResult {
  asOf: string;
  /** Deleted items per logical table. */
  deleted: Record<string, number>;
  scanned: number;
}

export async function pruneExpired(
  db: DynamoDBDocumentClient,
  tables: TableNames,
  now: Date,
): Promise<PruneResult> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const result: PruneResult = { asOf: now.toISOString(), deleted: {}, scanned: 0 };
  for (const schema of TABLE_SCHEMAS) {
    const ttl = schema.ttlAttribute;
    if (!ttl) continue;
    const table = tables[schema.name];
    const keyNames = [schema.partitionKey, ...(schema.sortKey ? [schema.sortKey] : [])];
    let deleted = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await db.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: '#ttl <= :now',
          ProjectionExpression: [...keyNames, ttl].map((_, i) => `#p${i}`).join(', '),
          ExpressionAttributeNames: {
            '#ttl': ttl,
            ...Object.fromEntries([...keyNames, ttl].map((n, i) => [`#p${i}`, n])),
          },
          ExpressionAttributeValues: { ':now': nowSeconds },
          ExclusiveStartKey: start,
        }),
      );
      result.scanned += out.ScannedCount ?? 0;
      for (const item of out.Items ?? []) {
        if (!isExpired({ expiresAt: item[ttl] }, now)) continue;
        const removed = await writeIf(() =>
          db.send(
            new DeleteCommand({
              TableName: table,
              Key: Object.fromEntries(keyNames.map((k) => [k, item[k]])),
              ConditionExpression: '#ttl <= :now',
              ExpressionAttributeNames: { '#ttl': ttl },
              ExpressionAttributeValues: { ':now': nowSeconds },
            }),
          ),
        );
        if (removed) deleted++;
      }
      start = out.LastEvaluatedKey;
    } while (start);
    result.deleted[schema.name] = deleted;
  }
  return result;
}
