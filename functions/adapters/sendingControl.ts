import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  COUNTER_SHARDS,
  hourBucket,
  type ReputationTotals,
  type SendingSwitch,
  windowBuckets,
} from '../domain/delivery/guardrail.js';
import { type TableNames, writeIf } from './tableNames.js';

const SWITCH_KEY = { pk: 'CONTROL#SENDING', sk: 'STATE' };

/**
 * The kill switch: one item in the config table, read by the send stage before every send group.
 * Setting it is conditional (only when not paused already), so the first reason is kept and a
 * repeated trip (every bounce after the threshold, the alarm as well) changes nothing.
 */
export class SendingControl {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
  ) {}

  async get(): Promise<SendingSwitch> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tables.config, Key: SWITCH_KEY, ConsistentRead: true }),
    );
    const item = out.Item;
    if (item?.state !== 'paused') {
      return { state: 'active', reason: item?.reason, setBy: item?.setBy, at: item?.at };
    }
    return { state: 'paused', reason: item.reason, setBy: item.setBy, at: item.at };
  }

  /** Pauses sending; false when it was paused already (the first reason stays). */
  async pause(reason: string, setBy: string, at: Date): Promise<boolean> {
    if (reason.trim() === '') throw new Error('a pause needs a reason');
    return writeIf(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tables.config,
          Key: SWITCH_KEY,
          UpdateExpression: 'SET #s = :paused, reason = :r, setBy = :by, #at = :at',
          ConditionExpression: 'attribute_not_exists(pk) OR #s <> :paused',
          ExpressionAttributeNames: { '#s': 'state', '#at': 'at' },
          ExpressionAttributeValues: {
            ':paused': 'paused',
            ':r': reason.slice(0, 500),
            ':by': setBy.slice(0, 200),
            ':at': at.toISOString(),
          },
        }),
      ),
    );
  }

  /** Lets sending go on; false when it was not paused. */
  async resume(setBy: string, at: Date): Promise<boolean> {
    return writeIf(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tables.config,
          Key: SWITCH_KEY,
          UpdateExpression: 'SET #s = :active, setBy = :by, #at = :at, reason = :r',
          ConditionExpression: '#s = :paused',
          ExpressionAttributeNames: { '#s': 'state', '#at': 'at' },
          ExpressionAttributeValues: {
            ':active': 'active',
            ':paused': 'paused',
            ':by': setBy.slice(0, 200),
            ':at': at.toISOString(),
            ':r': 'resumed by hand',
          },
        }),
      ),
    );
  }
}

const repKey = (bucket: string, shard: number) => ({
  pk: `REPUTATION#${bucket}`,
  sk: `S${String(shard).padStart(2, '0')}`,
});
/** Counter items outlive the longest window (72 h) by a day, then DynamoDB TTL removes them. */
const REPUTATION_TTL_SECONDS = 4 * 86_400;

/**
 * Sends, hard bounces and complaints per hour, each hour sharded over COUNTER_SHARDS items: a send
 * group adds to its segment's shard, an SES event to its message id's shard, so no single item takes
 * every write of a night. The window total is one BatchGetItem of hours × shards keys.
 */
export class ReputationCounters {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
  ) {}

  async add(kind: keyof ReputationTotals, by: number, at: Date, shard: number): Promise<void> {
    if (by <= 0) return;
    const bucket = hourBucket(at);
    await this.db.send(
      new UpdateCommand({
        TableName: this.tables.config,
        Key: repKey(bucket, shard % COUNTER_SHARDS),
        UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :exp) ADD #k :by',
        ExpressionAttributeNames: { '#k': kind },
        ExpressionAttributeValues: {
          ':by': by,
          ':exp': Math.floor(at.getTime() / 1000) + REPUTATION_TTL_SECONDS,
        },
      }),
    );
  }

  async totals(now: Date, hours: number): Promise<ReputationTotals> {
    const keys = windowBuckets(now, hours).flatMap((b) =>
      Array.from({ length: COUNTER_SHARDS }, (_, s) => repKey(b, s)),
    );
    const totals: ReputationTotals = { sends: 0, bounces: 0, complaints: 0 };
    for (let i = 0; i < keys.length; i += 100) {
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [this.tables.config]: { Keys: keys.slice(i, i + 100) },
      };
      for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
        if (attempt > 10)
          throw new Error('reputation counters: BatchGetItem kept returning unprocessed keys');
        const out = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of out.Responses?.[this.tables.config] ?? []) {
          totals.sends += Number(item.sends ?? 0);
          totals.bounces += Number(item.bounces ?? 0);
          totals.complaints += Number(item.complaints ?? 0);
        }
        request = out.UnprocessedKeys as typeof request;
      }
    }
    return totals;
  }
}
