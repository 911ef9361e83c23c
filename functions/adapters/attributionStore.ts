import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.js';
import type { LedgerStatus } from '../domain/delivery/ledger.js';
import {
  type ArmGroup,
  type AttributableOrder,
  type AttributionPort,
  type AttributionSums,
  attributionDelta,
  type DecisionRef,
  groupOfStatus,
} from '../domain/measurement/attribution.js';
import type { IsoDate } from '../domain/types.js';
import { putOnce } from './putOnce.js';
import { type TableNames, tableNames } from './tableNames.js';
import { LEDGER_BY_CUSTOMER } from './tables.js';

const DAY_SECONDS = 86_400;

/** Per-decision items: one marker per attributed order and the decision's running totals. */
const decisionPk = (sendKey: string) => `ATTRIB#${sendKey}`;
const orderSk = (orderId: string) => `ORDER#${orderId}`;
const TOTAL_SK = 'TOTAL';
/** The sums the report reads: one item per (night, campaign, segment, group). */
const resultsPk = (runDate: IsoDate) => `RESULTS#${runDate}`;
const resultsSk = (campaignId: string, segmentId: string, group: ArmGroup) =>
  `${campaignId}#${segmentId}#${group}`;

/** A few of the newest decisions are enough: only the latest one on or before the order can win. */
const DECISIONS_PER_LOOKUP = 3;

/**
 * Attribution on DynamoDB (docs/measurement.md, "Attribution"). Per order: one Query of the ledger's
 * `byCustomer` index (the customer's decisions, newest first, never a scan); when the order falls in
 * the latest decision's window, three writes, no transaction (dynalite has none):
 *
 * 1. the marker `ATTRIB#<sendKey>` / `ORDER#<orderId>`, put `attribute_not_exists`: an order imported
 *    again finds it and counts nothing (`duplicate`);
 * 2. ADD to the decision's totals (`ATTRIB#<sendKey>` / `TOTAL`), returning the new totals: the totals
 *    before the order are new − this order, which gives the first-order flag and 2xy + y²;
 * 3. ADD the delta to `RESULTS#<runDate>` / `<campaignId>#<segmentId>#<group>`.
 *
 * Like the SES event counters (sendStats.ts), a crash between the marker and the ADDs loses that one
 * order's contribution (the retry sees the marker); it never counts an order twice.
 */
