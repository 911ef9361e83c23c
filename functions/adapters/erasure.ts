import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Eraser, ForgetPorts } from '../domain/erasure/forget.js';
import {
  customerSubject,
  emailSubject,
  erasedEmailSubject,
  forgottenSubject,
  SuppressionStore,
} from './suppressionStore.js';
import type { TableNames } from './tableNames.js';
import { LEDGER_BY_CUSTOMER } from './tables.js';

// Each store's erase step for `forgetCustomer` (functions/domain/erasure/forget.ts). A store that
// is added later (attribution records, for one) adds its eraser to `storeErasers`; nothing else
// changes. Every step deletes by key, so running it again deletes nothing and fails nothing.

type Key = Record<string, unknown>;

async function deleteKeys(db: DynamoDBDocumentClient, table: string, keys: readonly Key[]): Promise<number> {
  for (let i = 0; i < keys.length; i += 25) {
    let requests: { DeleteRequest: { Key: Key } }[] | undefined = keys
      .slice(i, i + 25)
      .map((Key) => ({ DeleteRequest: { Key } }));
    while (requests && requests.length > 0) {
      const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = out.UnprocessedItems?.[table] as typeof requests;
    }
  }
  return keys.length;
}

/** Every item of a table that matches, by Scan (erasures are rare; see docs/operations.md for the cost). */
async function scanKeys(
  db: DynamoDBDocumentClient,
  table: string,
  keyOf: (item: Key) => Key,
  scan: {
    FilterExpression: string;
    ExpressionAttributeValues: Key;
    ExpressionAttributeNames?: Record<string, string>;
  },
  match: (item: Key) => boolean = () => true,
): Promise<Key[]> {
  const keys: Key[] = [];
  let start: Key | undefined;
  do {
    const out = await db.send(new ScanCommand({ TableName: table, ...scan, ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) if (match(item)) keys.push(keyOf(item));
    start = out.LastEvaluatedKey;
  } while (start);
  return keys;
}

export function storeErasers(db: DynamoDBDocumentClient, tables: TableNames): Eraser[] {
  return [
    {
      store: 'orders',
      async erase({ customerId }) {
        const keys: Key[] = [];
        let start: Key | undefined;
        do {
          const out = await db.send(
            new QueryCommand({
              TableName: tables.orders,
              KeyConditionExpression: 'customerId = :c',
              ExpressionAttributeValues: { ':c': customerId },
              ProjectionExpression: 'customerId, orderId',
              ExclusiveStartKey: start,
            }),
          );
          keys.push(...(out.Items ?? []));
          start = out.LastEvaluatedKey;
        } while (start);
        return deleteKeys(db, tables.orders, keys);
      },
    },
    {
      // Orders attributed to the customer's decisions (docs/measurement.md): the markers and the
      // decision's totals, found through the ledger's byCustomer index, so before the ledger goes.
      // The night's RESULTS# sums are totals over many customers and stay.
      store: 'attribution',
      async erase({ customerId }) {
        const keys: Key[] = [];
        let start: Key | undefined;
        do {
          const out = await db.send(
            new QueryCommand({
              TableName: tables.ledger,
              IndexName: LEDGER_BY_CUSTOMER,
              KeyConditionExpression: 'customerId = :c',
              ExpressionAttributeValues: { ':c': customerId },
              ProjectionExpression: 'sendKey',
              ExclusiveStartKey: start,
            }),
          );
          for (const item of out.Items ?? []) {
            let itemStart: Key | undefined;
            do {
              const attributed = await db.send(
                new QueryCommand({
                  TableName: tables.config,
                  KeyConditionExpression: 'pk = :pk',
                  ExpressionAttributeValues: { ':pk': `ATTRIB#${String(item.sendKey)}` },
                  ProjectionExpression: 'pk, sk',
                  ExclusiveStartKey: itemStart,
                }),
              );
              keys.push(...(attributed.Items ?? []));
              itemStart = attributed.LastEvaluatedKey;
            } while (itemStart);
          }
          start = out.LastEvaluatedKey;
        } while (start);
        return deleteKeys(db, tables.config, keys);
      },
    },
    {
      // Decisions, sends and the SES events recorded on them (opens, clicks, bounces).
      store: 'ledger',
      async erase({ customerId }) {
        const keys = await scanKeys(db, tables.ledger, (i) => ({ sendKey: i.sendKey }), {
          FilterExpression: 'customerId = :c',
          ExpressionAttributeValues: { ':c': customerId },
        });
        return deleteKeys(db, tables.ledger, keys);
      },
    },
    {
      // SES events that could not be matched were parked raw; they may name the address.
      store: 'parked-events',
      needsEmail: true,
      async erase({ email }) {
        const needle = (email ?? '').trim().toLowerCase();
        const keys = await scanKeys(
          db,
          tables.config,
          (i) => ({ pk: i.pk, sk: i.sk }),
          { FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': 'PARKED#' } },
          (item) => needle !== '' && JSON.stringify(item).toLowerCase().includes(needle),
        );
        return deleteKeys(db, tables.config, keys);
      },
    },
    {
      // A bounce or complaint suppression keyed by the plain address: the hashed entry replaces it.
      store: 'suppression-address',
      needsEmail: true,
      async erase({ email }) {
        const out = await db.send(
          new DeleteCommand({
            TableName: tables.suppression,
            Key: { subject: emailSubject(email ?? '') },
            ReturnValues: 'ALL_OLD',
          }),
        );
        return out.Attributes ? 1 : 0;
      },
    },
  ];
}

export function forgetPorts(db: DynamoDBDocumentClient, tables: TableNames, salt: string): ForgetPorts {
  const suppression = new SuppressionStore(db, tables, salt);
  return {
    async findEmail(customerId) {
      const out = await db.send(
        new GetCommand({
          TableName: tables.customers,
          Key: { customerId },
          ProjectionExpression: 'profile.email, customerId',
          ConsistentRead: true,
        }),
      );
      if (!out.Item) return undefined;
      return String((out.Item.profile as { email?: unknown } | undefined)?.email ?? '');
    },
    async forgottenAt(customerId) {
      const out = await db.send(
        new GetCommand({
          TableName: tables.suppression,
          Key: { subject: forgottenSubject(customerId) },
          ConsistentRead: true,
        }),
      );
      return out.Item ? String(out.Item.createdAt) : undefined;
    },
    async suppressErased(customerId, emailHash, now) {
      if (emailHash) await suppression.suppress(erasedEmailSubject(emailHash), 'erasure', 'forget', now);
      await suppression.suppress(customerSubject(customerId), 'erasure', 'forget', now);
    },
    erasers: storeErasers(db, tables),
    profile: {
      store: 'customers',
      async erase({ customerId }) {
        const out = await db.send(
          new DeleteCommand({ TableName: tables.customers, Key: { customerId }, ReturnValues: 'ALL_OLD' }),
        );
        return out.Attributes ? 1 : 0;
      },
    },
    async markForgotten(customerId, now) {
      await suppression.suppress(forgottenSubject(customerId), 'erasure', 'forget', now);
    },
  };
}
