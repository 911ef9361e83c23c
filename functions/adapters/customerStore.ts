import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TemplateScores, TemplateSubject } from '../domain/campaigns/templates.js';
import {
  applyOrder,
  emptyAggregates,
  needsSameDayLookup,
  type OrderFact,
} from '../domain/ingest/aggregates.js';
import type { IngestPort } from '../domain/ingest/importService.js';
import type { CustomerNight } from '../domain/night/types.js';
import type { CustomerPreferences } from '../domain/preferences/preferences.js';
import type { CustomerProfile, IsoDate, PurchaseAggregates } from '../domain/types.js';
import type { ContactBefore } from './ledgerStore.js';
import { isConditionalCheckFailed, type TableNames, writeIf } from './tableNames.js';

/** What the nightly run stores on the customer: enough to target and to detect change next night. */
export type NightState = CustomerNight;

export interface ContactHistory {
  lastByCampaign: Record<string, IsoDate>;
  lastRetentionEmailAt?: IsoDate;
}

export interface CustomerRecord {
  customerId: string;
  profile: CustomerProfile;
  aggregates: PurchaseAggregates;
  aggVersion: number;
  recentOrderIds: string[];
  contact: ContactHistory;
  night?: NightState;
  /** The customer's own choices (preference centre); see functions/domain/preferences. */
  preferences?: CustomerPreferences;
}

/**
 * A customer as the send stage reads it: the profile (address, consent, what templates show) and the
 * values templates can show (`TemplateSubject`), nothing else. Every attribute read costs CPU in the
 * SDK on each email, and the send stage is measured against bare SendEmail calls.
 */
export interface CustomerSendView {
  customerId: string;
  profile: CustomerProfile;
  aggregates: TemplateSubject['aggregates'];
  night?: { scores?: TemplateScores | null; lifeStage?: NightState['lifeStage'] };
  /** Only customers who used the preference centre have it; the send checks it again. */
  preferences?: unknown;
}

const SEND_VIEW: readonly (readonly string[])[] = [
  ['customerId'],
  ['profile'],
  ...(['orderCount', 'totalSpent', 'currency', 'firstOrderDate', 'lastOrderDate'] as const).map((field) => [
    'aggregates',
    field,
  ]),
  ...(['pAlive', 'expectedPurchases', 'expectedAvgValue', 'clv', 'clvTier', 'lifeStage'] as const).map(
    (field) => ['night', 'scores', field],
  ),
  ['night', 'scores', 'rfm', 'group'],
  ['night', 'lifeStage'],
  ['preferences'],
];

export interface OrderRecord extends OrderFact {
  customerId: string;
  currency: string;
  aggregated: boolean;
  expiresAt: number;
}

export type ApplyOrderOutcome = 'applied' | 'duplicate' | 'conflict';

const RECENT_ORDER_IDS = 50;

