import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { expiryOfDate, isExpired } from '../domain/retention/expiry.js';
import type { IsoDate } from '../domain/types.js';
import { isConditionalCheckFailed, type TableNames } from './tableNames.js';
import { workCounts } from './workCounters.js';

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
  /** Send stage: the wave this record is the lease of (one per wave and segment). */
  wave?: string | undefined;
  done: boolean;
  lastKey?: Record<string, unknown> | undefined;
  counts: Counts;
  invocations: number;
  /** Saves so far: every `commitProgress` is conditional on it, so a writer with a stale view fails. */
  writes?: number;
  /** A fresh id per save: a save whose response was lost, and which the SDK sent again, knows its own. */
  writeId?: string;
  /** Send stage only: ledger entries the segment's current invocation may be sending right now. */
  intent?: SendIntent | undefined;
}

/**
 * The send stage's claim on a group of ledger entries, written (as part of the segment's progress
 * record, under its lease) before any of them is sent and replaced once their outcomes are stored.
 * An intent found at the start of an invocation was left by an attempt that ended without
 * recording those outcomes: its entries that are still queued may have been sent (at-most-once).
 */
export interface SendIntent {
  invocation: number;
  at: string;
  sendKeys: string[];
}

/** The segment's progress record changed under us: another invocation has taken the segment over. */
export class SegmentLeaseLost extends Error {
  override name = 'SegmentLeaseLost';
}

/**
 * What the goals and the stage flow read of a night (NightFigures): kept after the night's run
 * record and progress items expire, one small item per night.
 */
export interface KeptNightFigures {
  runDate: IsoDate;
  customers: number;
  stages: Record<string, number>;
  moves: Record<string, number>;
  recency: Record<string, number>;
}

/** Default of RUN_RETENTION_DAYS (functions/config.ts). */
export const DEFAULT_RUN_RETENTION_DAYS = 400;

const runPk = (runDate: IsoDate) => `RUN#${runDate}`;
const FIGURES_PK = 'NIGHTS';
/** `SCORE#000003`, `SEND#000003`, or per wave `SEND#<waveId>#000003`: each is its own lease. */
const segmentSk = (phase: 'score' | 'send', segment: number, wave?: string) =>
  `${phase.toUpperCase()}#${wave === undefined ? '' : `${wave}#`}${String(segment).padStart(6, '0')}`;

