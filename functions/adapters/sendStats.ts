import { createHash } from 'node:crypto';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { COUNTER_SHARDS, shardOf } from '../domain/delivery/guardrail.js';
import {
  type EvidenceOutcome,
  isPending,
  outcomeFromEvidence,
  PENDING_STATUSES,
} from '../domain/delivery/ledger.js';
import type { NormalizedSesEvent } from '../domain/delivery/sesEvents.js';
import type { LedgerEntry } from './ledgerStore.js';
import { putOnce } from './putOnce.js';
import { isConditionalCheckFailed, type TableNames } from './tableNames.js';

/** How long a seen-event marker and a parked event are kept (DynamoDB TTL). */
export const EVENT_MARKER_TTL_DAYS = 30;
/** Default of EVENT_RETENTION_DAYS (functions/config.ts). */
export const PARKED_TTL_DAYS = 30;
/** DynamoDB items are at most 400 KB; a parked payload is cut well below that. */
const PARKED_MAX_CHARS = 300_000;

/** The per-campaign counter an SES event adds to. */
export function statCounter(event: NormalizedSesEvent): string {
  if (event.type === 'bounce') return `bounce_${(event.bounceType ?? 'Undetermined').toLowerCase()}`;
  return event.type;
}

export interface CampaignSendStats {
  runDate: string;
  campaignId: string;
  counters: Record<string, number>;
}

/** The one item per campaign of earlier versions; still read, so nothing counted before is lost. */
const statsKey = (runDate: string, campaignId: string) => ({
  pk: `STATS#${runDate}`,
  sk: `CAMPAIGN#${campaignId}`,
});
/** Shard `shard` of a campaign's counters (campaign ids are slugs and cannot contain `#`). */
const statsShardKey = (runDate: string, campaignId: string, shard: number) => ({
  pk: `STATS#${runDate}`,
  sk: `CAMPAIGN#${campaignId}#S${String(shard).padStart(2, '0')}`,
});
const markerKey = (eventId: string) => ({ pk: `SESEVENT#${eventId}`, sk: 'SEEN' });

const epochSeconds = (now: Date, plusDays: number) => Math.floor(now.getTime() / 1000) + plusDays * 86_400;

/**
 * Ledger statuses whose outcome the send stage has not recorded yet: the domain's `PENDING_STATUSES`
 * / `isPending` (functions/domain/delivery/ledger.ts), under the names this module has always
 * exported. SES events never write onto such an entry (the send stage's whole-item outcome Put would
 * wipe what they wrote).
 */
export const PENDING_LEDGER_STATUSES = PENDING_STATUSES;
export const isPendingLedgerStatus = isPending;

/**
 * What `recordOnLedger` did: `recorded`; or why it did not: `duplicate` (the event is already on the
 * entry), `pending` (no send outcome recorded yet: retry later), `mismatch` (another SES MessageId),
 * `missing` (no such entry).
 */
export type LedgerRecordOutcome = 'recorded' | 'duplicate' | 'pending' | 'mismatch' | 'missing';

/** What an SES event records on its ledger entry: a timestamp per kind, counters for opens and clicks. */
function ledgerFields(event: NormalizedSesEvent): {
  sets: Record<string, unknown>;
  adds: Record<string, number>;
} {
  const at = event.timestamp;
  switch (event.type) {
    case 'delivery':
      return { sets: { deliveredAt: at }, adds: {} };
    case 'bounce':
      return { sets: { bouncedAt: at, bounceType: event.bounceType ?? 'Undetermined' }, adds: {} };
    case 'complaint':
      return { sets: { complainedAt: at }, adds: {} };
    case 'open':
      return { sets: { firstOpenAt: at }, adds: { openCount: 1 } };
    case 'click':
      return { sets: { firstClickAt: at }, adds: { clickCount: 1 } };
    case 'delivery_delay':
      return { sets: { delayedAt: at }, adds: { delayCount: 1 } };
    case 'reject':
      return { sets: { rejectedAt: at }, adds: {} };
    case 'rendering_failure':
      return { sets: { renderingFailedAt: at }, adds: {} };
    case 'subscription':
      return { sets: { unsubscribedAt: at }, adds: {} };
    case 'send':
      return { sets: { sesSendAt: at }, adds: {} };
  }
}

