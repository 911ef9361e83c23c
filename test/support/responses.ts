import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalSession } from '../../cli/local/session.js';
import { Random } from '../../cli/seed/random.js';
import { LedgerStore } from '../../functions/adapters/ledgerStore.js';
import { LEDGER_STATUSES } from '../../functions/domain/delivery/ledger.js';
import { addDays } from '../../functions/domain/night/dates.js';

/**
 * Orders in answer to a night's decisions, with a known effect: every decided customer buys with
 * probability `base`, treatment customers with `base + uplift`, once, on a day 0..14 after the run
 * date; plus, for each buyer with probability 1/2, an order on day 15 (outside the window) that must
 * not count. Deterministic for a seed.
 */
export async function simulatedResponses(
  db: DynamoDBDocumentClient,
  session: LocalSession,
  runDate: string,
  o: { base: number; uplift: number; seed: number },
): Promise<{ csv: string; inWindow: number }> {
  const ledger = new LedgerStore(db, session.tables);
  const random = new Random(o.seed);
  const rows = ['order_id,customer_id,date,amount'];
  let inWindow = 0;
  for (let segment = 0; segment < session.config.TOTAL_SEGMENTS; segment++) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await ledger.pageKeysByShard({
        runDate,
        segment,
        statuses: LEDGER_STATUSES,
        limit: 500,
        startKey,
      });
      const entries = [...(await ledger.getMany(page.sendKeys)).values()].sort((a, b) =>
        a.sendKey.localeCompare(b.sendKey),
      );
      for (const e of entries) {
        const treated = e.status !== 'held_out' && e.status !== 'global_control';
        if (!random.chance(o.base + (treated ? o.uplift : 0))) continue;
        rows.push(
          `r-${e.customerId},${e.customerId},${addDays(runDate, random.int(0, 14))},${random.int(20, 80)}.00`,
        );
        inWindow++;
        if (random.chance(0.5))
          rows.push(`late-${e.customerId},${e.customerId},${addDays(runDate, 15)},30.00`);
      }
      startKey = page.lastKey;
    } while (startKey);
  }
  return { csv: `${rows.join('\n')}\n`, inWindow };
}