export class RunStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
    /** RUN_RETENTION_DAYS: the run record and its progress items expire this long after the night. */
    private readonly retentionDays: number = DEFAULT_RUN_RETENTION_DAYS,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private expiresAt(runDate: IsoDate): number {
    return expiryOfDate(runDate, this.retentionDays);
  }

  /** Creates the run record once; a re-run of the same date gets the original plan back. */
  async createOrGet<Plan>(record: RunRecord<Plan>): Promise<{ record: RunRecord<Plan>; created: boolean }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tables.config,
          Item: {
            pk: runPk(record.runDate),
            sk: 'RECORD',
            ...record,
            expiresAt: this.expiresAt(record.runDate),
          },
          // An expired record that TTL has not deleted yet counts as gone.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': Math.floor(this.clock().getTime() / 1000) },
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
    if (!out.Item || isExpired(out.Item, this.clock())) return undefined;
    const { pk: _pk, sk: _sk, expiresAt: _e, ...rest } = out.Item;
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

  async getProgress(
    runDate: IsoDate,
    phase: 'score' | 'send',
    segment: number,
    wave?: string,
  ): Promise<SegmentProgress> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tables.config,
        Key: { pk: runPk(runDate), sk: segmentSk(phase, segment, wave) },
        ConsistentRead: true,
      }),
    );
    if (!out.Item || isExpired(out.Item, this.clock())) {
      return {
        phase,
        segment,
        ...(wave === undefined ? {} : { wave }),
        done: false,
        counts: {},
        invocations: 0,
      };
    }
    return out.Item as unknown as SegmentProgress;
  }

  /**
   * Saves the segment's progress if nobody else saved it since `previous` was read (optimistic lock
   * on `writes`; records from before that counter fall back to the invocation counter). Returns the
   * saved record; throws SegmentLeaseLost when another invocation saved in between.
   *
   * When the response to the save is lost (a reset connection, a 500, a timeout), the SDK sends it
   * again and the second attempt fails the condition the first one changed. A consistent read of
   * the record tells the two apart: it carries this save's `writeId` only if this save landed.
   * A record older than this invocation's own last save is saved over (see below).
   */
  async commitProgress(
    runDate: IsoDate,
    next: SegmentProgress,
    previous: SegmentProgress,
  ): Promise<SegmentProgress> {
    const saved: SegmentProgress = { ...next, writes: (previous.writes ?? 0) + 1, writeId: randomUUID() };
    try {
      await this.putProgress(runDate, saved, previous);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const stored = await this.getProgress(runDate, next.phase, next.segment, next.wave);
      if (stored.writeId === saved.writeId) return saved;
      if (!isOlderThanOwnSave(stored, previous))
        throw new SegmentLeaseLost(leaseLostMessage(runDate, next, previous, stored));
      // The record is an older save of this same invocation: no other invocation has taken the
      // lease (that counts `invocations` up), and no writer produces an older record, so the
      // database served a stale version (the embedded one did, at 1,000,000 customers; see
      // docs/reliability.md "Load"). This invocation's state is the newest: it is saved over
      // that version, still conditional on it and on the invocation, so a lease taken meanwhile
      // still wins.
      workCounts.dynamodb.staleProgressRecords += 1;
      // The save counter keeps counting from this invocation's own saves, not the stale record's:
      // restarting it would give later saves the numbers of older versions, and a second revert
      // to one of those could then pass the optimistic lock unseen.
      const over: SegmentProgress = { ...saved, writeId: randomUUID() };
      try {
        await this.putProgress(runDate, over, stored, { sameInvocation: true });
      } catch (overError) {
        if (!isConditionalCheckFailed(overError)) throw overError;
        const now = await this.getProgress(runDate, next.phase, next.segment, next.wave);
        if (now.writeId === over.writeId) return over;
        throw new SegmentLeaseLost(leaseLostMessage(runDate, next, previous, now));
      }
      return over;
    }
    return saved;
  }

  /** One conditional Put of a progress record: based on `previous` (its save counter). */
  private async putProgress(
    runDate: IsoDate,
    record: SegmentProgress,
    previous: SegmentProgress,
    options: { sameInvocation?: boolean } = {},
  ): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tables.config,
        Item: {
          pk: runPk(runDate),
          sk: segmentSk(record.phase, record.segment, record.wave),
          ...record,
          expiresAt: this.expiresAt(runDate),
        },
        ConditionExpression: options.sameInvocation
          ? '#w = :w AND invocations = :inv'
          : 'attribute_not_exists(pk) OR #w = :w OR (attribute_not_exists(#w) AND invocations = :inv)',
        ExpressionAttributeNames: { '#w': 'writes' },
        ExpressionAttributeValues: { ':w': previous.writes ?? 0, ':inv': previous.invocations },
      }),
    );
  }

  /**
   * Starts an invocation's work on a segment: counts the invocation with a conditional save, which
   * makes any earlier invocation still running lose the segment at its next save. A save by such an
   * invocation between our read and our save makes ours fail; that is retried from a fresh read.
   * Returns the progress as saved (or as read, when the segment is already done).
   */
  async takeLease(
    runDate: IsoDate,
    phase: 'score' | 'send',
    segment: number,
    options: {
      attempts?: number;
      sleep?: (ms: number) => Promise<void>;
      random?: () => number;
      /** Send stage: the wave whose segment to lease. */
      wave?: string | undefined;
    } = {},
  ): Promise<SegmentProgress> {
    const attempts = options.attempts ?? 5;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const random = options.random ?? Math.random;
    for (let attempt = 1; ; attempt++) {
      const read = await this.getProgress(runDate, phase, segment, options.wave);
      if (read.done) return read;
      try {
        return await this.commitProgress(runDate, { ...read, invocations: read.invocations + 1 }, read);
      } catch (error) {
        if (!(error instanceof SegmentLeaseLost) || attempt >= attempts) throw error;
        await sleep(random() * 50 * 2 ** attempt);
      }
    }
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
      const now = this.clock();
      items.push(...((out.Items ?? []).filter((i) => !isExpired(i, now)) as unknown as SegmentProgress[]));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** Keeps the night's figures (no expiry): goal progress, attrition and stage flow outlive the run record. */
  async keepFigures(figures: KeptNightFigures): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tables.config,
        Item: { pk: FIGURES_PK, sk: figures.runDate, ...figures },
      }),
    );
  }

  /** The kept figures of the nights from..to (inclusive), oldest first. */
  async listFigures(from: IsoDate, to: IsoDate): Promise<KeptNightFigures[]> {
    const items: KeptNightFigures[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tables.config,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': FIGURES_PK, ':from': from, ':to': to },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        const { pk: _pk, sk: _sk, ...rest } = item;
        items.push(rest as KeptNightFigures);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

/** A record this invocation saved before `previous` (same invocation, fewer saves). */
function isOlderThanOwnSave(stored: SegmentProgress, previous: SegmentProgress): boolean {
  return (
    previous.writes !== undefined &&
    stored.writes !== undefined &&
    stored.invocations === previous.invocations &&
    stored.writes < previous.writes
  );
}

/**
 * Names what the failed save expected and what the record holds, so that a lost lease can be told
 * from a record older than this invocation's own last save (which no writer produces: saves only
 * count up, and a consistent read returns the latest).
 */
function leaseLostMessage(
  runDate: IsoDate,
  next: SegmentProgress,
  previous: SegmentProgress,
  stored: SegmentProgress,
): string {
  const expected = previous.writes ?? 0;
  const held = stored.writes ?? 0;
  const where = `${next.phase} segment ${next.segment}${next.wave === undefined ? '' : ` (wave ${next.wave})`} of ${runDate}`;
  const detail =
    `this save expected save ${expected} of invocation ${previous.invocations}; the record holds save ${held} ` +
    `of invocation ${stored.invocations} (write id ${stored.writeId ?? 'none'}, ${stored.done ? 'done' : 'not done'})`;
  return `${where} was saved by another invocation since this one read it (${detail})`;
}
