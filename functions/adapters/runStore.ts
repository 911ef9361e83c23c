import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { IsoDate } from '../domain/types.js';
import { isConditionalCheckFailed, type TableNames } from './tableNames.js';

/** Counters of one segment's work, summed by Summarize. Keys are `group:name`. */
export type Counts = Record<string, number>;

export interface RunRecord<Plan = unknown> {
  runDate: IsoDate;
  createdAt: string;
  totalSegments: number;
  /** What Prepare decided (model parameters, breakpoints, campaign versions); reused on re-runs. */
  plan: Plan;
  status: 'scoring' | 'sending' | 'done';
  summary?: unknown;
}

export interface SegmentProgress {
  phase: 'score' | 'send';
  segment: number;
  done: boolean;
  lastKey?: Record<string, unknown> | undefined;
  counts: Counts;
  invocations: number;
}

const runPk = (runDate: IsoDate) => `RUN#${runDate}`;
const segmentSk = (phase: 'score' | 'send', segment: number) =>
  `${phase.toUpperCase()}#${String(segment).padStart(6, '0')}`;

export class RunStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
  ) {}

  /** Creates the run record once; a re-run of the same date gets the original plan back. */
  async createOrGet<Plan>(record: RunRecord<Plan>): Promise<{ record: RunRecord<Plan>; created: boolean }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tables.config,
          Item: { pk: runPk(record.runDate), sk: 'RECORD', ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { record, created: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = await this.get<Plan>(record.runDate);
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }

  async get<Plan>(runDate: IsoDate): Promise<RunRecord<Plan> | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tables.config,
        Key: { pk: runPk(runDate), sk: 'RECORD' },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, ...rest } = out.Item;
    return rest as RunRecord<Plan>;
  }

  async setStatus(runDate: IsoDate, status: RunRecord['status'], summary?: unknown): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tables.config,
        Key: { pk: runPk(runDate), sk: 'RECORD' },
        UpdateExpression: summary === undefined ? 'SET #s = :s' : 'SET #s = :s, summary = :sum',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues:
          summary === undefined ? { ':s': status } : { ':s': status, ':sum': summary },
      }),
    );
  }

  async getProgress(runDate: IsoDate, phase: 'score' | 'send', segment: number): Promise<SegmentProgress> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tables.config,
        Key: { pk: runPk(runDate), sk: segmentSk(phase, segment) },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return { phase, segment, done: false, counts: {}, invocations: 0 };
    return out.Item as unknown as SegmentProgress;
  }

  /**
   * Saves a page's resume point and counts. Conditional on the invocation counter so that two
   * concurrent invocations of one segment (a retried task) cannot both advance it.
   */
  async saveProgress(
    runDate: IsoDate,
    progress: SegmentProgress,
    expectedInvocations: number,
  ): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tables.config,
        Item: { pk: runPk(runDate), sk: segmentSk(progress.phase, progress.segment), ...progress },
        ConditionExpression: 'attribute_not_exists(pk) OR invocations = :inv',
        ExpressionAttributeValues: { ':inv': expectedInvocations },
      }),
    );
  }

  async listProgress(runDate: IsoDate, phase: 'score' | 'send'): Promise<SegmentProgress[]> {
    const items: SegmentProgress[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tables.config,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': runPk(runDate), ':prefix': `${phase.toUpperCase()}#` },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((out.Items ?? []) as unknown as SegmentProgress[]));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
