import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { canTransition, type LedgerStatus, ledgerKey, runShard } from '../domain/delivery/ledger.js';
import type { IsoDate } from '../domain/types.js';
import { type TableNames, writeIf } from './tableNames.js';
import { LEDGER_BY_RUN_SHARD } from './tables.js';

// The ledger's statuses, transitions and key format are the domain's (functions/domain/delivery/ledger.ts);
// re-exported here for the callers that import them with the store.
export type { LedgerStatus };
export { ledgerKey, runShard };

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
  /**
   * A queued email's send wave (`sendWaves.ts`): the UTC window, in the customer's local time, it
   * may go out in. Stamped at decision time; part of `runShard`.
   */
  wave?: string;
  createdAt: string;
  finishedAt?: string;
  /** When it was handed to SES, by the send clock (its scheduled moment under the simulated clock). */
  sentAt?: string;
  messageId?: string;
  reason?: string;
  expectedValue?: number;
  /**
   * Days after `runDate` in which an order counts for this decision: the campaign's
   * `attributionWindowDays` or the program's default, fixed at decision time so an edit of the
   * campaign later does not move the window of decisions already made (docs/measurement.md).
   */
  attributionDays?: number;
  /**
   * The customer's contact history before this decision recorded it (decision time, see
   * docs/delivery.md): what the send stage restores when the email is skipped or fails for good.
   */
  contactBefore?: ContactBefore;
  expiresAt: number;
}

/** The two dates the frequency caps read, as they were before a decision overwrote them. */
export interface ContactBefore {
  /** contact.lastByCampaign[campaignId] before; absent when the campaign never reached the customer. */
  campaign?: IsoDate;
  /** contact.lastRetentionEmailAt before; absent when no retention email ever did. */
  anyCampaign?: IsoDate;
}

const BATCH_GET_MAX = 100;
const BATCH_WRITE_MAX = 25;
/** Unprocessed batch items: 50 ms, 100 ms, ... up to 2 s (DynamoDB asks to back off, not to give up). */
const backoffMs = (attempt: number) => Math.min(2_000, 25 * 2 ** (attempt - 1));
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class LedgerStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {}

  /** Records a decision once; returns false when it already exists (a re-run of the same night). */
  async create(entry: LedgerEntry): Promise<boolean> {
    return writeIf(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tables.ledger,
          Item: entry,
          ConditionExpression: 'attribute_not_exists(sendKey)',
        }),
      ),
    );
  }

  async get(sendKey: string): Promise<LedgerEntry | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tables.ledger, Key: { sendKey }, ConsistentRead: true }),
    );
    return out.Item as LedgerEntry | undefined;
  }

  /**
   * Conditional state transition; false when the entry was not in the expected state. Throws on a
   * transition the ledger does not allow (`canTransition`): that is a programming error, not a race.
   */
  async transition(
    sendKey: string,
    from: LedgerStatus,
    to: LedgerStatus,
    fields: Partial<Pick<LedgerEntry, 'finishedAt' | 'messageId' | 'reason'>> = {},
  ): Promise<boolean> {
    if (!canTransition(from, to)) throw new Error(`illegal ledger transition ${from} → ${to} (${sendKey})`);
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':from': from, ':to': to };
    const sets = ['#s = :to'];
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      names[`#${k}`] = k;
      values[`:${k}`] = v;
      sets.push(`#${k} = :${k}`);
    }
    return writeIf(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tables.ledger,
          Key: { sendKey },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#s = :from',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /** The entries with these keys, read consistently from the table (the GSI may lag behind). */
  async getMany(sendKeys: readonly string[]): Promise<Map<string, LedgerEntry>> {
    const found = new Map<string, LedgerEntry>();
    const unique = [...new Set(sendKeys)];
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(i, i + BATCH_GET_MAX)
        .map((sendKey) => ({ sendKey }));
      for (let attempt = 1; keys && keys.length > 0; attempt++) {
        if (attempt > 1) await this.sleep(backoffMs(attempt));
        const out = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tables.ledger]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const item of out.Responses?.[this.tables.ledger] ?? []) {
          found.set(String(item.sendKey), item as LedgerEntry);
        }
        keys = out.UnprocessedKeys?.[this.tables.ledger]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }

  /**
   * Stores final outcomes, whole items, 25 per request, retrying what DynamoDB leaves unprocessed.
   * Unconditional: only the holder of the segment's lease writes outcomes of entries it claimed in
   * its send intent, and the SES events handler never writes an entry before its outcome is here.
   */
  async putOutcomes(entries: readonly LedgerEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += BATCH_WRITE_MAX) {
      let requests: Record<string, unknown>[] | undefined = entries
        .slice(i, i + BATCH_WRITE_MAX)
        .map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; requests && requests.length > 0; attempt++) {
        if (attempt > 1) await this.sleep(backoffMs(attempt));
        const out = await this.db.send(
          new BatchWriteCommand({ RequestItems: { [this.tables.ledger]: requests as never } }),
        );
        requests = out.UnprocessedItems?.[this.tables.ledger] as Record<string, unknown>[] | undefined;
      }
    }
  }

  /**
   * The keys of one page of a run segment's entries in the given states, from the index (eventually
   * consistent: read the entries themselves with `getMany` before acting on them).
   */
  async pageKeysByShard(args: {
    runDate: IsoDate;
    segment: number;
    /** The wave whose entries to page (queued emails are sharded by wave). */
    wave?: string | undefined;
    statuses: readonly LedgerStatus[];
    limit: number;
    startKey?: Record<string, unknown> | undefined;
  }): Promise<{ sendKeys: string[]; customerIds: string[]; lastKey?: Record<string, unknown> | undefined }> {
    const values: Record<string, unknown> = { ':shard': runShard(args.runDate, args.segment, args.wave) };
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
        ProjectionExpression: 'sendKey, customerId',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: values,
        Limit: args.limit,
        ExclusiveStartKey: args.startKey,
      }),
    );
    const items = out.Items ?? [];
    return {
      sendKeys: items.map((item) => String(item.sendKey)),
      customerIds: [...new Set(items.map((item) => String(item.customerId)))],
      lastKey: out.LastEvaluatedKey,
    };
  }
}