/**
 * Delivery feedback storage: SES events on their ledger entries, per-run-and-campaign counters and
 * parked payloads, all idempotent under at-least-once delivery.
 *
 * - Ledger: one conditional update per event, guarded by the entry's `sesEvents` string set (`NOT
 *   contains(sesEvents, :id)`), keyed by the event id: a duplicate changes nothing. First timestamps
 *   use `if_not_exists`; the entry must carry the same SES `MessageId` (or none yet, when ambiguous),
 *   and its send outcome must be recorded (status not `queued` / `claimed`, see
 *   `PENDING_LEDGER_STATUSES`): the condition closes the race between the handler's read and the
 *   send stage's outcome Put.
 * - Counters: a marker item `SESEVENT#<eventId>` is put with `attribute_not_exists` first and the
 *   counter item `STATS#<runDate>` / `CAMPAIGN#<campaignId>#S<shard>` is incremented (ADD) only when the marker
 *   was new. DynamoDB Local (dynalite) has no transactions, so the two writes are separate: a crash
 *   between them loses that one increment (the retry sees the marker and skips); it never counts twice.
 */
export class SendFeedbackStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
    /** EVENT_RETENTION_DAYS: how long a parked raw event is kept. */
    private readonly parkedRetentionDays: number = PARKED_TTL_DAYS,
  ) {}

  /**
   * Records the event on its ledger entry with one conditional update. Never writes onto an entry
   * whose send outcome is not recorded yet (`pending`); when the condition fails, one consistent
   * re-read (a rare path) tells why.
   */
  async recordOnLedger(sendKey: string, event: NormalizedSesEvent): Promise<LedgerRecordOutcome> {
    const { sets, adds } = ledgerFields(event);
    const names: Record<string, string> = {
      '#seen': 'sesEvents',
      '#mid': 'messageId',
      '#last': 'lastEventAt',
      '#st': 'status',
    };
    const values: Record<string, unknown> = {
      ':id': event.eventId,
      ':ids': new Set([event.eventId]),
      ':mid': event.messageId,
      ':at': event.timestamp,
    };
    const pendingValues = PENDING_LEDGER_STATUSES.map((status, i) => {
      values[`:p${i}`] = status;
      return `:p${i}`;
    });
    const setParts = ['#last = :at'];
    for (const [i, [k, v]] of Object.entries(sets).entries()) {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      // First occurrence wins for timestamps; the bounce type of a hard bounce is kept.
      setParts.push(`#s${i} = if_not_exists(#s${i}, :s${i})`);
    }
    const addParts = ['#seen :ids'];
    for (const [i, [k, v]] of Object.entries(adds).entries()) {
      names[`#a${i}`] = k;
      values[`:a${i}`] = v;
      addParts.push(`#a${i} :a${i}`);
    }
    const input = {
      TableName: this.tables.ledger,
      Key: { sendKey },
      UpdateExpression: `SET ${setParts.join(', ')} ADD ${addParts.join(', ')}`,
      ConditionExpression:
        `attribute_exists(sendKey) AND NOT (#st IN (${pendingValues.join(', ')})) AND ` +
        '(attribute_not_exists(#mid) OR #mid = :mid) AND ' +
        '(attribute_not_exists(#seen) OR NOT contains(#seen, :id))',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    for (let attempt = 1; ; attempt += 1) {
      try {
        // A fresh command per attempt: a document-client command is not meant to be sent twice.
        await this.db.send(new UpdateCommand(input));
        return 'recorded';
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
      const why = await this.whyNotRecorded(sendKey, event);
      if (why !== undefined) return why;
      // The entry changed between the failed write and the re-read (most likely the send stage's
      // outcome Put landed): try once more; if it keeps changing, let the event be redelivered.
      if (attempt >= 2) return 'pending';
    }
  }

  /**
   * Which part of `recordOnLedger`'s condition failed, read back consistently; undefined when the
   * entry, as read now, would pass it (it changed in between).
   */
  private async whyNotRecorded(
    sendKey: string,
    event: NormalizedSesEvent,
  ): Promise<Exclude<LedgerRecordOutcome, 'recorded'> | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tables.ledger, Key: { sendKey }, ConsistentRead: true }),
    );
    const item = out.Item as (LedgerEntry & { sesEvents?: ReadonlySet<string> }) | undefined;
    if (!item) return 'missing';
    if (isPendingLedgerStatus(item.status)) return 'pending';
    if (item.messageId !== undefined && item.messageId !== event.messageId) return 'mismatch';
    if (item.sesEvents?.has(event.eventId)) return 'duplicate';
    return undefined;
  }

  /**
   * SES evidence settles an ambiguous entry (see docs/delivery.md): the message went out (`sent`,
   * with its MessageId), or SES refused it after accepting the call (`failed`).
   */
  async resolveAmbiguous(sendKey: string, event: NormalizedSesEvent): Promise<EvidenceOutcome | undefined> {
    const to = outcomeFromEvidence(event.type);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tables.ledger,
          Key: { sendKey },
          UpdateExpression: 'SET #s = :to, #mid = :mid, #reason = :reason',
          ConditionExpression: '#s = :amb',
          ExpressionAttributeNames: { '#s': 'status', '#mid': 'messageId', '#reason': 'reason' },
          ExpressionAttributeValues: {
            ':to': to,
            ':amb': 'ambiguous',
            ':mid': event.messageId,
            ':reason': `resolved by the SES ${event.type} event ${event.eventId}`,
          },
        }),
      );
      return to;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** Marks the event as counted; false when it already was (a duplicate delivery). See putOnce. */
  async markEvent(eventId: string, now: Date): Promise<boolean> {
    return putOnce(this.db, this.tables.config, markerKey(eventId), {
      at: now.toISOString(),
      expiresAt: epochSeconds(now, EVENT_MARKER_TTL_DAYS),
    });
  }

  /**
   * Counters are top-level number attributes (ADD creates them at 0) of one of COUNTER_SHARDS items
   * per campaign and night, chosen from the SES message id: every SES event of a big night used to
   * ADD to one item, a hot key. `shardKey` is the message id (any stable id of the event's message).
   */
  async addToStats(
    runDate: string,
    campaignId: string,
    counter: string,
    shardKey: string,
    by = 1,
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tables.config,
        Key: statsShardKey(runDate, campaignId, shardOf(shardKey, COUNTER_SHARDS)),
        UpdateExpression: 'SET #rd = :rd, #cid = :cid ADD #c :by',
        ExpressionAttributeNames: { '#rd': 'runDate', '#cid': 'campaignId', '#c': `n_${counter}` },
        ExpressionAttributeValues: { ':rd': runDate, ':cid': campaignId, ':by': by },
      }),
    );
  }

  /** The campaign's counters: the sum of its shards (and of the unsharded item of earlier versions). */
  async getStats(runDate: string, campaignId: string): Promise<CampaignSendStats | undefined> {
    const keys = [
      statsKey(runDate, campaignId),
      ...Array.from({ length: COUNTER_SHARDS }, (_, s) => statsShardKey(runDate, campaignId, s)),
    ];
    const items: Record<string, unknown>[] = [];
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
      [this.tables.config]: { Keys: keys, ConsistentRead: true },
    };
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      if (attempt > 10) throw new Error('campaign statistics: BatchGetItem kept returning unprocessed keys');
      const out = await this.db.send(new BatchGetCommand({ RequestItems: request }));
      items.push(...(out.Responses?.[this.tables.config] ?? []));
      request = out.UnprocessedKeys as typeof request;
    }
    if (items.length === 0) return undefined;
    const counters: Record<string, number> = {};
    for (const item of items) {
      for (const [k, v] of Object.entries(item)) {
        if (k.startsWith('n_') && typeof v === 'number')
          counters[k.slice(2)] = (counters[k.slice(2)] ?? 0) + v;
      }
    }
    return { runDate, campaignId, counters };
  }

  /** Keeps an unrecognised payload for inspection (with a TTL) instead of failing on it. */
  async park(raw: unknown, reason: string, now: Date): Promise<string> {
    let text: string;
    try {
      text = JSON.stringify(raw) ?? String(raw);
    } catch {
      text = String(raw);
    }
    const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
    const key = { pk: `PARKED#${now.toISOString().slice(0, 10)}`, sk: `${now.toISOString()}#${digest}` };
    await this.db.send(
      new PutCommand({
        TableName: this.tables.config,
        Item: {
          ...key,
          reason: reason.slice(0, 500),
          raw: text.slice(0, PARKED_MAX_CHARS),
          truncated: text.length > PARKED_MAX_CHARS,
          expiresAt: epochSeconds(now, this.parkedRetentionDays),
        },
      }),
    );
    return `${key.pk}/${key.sk}`;
  }
}
