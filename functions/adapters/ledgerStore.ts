import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { IsoDate } from '../domain/types.js';
import { isConditionalCheckFailed, type TableNames } from './tableNames.js';
import { LEDGER_BY_RUN_SHARD } from './tables.js';

/**
 * queued → claimed → sent | failed | ambiguous ; held_out and global_control are final on creation;
 * skipped = checked again right before sending and no longer eligible (e.g. unsubscribed since).
 */
export type LedgerStatus =
  | 'queued'
  | 'claimed'
  | 'sent'
  | 'failed'
  | 'ambiguous'
  | 'held_out'
  | 'global_control'
  | 'skipped';

export interface LedgerEntry {
  sendKey: string;
  runShard: string;
  runDate: IsoDate;
  segment: number;
  campaignId: string;
  campaignVersion: number;
  segmentId: string;
  customerId: string;
  status: LedgerStatus;
  createdAt: string;
  claimedAt?: string;
  finishedAt?: string;
  messageId?: string;
  reason?: string;
  expectedValue?: number;
  expiresAt: number;
}

export function ledgerKey(runDate: IsoDate, campaignId: string, customerId: string): string {
  return `${runDate}#${campaignId}#${customerId}`;
}

export function runShard(runDate: IsoDate, segment: number): string {
  return `${runDate}#${segment}`;
}

export class LedgerStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
  ) {}

  /** Records a decision once; returns false when it already exists (a re-run of the same night). */
  async create(entry: LedgerEntry): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tables.ledger,
          Item: entry,
          ConditionExpression: 'attribute_not_exists(sendKey)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async get(sendKey: string): Promise<LedgerEntry | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tables.ledger, Key: { sendKey }, ConsistentRead: true }),
    );
    return out.Item as LedgerEntry | undefined;
  }

  /** Conditional state transition; false when the entry was not in the expected state. */
  async transition(
    sendKey: string,
    from: LedgerStatus,
    to: LedgerStatus,
    fields: Partial<Pick<LedgerEntry, 'claimedAt' | 'finishedAt' | 'messageId' | 'reason'>> = {},
  ): Promise<boolean> {
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':from': from, ':to': to };
    const sets = ['#s = :to'];
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      names[`#${k}`] = k;
      values[`:${k}`] = v;
      sets.push(`#${k} = :${k}`);
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tables.ledger,
          Key: { sendKey },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#s = :from',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** One page of a run segment's ledger entries in a given state (GSI, eventually consistent). */
  async pageByShard(args: {
    runDate: IsoDate;
    segment: number;
    statuses: LedgerStatus[];
    limit: number;
    startKey?: Record<string, unknown> | undefined;
  }): Promise<{ items: LedgerEntry[]; lastKey?: Record<string, unknown> | undefined }> {
    const values: Record<string, unknown> = { ':shard': runShard(args.runDate, args.segment) };
    const placeholders = args.statuses.map((s, i) => {
      values[`:s${i}`] = s;
      return `:s${i}`;
    });
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tables.ledger,
        IndexName: LEDGER_BY_RUN_SHARD,
        KeyConditionExpression: 'runShard = :shard',
        FilterExpression: `#s IN (${placeholders.join(', ')})`,
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: values,
        Limit: args.limit,
        ExclusiveStartKey: args.startKey,
      }),
    );
    return { items: (out.Items ?? []) as LedgerEntry[], lastKey: out.LastEvaluatedKey };
  }
}
