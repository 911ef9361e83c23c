import { Writable } from 'node:stream';
import { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { registerLocalCommands } from '../../../cli/commands/local.js';
import { registerSeedResponsesCommand } from '../../../cli/commands/seedResponses.js';
import {
  checkResponseOptions,
  type ResponseOptions,
  simulateResponse,
  writeResponsesCsv,
} from '../../../cli/seed/responseSimulator.js';
import { parseRows } from '../../../functions/domain/ingest/parseRows.js';
import { ORDER_COLUMNS, OrderRowSchema } from '../../../functions/domain/ingest/records.js';
import { type ArmSums, compareArms } from '../../../functions/domain/measurement/compareArms.js';
import type { DecisionGroup, DecisionRow } from '../../../functions/domain/measurement/decisions.js';

const OPTIONS: ResponseOptions = {
  runDate: '2026-11-20',
  baseRate: 0.05,
  extraRateForTreatment: 0.03,
  orderValue: { kind: 'gamma', mean: 60, shape: 4 },
  days: 14,
  seed: 9,
};

function decisions(counts: Record<DecisionGroup, number>): DecisionRow[] {
  const rows: DecisionRow[] = [];
  for (const [group, n] of Object.entries(counts) as [DecisionGroup, number][]) {
    for (let i = 0; i < n; i++) {
      rows.push({
        customerId: `${group}-${i}`,
        campaignId: 'win-back',
        segmentId: 'lapsed',
        group,
        status: group === 'treatment' ? 'sent' : group === 'holdout' ? 'held_out' : 'global_control',
      });
    }
  }
  return rows;
}

async function* pages(rows: DecisionRow[], size = 1000): AsyncGenerator<DecisionRow[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

async function csvOf(rows: DecisionRow[], options: ResponseOptions, size?: number): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  await writeResponsesCsv(pages(rows, size), options, out);
  return Buffer.concat(chunks).toString('utf8');
}

describe('the response simulator', () => {
  const rows = decisions({ treatment: 3000, holdout: 1000, global_control: 1000 });

  it('is deterministic: same seed, same file, whatever the page size or the row order', async () => {
    const a = await csvOf(rows, OPTIONS, 1000);
    expect(await csvOf(rows, OPTIONS, 7)).toBe(a);
    const reversed = (await csvOf([...rows].reverse(), OPTIONS)).trimEnd().split('\n').slice(1).sort();
    expect(reversed).toEqual(a.trimEnd().split('\n').slice(1).sort());
    const other = await csvOf(rows, { ...OPTIONS, seed: 10 });
    expect(other).not.toBe(a);
  });

  it('writes a file `retention import orders` accepts, dated inside the window', async () => {
    const text = await csvOf(rows, OPTIONS);
    expect(text.split('\n')[0]).toBe('order_id,customer_id,date,amount,currency');
    const parsed = parseRows(
      text,
      'csv',
      OrderRowSchema,
      ORDER_COLUMNS.filter((c) => c !== 'currency'),
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems.slice(0, 3)));
    expect(parsed.rows.length).toBeGreaterThan(100);
    for (const { value } of parsed.rows) {
      expect(value.date > '2026-11-20' && value.date <= '2026-12-04').toBe(true);
      expect(value.amount).toBeGreaterThan(0);
      expect(value.currency).toBe('EUR');
      expect(value.order_id).toBe('sim-2026-11-20-s9');
    }
  });

  it('realises the requested rates within sampling error over a large n', async () => {
    const big = decisions({ treatment: 100_000, holdout: 50_000, global_control: 50_000 });
    const text = await csvOf(big, OPTIONS);
    const orders = parse(text, { columns: true }) as { customer_id: string; amount: string; date: string }[];
    const byGroup = { treatment: 0, holdout: 0, global_control: 0 };
    for (const o of orders) byGroup[o.customer_id.replace(/-\d+$/, '') as DecisionGroup]++;
    // Four binomial standard deviations: sqrt(p(1-p)/n).
    const within = (k: number, n: number, p: number) => {
      expect(Math.abs(k / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    };
    within(byGroup.treatment, 100_000, 0.08);
    within(byGroup.holdout, 50_000, 0.05);
    within(byGroup.global_control, 50_000, 0.05);
    // Gamma(4) order values with mean 60: sd 30, so the mean of ~10,000 orders is within ±1.3.
    const mean = orders.reduce((s, o) => s + Number(o.amount), 0) / orders.length;
    expect(Math.abs(mean - 60)).toBeLessThan((4 * 30) / Math.sqrt(orders.length));
    // Days spread over the window: every one of the 14 days is used, none outside.
    expect(new Set(orders.map((o) => o.date)).size).toBe(14);
  });

  it('a fixed order value and a zero uplift: every arm buys alike, at exactly that amount', () => {
    const fixed = {
      ...OPTIONS,
      extraRateForTreatment: 0,
      baseRate: 1,
      orderValue: { kind: 'fixed', amount: 25 },
    } as const;
    const order = simulateResponse({ customerId: 'c1', group: 'treatment' }, fixed);
    expect(order).toMatchObject({ customerId: 'c1', amount: 25, currency: 'EUR' });
    expect(simulateResponse({ customerId: 'c1', group: 'holdout' }, { ...fixed, baseRate: 0 })).toBeNull();
  });

  it('rejects impossible options, naming them', () => {
    expect(() => checkResponseOptions({ ...OPTIONS, baseRate: 5 })).toThrow(
      /base rate must be a probability/,
    );
    expect(() => checkResponseOptions({ ...OPTIONS, extraRateForTreatment: 0.99 })).toThrow(
      /uplift 0.99 with base rate 0.05 gives a treatment rate outside 0 to 1/,
    );
    expect(() => checkResponseOptions({ ...OPTIONS, days: 0 })).toThrow(/days must be/);
    expect(() =>
      checkResponseOptions({ ...OPTIONS, orderValue: { kind: 'gamma', mean: -1, shape: 4 } }),
    ).toThrow(/order value mean and shape must be positive/);
  });
});

describe('retention seed responses (flags)', () => {
  /** Parses like cli/main.ts, stopping before the action (which would open the local database). */
  async function flags(...args: string[]): Promise<{ command: string; opts: Record<string, unknown> }> {
    const program = new Command().exitOverride();
    registerLocalCommands(program);
    registerSeedResponsesCommand(program);
    let seen: { command: string; opts: Record<string, unknown> } | undefined;
    program.hook('preAction', (_program, action) => {
      seen = { command: action.name(), opts: action.opts() };
      throw new Error('stop before the action');
    });
    await expect(program.parseAsync(['node', 'retention', ...args])).rejects.toThrow(
      'stop before the action',
    );
    return seen!;
  }

  it('its own --seed reaches the subcommand, and the parent seed command keeps its options', async () => {
    const r = await flags(
      'seed',
      'responses',
      '--date',
      '2026-11-20',
      '--uplift',
      '0.02',
      '--seed',
      '5',
      '--out',
      'o.csv',
    );
    expect(r).toEqual({
      command: 'responses',
      opts: expect.objectContaining({
        date: '2026-11-20',
        uplift: 0.02,
        seed: 5,
        out: 'o.csv',
        baseRate: 0.05,
        days: 14,
      }),
    });
    const parent = await flags('seed', '--customers', '10', '--seed', '7');
    expect(parent).toEqual({ command: 'seed', opts: expect.objectContaining({ customers: 10, seed: 7 }) });
  });
});

describe('the statistics recover what the simulator put in', () => {
  /** Arm sums straight from the simulated orders (one order at most per customer). */
  function sums(group: DecisionGroup, n: number, options: ResponseOptions): ArmSums {
    const s: ArmSums = { customers: n, converters: 0, orders: 0, revenue: 0, revenueSumSquares: 0 };
    for (let i = 0; i < n; i++) {
      const order = simulateResponse({ customerId: `${group}-${i}`, group }, options);
      if (!order) continue;
      s.converters++;
      s.orders++;
      s.revenue += order.amount;
      s.revenueSumSquares += order.amount * order.amount;
    }
    return s;
  }

  it('a large test finds the simulated uplift significant, inside its interval', () => {
    const r = compareArms(sums('treatment', 60_000, OPTIONS), sums('holdout', 20_000, OPTIONS));
    expect(r.verdict).toBe('significant');
    expect(r.uplift!.conversionRate.ciLow).toBeLessThan(0.03);
    expect(r.uplift!.conversionRate.ciHigh).toBeGreaterThan(0.03);
    // Revenue per customer: 0.03 more buyers times a mean order of 60.
    expect(r.uplift!.revenuePerCustomer.ciLow).toBeLessThan(1.8);
    expect(r.uplift!.revenuePerCustomer.ciHigh).toBeGreaterThan(1.8);
  });

  it('the 95 % intervals cover the true effects in about 95 % of repeated experiments', () => {
    // 300 independent experiments (other seeds) of 1,000 customers per arm. The coverage share has a
    // binomial sd of 0.0126 at 0.95; the bounds are about ±3 sd.
    const runs = 300;
    let rateCovered = 0;
    let revenueCovered = 0;
    for (let seed = 100; seed < 100 + runs; seed++) {
      const o = { ...OPTIONS, seed };
      const r = compareArms(sums('treatment', 1000, o), sums('holdout', 1000, o));
      const u = r.uplift!;
      if (u.conversionRate.ciLow <= 0.03 && 0.03 <= u.conversionRate.ciHigh) rateCovered++;
      if (u.revenuePerCustomer.ciLow <= 1.8 && 1.8 <= u.revenuePerCustomer.ciHigh) revenueCovered++;
    }
    expect(rateCovered / runs).toBeGreaterThan(0.91);
    expect(rateCovered / runs).toBeLessThan(0.99);
    expect(revenueCovered / runs).toBeGreaterThan(0.91);
    expect(revenueCovered / runs).toBeLessThan(0.99);
  });
});
