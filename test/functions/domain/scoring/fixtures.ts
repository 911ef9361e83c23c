import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Transaction } from '../../../../functions/domain/scoring/index.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/cdnow');

function rows(file: string): string[][] {
  return readFileSync(join(FIXTURES, file), 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.split(','));
}

export interface SummaryRow {
  id: string;
  frequency: number;
  recency: number;
  T: number;
  monetaryValue: number;
}

export function summaryCsv(): SummaryRow[] {
  return rows('cdnow_customers_summary_with_transactions.csv').map((c) => ({
    id: c[0] as string,
    frequency: Number(c[1]),
    recency: Number(c[2]),
    T: Number(c[3]),
    monetaryValue: Number(c[4]),
  }));
}

export interface ReferenceRow extends SummaryRow {
  pAlive: number;
  expPurchases39: number;
  expAvgProfit: number;
  clv12: number;
}

export function referenceScores(): ReferenceRow[] {
  return rows('cdnow_lifetimes_reference_scores.csv').map((c) => ({
    id: c[0] as string,
    frequency: Number(c[1]),
    recency: Number(c[2]),
    T: Number(c[3]),
    monetaryValue: Number(c[4]),
    pAlive: Number(c[5]),
    expPurchases39: Number(c[6]),
    expAvgProfit: Number(c[7]),
    clv12: Number(c[8]),
  }));
}

/** Raw CDNOW_sample.txt: master id, sample id, YYYYMMDD, cds, dollars. */
export function cdnowTransactions(): Transaction[] {
  return readFileSync(join(FIXTURES, 'CDNOW_sample.txt'), 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((l) => {
      const [, id, ymd, , dollars] = l.trim().split(/\s+/);
      const d = ymd as string;
      return {
        customerId: String(Number(id)),
        date: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`,
        amount: Number(dollars),
      };
    });
}

/** Parameters of the README (fitted by lifetimes 0.11.3). */
export const README_PARAMS = {
  timeUnit: 'week' as const,
  customers: 2357,
  bgnbd: { r: 0.242593, alpha: 4.413532, a: 0.792886, b: 2.425752, logLikelihood: -9582.43 },
  gammaGamma: { p: 6.248802, q: 3.744588, v: 15.447748 },
};
