import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { nightDecisions } from '../../cli/local/decisions.js';
import type { LocalSession } from '../../cli/local/session.js';
import { DEFAULT_ORDER_VALUE, simulateResponse } from '../../cli/seed/responseSimulator.js';
import { addDays } from '../../functions/domain/night/dates.js';

/**
 * The night's responses from the project's response simulator (`retention seed responses`): every
 * decided customer buys with `base`, treatment customers with `base + uplift`, on a day 1..14 after
 * the run date; plus, for every second buyer, an order on day 15 (outside the 14-day window) that
 * must not count. Deterministic for a seed.
 */
export async function simulatedResponses(
  db: DynamoDBDocumentClient,
  session: LocalSession,
  runDate: string,
  o: { base: number; uplift: number; seed: number },
): Promise<{ csv: string; inWindow: number }> {
  const rows = ['order_id,customer_id,date,amount,currency'];
  let inWindow = 0;
  for await (const page of await nightDecisions(db, session.tables, runDate)) {
    for (const decision of page) {
      const order = simulateResponse(decision, {
        runDate,
        baseRate: o.base,
        extraRateForTreatment: o.uplift,
        orderValue: DEFAULT_ORDER_VALUE,
        days: 14,
        seed: o.seed,
      });
      if (!order) continue;
      rows.push(
        `${order.orderId},${order.customerId},${order.date},${order.amount.toFixed(2)},${order.currency}`,
      );
      inWindow++;
      if (inWindow % 2 === 0)
        rows.push(`late-${order.customerId},${order.customerId},${addDays(runDate, 15)},30.00,EUR`);
    }
  }
  return { csv: `${rows.join('\n')}\n`, inWindow };
}