export class AttributionStore implements AttributionPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
    private readonly options: { retentionDays: number; now: () => Date; defaultDays: number },
  ) {}

  async latestDecisions(customerId: string, upTo: IsoDate): Promise<DecisionRef[]> {
    const out = await this.queryDecisions(customerId, upTo);
    return (out.Items ?? []).map((item) => ({
      sendKey: String(item.sendKey),
      runDate: String(item.runDate),
      campaignId: String(item.campaignId),
      segmentId: String(item.segmentId),
      group: groupOfStatus(item.status as LedgerStatus),
      attributionDays: typeof item.attributionDays === 'number' ? item.attributionDays : undefined,
    }));
  }

  private async queryDecisions(customerId: string, upTo: IsoDate) {
    try {
      return await this.db.send(
        new QueryCommand({
          TableName: this.tables.ledger,
          IndexName: LEDGER_BY_CUSTOMER,
          // sendKey = <runDate>#<campaignId>#<customerId>; '$' sorts right after '#', so this bound
          // keeps every decision of `upTo` and drops later nights.
          KeyConditionExpression: 'customerId = :c AND sendKey < :hi',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':c': customerId, ':hi': `${upTo}$` },
          ProjectionExpression: 'sendKey, runDate, campaignId, segmentId, #s, attributionDays',
          ScanIndexForward: false,
          Limit: DECISIONS_PER_LOOKUP,
        }),
      );
    } catch (error) {
      // dynalite cannot add an index to an existing table, so local state created before the index
      // existed has none: say what to do instead of failing with DynamoDB's words.
      if (/does not have the specified index/i.test(String((error as Error).message)))
        throw new Error(
          `the ledger table ${this.tables.ledger} has no ${LEDGER_BY_CUSTOMER} index, which attribution needs ` +
            '(local state from before it existed: delete the .retention folder, or RETENTION_HOME, and seed again; ' +
            'on AWS, cdk deploy adds it)',
        );
      throw error;
    }
  }

  async record(decision: DecisionRef, order: AttributableOrder): Promise<'attributed' | 'duplicate'> {
    const expiresAt =
      Math.floor(this.options.now().getTime() / 1000) + this.options.retentionDays * DAY_SECONDS;
    // See putOnce: a resent Put whose first attempt landed is told from a real re-import.
    const fresh = await putOnce(
      this.db,
      this.tables.config,
      { pk: decisionPk(decision.sendKey), sk: orderSk(order.orderId) },
      {
        customerId: order.customerId,
        orderId: order.orderId,
        date: order.date,
        amount: order.amount,
        expiresAt,
      },
    );
    if (!fresh) return 'duplicate';
    const totals = await this.db.send(
      new UpdateCommand({
        TableName: this.tables.config,
        Key: { pk: decisionPk(decision.sendKey), sk: TOTAL_SK },
        UpdateExpression: 'SET expiresAt = :exp ADD orders :one, revenue :y',
        ExpressionAttributeValues: { ':exp': expiresAt, ':one': 1, ':y': order.amount },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const after = totals.Attributes ?? {};
    const delta = attributionDelta(
      { orders: Number(after.orders) - 1, revenue: Number(after.revenue) - order.amount },
      order.amount,
    );
    await this.db.send(
      new UpdateCommand({
        TableName: this.tables.config,
        Key: {
          pk: resultsPk(decision.runDate),
          sk: resultsSk(decision.campaignId, decision.segmentId, decision.group),
        },
        UpdateExpression:
          'SET runDate = :rd, campaignId = :cid, segmentId = :sid, #g = :g, attributionDays = :days ' +
          'ADD converters :cv, orders :o, revenue :r, revenueSumSquares :sq',
        ExpressionAttributeNames: { '#g': 'group' },
        ExpressionAttributeValues: {
          ':rd': decision.runDate,
          ':cid': decision.campaignId,
          ':sid': decision.segmentId,
          ':g': decision.group,
          ':days': decision.attributionDays ?? this.options.defaultDays,
          ':cv': delta.converters,
          ':o': delta.orders,
          ':r': delta.revenue,
          ':sq': delta.revenueSumSquares,
        },
      }),
    );
    return 'attributed';
  }

  /** The night's sums, every campaign, segment and group: one Query of one partition. */
  async nightSums(runDate: IsoDate): Promise<AttributionSums[]> {
    const sums: AttributionSums[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tables.config,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': resultsPk(runDate) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        sums.push({
          runDate,
          campaignId: String(item.campaignId),
          segmentId: String(item.segmentId),
          group: item.group as ArmGroup,
          attributionDays: typeof item.attributionDays === 'number' ? item.attributionDays : undefined,
          converters: Number(item.converters ?? 0),
          orders: Number(item.orders ?? 0),
          revenue: Number(item.revenue ?? 0),
          revenueSumSquares: Number(item.revenueSumSquares ?? 0),
        });
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return sums;
  }
}

/** The attribution an order import runs with (the CLI and the import Lambda alike). */
export function orderAttribution(
  db: DynamoDBDocumentClient,
  config: Parameters<typeof tableNames>[0] &
    Pick<Config, 'LEDGER_RETENTION_DAYS' | 'ATTRIBUTION_WINDOW_DAYS'>,
  now: () => Date = () => new Date(),
): { port: AttributionStore; defaultDays: number } {
  const defaultDays = config.ATTRIBUTION_WINDOW_DAYS;
  return {
    port: new AttributionStore(db, tableNames(config), {
      retentionDays: config.LEDGER_RETENTION_DAYS,
      now,
      defaultDays,
    }),
    defaultDays,
  };
}
