import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWrite, type CustomerRecord, type OrderRecord } from '../../functions/adapters/customerStore.js';
import type { TableNames } from '../../functions/adapters/tableNames.js';
import { aggregateOrders } from '../../functions/domain/ingest/aggregates.js';
import { addDays, epochDay } from '../../functions/domain/night/dates.js';
import { type PopulationOptions, syntheticCustomer } from './synthetic.js';

export interface SeedResult {
  customers: number;
  orders: number;
  ordersWritten: number;
  ms: number;
}

const CHUNK = 500;
const CONCURRENCY = 4;

/**
 * Bulk-loads a synthetic population into an empty customer table. The aggregates are the fold of
 * each customer's whole order history with the same pure code ingestion uses; order items older
 * than the retention period are not written (their effect lives on in the aggregates).
 */
export async function seedPopulation(
  db: DynamoDBDocumentClient,
  tables: TableNames,
  options: PopulationOptions & {
    orderRetentionDays: number;
    onProgress?: (done: number) => void;
    /** First customer index (default 0): grows an existing population to `customers` (the load bench). */
    from?: number;
  },
): Promise<SeedResult> {
  const started = Date.now();
  const retentionFloor = addDays(options.asOf, -options.orderRetentionDays);
  let orders = 0;
  let ordersWritten = 0;
  const chunks: number[] = [];
  for (let i = options.from ?? 0; i < options.customers; i += CHUNK) chunks.push(i);
  let done = 0;
  const worker = async () => {
    for (;;) {
      const start = chunks.shift();
      if (start === undefined) return;
      const customerRecords: CustomerRecord[] = [];
      const orderRecords: OrderRecord[] = [];
      for (let i = start; i < Math.min(start + CHUNK, options.customers); i++) {
        const c = syntheticCustomer(i, options);
        const aggregates = aggregateOrders(c.orders, 'EUR');
        orders += c.orders.length;
        customerRecords.push({
          customerId: c.profile.customerId,
          profile: c.profile,
          aggregates,
          aggVersion: c.orders.length,
          recentOrderIds: c.orders.slice(-50).map((o) => o.orderId),
          contact: { lastByCampaign: {} },
        });
        for (const o of c.orders) {
          if (o.date < retentionFloor) continue;
          orderRecords.push({
            customerId: c.profile.customerId,
            orderId: o.orderId,
            date: o.date,
            amount: o.amount,
            currency: 'EUR',
            aggregated: true,
            expiresAt: (epochDay(o.date) + options.orderRetentionDays) * 86_400,
          });
        }
      }
      ordersWritten += orderRecords.length;
      await batchWrite(db, tables.orders, orderRecords);
      await batchWrite(db, tables.customers, customerRecords);
      done += customerRecords.length;
      options.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { customers: options.customers, orders, ordersWritten, ms: Date.now() - started };
}