export class CustomerStore implements IngestPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
  ) {}

  async get(customerId: string): Promise<CustomerRecord | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tables.customers, Key: { customerId }, ConsistentRead: true }),
    );
    return out.Item as CustomerRecord | undefined;
  }

  async batchGet(customerIds: readonly string[]): Promise<Map<string, CustomerRecord>> {
    return this.batchGetItems<CustomerRecord>(customerIds);
  }

  /** What the send stage needs of a customer: the profile, and what the templates may show. */
  async batchGetForSending(customerIds: readonly string[]): Promise<Map<string, CustomerSendView>> {
    return this.batchGetItems<CustomerSendView>(customerIds, SEND_VIEW);
  }

  private async batchGetItems<T extends { customerId: string }>(
    customerIds: readonly string[],
    projection?: readonly (readonly string[])[],
  ): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const unique = [...new Set(customerIds)];
    // Every path component gets a placeholder: some attribute names are reserved words.
    const names: Record<string, string> = {};
    const paths = projection?.map((path) =>
      path
        .map((part) => {
          const placeholder = `#${part}`;
          names[placeholder] = part;
          return placeholder;
        })
        .join('.'),
    );
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(i, i + 100)
        .map((customerId) => ({ customerId }));
      while (keys && keys.length > 0) {
        const out = await this.db.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tables.customers]: {
                Keys: keys,
                ConsistentRead: true,
                ...(paths ? { ProjectionExpression: paths.join(', '), ExpressionAttributeNames: names } : {}),
              },
            },
          }),
        );
        for (const item of out.Responses?.[this.tables.customers] ?? []) {
          found.set(String(item.customerId), item as T);
        }
        keys = out.UnprocessedKeys?.[this.tables.customers]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }

  /**
   * Creates the customer or updates the profile only: aggregates, scores and contact history
   * are never touched by a profile import, so re-importing the same file changes nothing.
   */
  async upsertProfile(profile: CustomerProfile, currency = 'EUR'): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tables.customers,
        Key: { customerId: profile.customerId },
        UpdateExpression:
          'SET profile = :p, aggregates = if_not_exists(aggregates, :a), aggVersion = if_not_exists(aggVersion, :zero), ' +
          'recentOrderIds = if_not_exists(recentOrderIds, :empty), contact = if_not_exists(contact, :contact)',
        ExpressionAttributeValues: {
          ':p': profile,
          ':a': emptyAggregates(currency),
          ':zero': 0,
          ':empty': [],
          ':contact': { lastByCampaign: {} },
        },
      }),
    );
  }

  /** Bulk load of complete records into an empty population (seeding); plain overwrites. */
  async bulkPut(records: readonly CustomerRecord[]): Promise<void> {
    await batchWrite(this.db, this.tables.customers, records);
  }

  async bulkPutOrders(orders: readonly OrderRecord[]): Promise<void> {
    await batchWrite(this.db, this.tables.orders, orders);
  }

  /**
   * Records one order and folds it into the customer's aggregates, exactly once.
   * Without transactions: (1) the order item is written if absent; (2) the aggregates are
   * updated with an optimistic version check and the order id remembered in a short list, so
   * a retry after a crash between (2) and (3) cannot count it twice; (3) the order is marked
   * aggregated. Re-importing an order already aggregated changes nothing.
   */
  async applyOrder(order: Omit<OrderRecord, 'aggregated'>): Promise<ApplyOrderOutcome> {
    const item: OrderRecord = { ...order, aggregated: false };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tables.orders,
          Item: item,
          ConditionExpression: 'attribute_not_exists(customerId)',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = await this.getOrder(order.customerId, order.orderId);
      if (!existing) throw error;
      if (
        existing.date !== order.date ||
        existing.amount !== order.amount ||
        existing.currency !== order.currency
      ) {
        return 'conflict';
      }
      if (existing.aggregated) return 'duplicate';
    }
    for (let attempt = 0; ; attempt++) {
      const customer = await this.get(order.customerId);
      if (!customer) throw new Error(`customer ${order.customerId} does not exist`);
      if (!customer.recentOrderIds.includes(order.orderId)) {
        const agg = customer.aggregates;
        const sameDay = needsSameDayLookup(agg, order.date) ? await this.hasOtherOrderOn(order) : false;
        const next = applyOrder(agg, order, sameDay);
        const recent = [...customer.recentOrderIds, order.orderId].slice(-RECENT_ORDER_IDS);
        try {
          await this.db.send(
            new UpdateCommand({
              TableName: this.tables.customers,
              Key: { customerId: order.customerId },
              UpdateExpression: 'SET aggregates = :agg, aggVersion = :next, recentOrderIds = :recent',
              ConditionExpression: 'aggVersion = :version',
              ExpressionAttributeValues: {
                ':agg': next,
                ':next': customer.aggVersion + 1,
                ':recent': recent,
                ':version': customer.aggVersion,
              },
            }),
          );
        } catch (error) {
          if (isConditionalCheckFailed(error) && attempt < 20) continue;
          throw error;
        }
      }
      break;
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.tables.orders,
        Key: { customerId: order.customerId, orderId: order.orderId },
        UpdateExpression: 'SET aggregated = :t',
        ExpressionAttributeValues: { ':t': true },
      }),
    );
    return 'applied';
  }

  async existingCustomerIds(ids: readonly string[]): Promise<Set<string>> {
    return new Set((await this.batchGet(ids)).keys());
  }

  /** Stored orders among the keys, keyed `customerId/orderId` (the import's conflict check). */
  async existingOrders(
    keys: readonly { customerId: string; orderId: string }[],
  ): Promise<Map<string, { date: string; amount: number; currency: string }>> {
    const found = new Map<string, { date: string; amount: number; currency: string }>();
    const unique = [...new Map(keys.map((k) => [`${k.customerId}/${k.orderId}`, k])).values()];
    for (let i = 0; i < unique.length; i += 100) {
      let batch: Record<string, unknown>[] | undefined = unique
        .slice(i, i + 100)
        .map((k) => ({ customerId: k.customerId, orderId: k.orderId }));
      while (batch && batch.length > 0) {
        const out = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tables.orders]: { Keys: batch, ConsistentRead: true } },
          }),
        );
        for (const item of out.Responses?.[this.tables.orders] ?? []) {
          const o = item as OrderRecord;
          found.set(`${o.customerId}/${o.orderId}`, { date: o.date, amount: o.amount, currency: o.currency });
        }
        batch = out.UnprocessedKeys?.[this.tables.orders]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }

  async getOrder(customerId: string, orderId: string): Promise<OrderRecord | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tables.orders, Key: { customerId, orderId }, ConsistentRead: true }),
    );
    return out.Item as OrderRecord | undefined;
  }

  private async hasOtherOrderOn(order: Omit<OrderRecord, 'aggregated'>): Promise<boolean> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tables.orders,
          KeyConditionExpression: 'customerId = :c',
          FilterExpression: '#d = :d AND aggregated = :t',
          ExpressionAttributeNames: { '#d': 'date' },
          ExpressionAttributeValues: {
            ':c': order.customerId,
            ':d': order.date,
            ':t': true,
          },
          ProjectionExpression: 'orderId',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      // Key attributes cannot be filtered server-side, so the order itself is excluded here.
      if ((out.Items ?? []).some((item) => item.orderId !== order.orderId)) return true;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return false;
  }

  /** One page of a parallel scan segment: the nightly pass reads customers only. */
  async scanPage(args: {
    segment: number;
    totalSegments: number;
    limit: number;
    startKey?: Record<string, unknown> | undefined;
    projection?: string;
  }): Promise<{ items: CustomerRecord[]; lastKey?: Record<string, unknown> | undefined }> {
    const out = await this.db.send(
      new ScanCommand({
        TableName: this.tables.customers,
        Segment: args.segment,
        TotalSegments: args.totalSegments,
        Limit: args.limit,
        ExclusiveStartKey: args.startKey,
        ...(args.projection ? { ProjectionExpression: args.projection } : {}),
      }),
    );
    return { items: (out.Items ?? []) as CustomerRecord[], lastKey: out.LastEvaluatedKey };
  }

  /**
   * Stores one night's result, once: the condition makes a re-run of the same night skip
   * customers already done (their signal state has moved on and must not fire twice).
   *
   * `contact` records the night's decision in the contact history the frequency caps read, in the
   * same write (decision time, see docs/delivery.md): `lastByCampaign[campaignId]` always, and
   * `lastRetentionEmailAt` too when `global` (a send; a holdout counts for its campaign's own cap
   * only). The send stage takes it back with `undoContact` when the email is skipped or fails.
   */
  async saveNight(
    customerId: string,
    night: NightState,
    contact?: { campaignId: string; date: IsoDate; global: boolean },
  ): Promise<boolean> {
    const names: Record<string, string> = { '#night': 'night', '#rd': 'runDate' };
    const values: Record<string, unknown> = { ':night': night, ':runDate': night.runDate };
    let update = 'SET #night = :night';
    if (contact) {
      names['#c'] = contact.campaignId;
      values[':d'] = contact.date;
      update += ', contact.lastByCampaign.#c = :d';
      if (contact.global) update += ', contact.lastRetentionEmailAt = :d';
    }
    return writeIf(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tables.customers,
          Key: { customerId },
          UpdateExpression: update,
          ConditionExpression:
            'attribute_exists(customerId) AND (attribute_not_exists(#night) OR #night.#rd <> :runDate)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /**
   * Takes back the contact a `send` decision of `runDate` recorded (`saveNight` with `global`),
   * when the email was skipped or failed for good: `lastByCampaign[campaignId]` and
   * `lastRetentionEmailAt` go back to `before` (REMOVEd when there was none).
   *
   * Only if the decision's own record is still there: `lastByCampaign[campaignId] = runDate`.
   * Otherwise (a later night recorded the campaign again, or this undo already ran) it changes
   * nothing and returns false.
   *
   * `lastRetentionEmailAt` is restored only if it still equals `runDate`: if a later night's send
   * moved it on, that later contact must stay. An update expression cannot make one attribute's
   * change conditional while another's is not, so this is two conditional variants of the update:
   * first "both still `runDate`" restoring both (the normal case, one write), and only if that
   * fails, "campaign still `runDate`, global date not" restoring the campaign only. Between them
   * nothing can set the global date back to `runDate` (only the decision of `runDate` itself writes
   * it, and it is done), so the two cover every state; when both fail the record is gone and the
   * result is false. Conditioning one update on both being `runDate` alone would leave the
   * campaign's date in place after a later night's send, capping a campaign that never went out.
   */
  async undoContact(
    customerId: string,
    campaignId: string,
    runDate: IsoDate,
    before: ContactBefore | undefined,
  ): Promise<boolean> {
    const attempt = async (restoreGlobal: boolean): Promise<boolean> => {
      const names: Record<string, string> = { '#c': campaignId };
      const values: Record<string, unknown> = { ':rd': runDate };
      const sets: string[] = [];
      const removes: string[] = [];
      if (before?.campaign !== undefined) {
        values[':bc'] = before.campaign;
        sets.push('contact.lastByCampaign.#c = :bc');
      } else removes.push('contact.lastByCampaign.#c');
      if (restoreGlobal) {
        if (before?.anyCampaign !== undefined) {
          values[':ba'] = before.anyCampaign;
          sets.push('contact.lastRetentionEmailAt = :ba');
        } else removes.push('contact.lastRetentionEmailAt');
      }
      const update = [
        ...(sets.length > 0 ? [`SET ${sets.join(', ')}`] : []),
        ...(removes.length > 0 ? [`REMOVE ${removes.join(', ')}`] : []),
      ].join(' ');
      const condition = restoreGlobal
        ? 'contact.lastByCampaign.#c = :rd AND contact.lastRetentionEmailAt = :rd'
        : 'contact.lastByCampaign.#c = :rd AND (attribute_not_exists(contact.lastRetentionEmailAt) OR contact.lastRetentionEmailAt <> :rd)';
      return writeIf(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tables.customers,
            Key: { customerId },
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    };
    return (await attempt(true)) || (await attempt(false));
  }

  /** Whether the table holds no customer, with a one-item read instead of counting them all. */
  async isEmpty(): Promise<boolean> {
    const out = await this.db.send(
      new ScanCommand({ TableName: this.tables.customers, Limit: 1, ProjectionExpression: 'customerId' }),
    );
    return (out.Items ?? []).length === 0 && out.LastEvaluatedKey === undefined;
  }

  async count(): Promise<number> {
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new ScanCommand({ TableName: this.tables.customers, Select: 'COUNT', ExclusiveStartKey: startKey }),
      );
      total += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return total;
  }
}

export async function batchWrite(
  db: DynamoDBDocumentClient,
  table: string,
  items: readonly object[],
): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let requests: { PutRequest: { Item: Record<string, unknown> } }[] | undefined = items
      .slice(i, i + 25)
      .map((item) => ({ PutRequest: { Item: item as Record<string, unknown> } }));
    for (let attempt = 0; requests && requests.length > 0; attempt++) {
      const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = out.UnprocessedItems?.[table] as typeof requests;
      if (requests && requests.length > 0)
        await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
    }
  }
}
