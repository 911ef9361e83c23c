import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type LedgerStatus, runShard } from '../domain/delivery/ledger.js';
import { type DecisionRow, decisionGroup } from '../domain/measurement/decisions.js';
import type { IsoDate } from '../domain/types.js';
import type { TableNames } from './tableNames.js';
import { LEDGER_BY_RUN_SHARD } from './tables.js';

/**
 * Reads one night's decisions back from the send ledger, one page at a time, through the
 * `byRunShard` index (one partition per run date and scan segment, and for the emails to send per
 * send wave too: pass the night's wave ids, see `runShard`): memory stays at one page
 * whatever the size of the night. The index is eventually consistent, which is fine for reading a
 * finished night; the send stage never decides anything from it alone.
 */
export async function* decisionPages(
  db: DynamoDBDocumentClient,
  tables: TableNames,
  runDate: IsoDate,
  totalSegments: number,
  waveIds: readonly string[] = [],
  pageSize = 1_000,
): AsyncGenerator<DecisionRow[]> {
  const shards: string[] = [];
  for (let segment = 0; segment < totalSegments; segment++) {
    shards.push(runShard(runDate, segment), ...waveIds.map((w) => runShard(runDate, segment, w)));
  }
  for (const shard of shards) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await db.send(
        new QueryCommand({
          TableName: tables.ledger,
          IndexName: LEDGER_BY_RUN_SHARD,
          KeyConditionExpression: 'runShard = :shard',
          ProjectionExpression: 'customerId, campaignId, segmentId, #s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':shard': shard },
          Limit: pageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      const rows = (out.Items ?? []).map((item): DecisionRow => {
        const status = String(item.status) as LedgerStatus;
        return {
          customerId: String(item.customerId),
          campaignId: String(item.campaignId),
          segmentId: String(item.segmentId),
          group: decisionGroup(status),
          status,
        };
      });
      if (rows.length > 0) yield rows;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
  }
}
