import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { nightDecisions, writeDecisionsCsv } from '../cli/local/decisions.js';
import { openLocalSession } from '../cli/local/session.js';
import { writeResponsesCsv } from '../cli/seed/responseSimulator.js';
import { documentClient } from '../functions/adapters/clients.js';
import { type LedgerEntry, LedgerStore, ledgerKey, runShard } from '../functions/adapters/ledgerStore.js';
import { RunStore } from '../functions/adapters/runStore.js';
import { compareArms } from '../functions/domain/measurement/compareArms.js';

const RUN_DATE = '2026-11-20';
const SEGMENTS = 4;

/** A sink that counts bytes, like a fast disk. */
function nullSink(): { out: Writable; bytes: () => number } {
  let bytes = 0;
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done();
    },
  });
  return { out, bytes: () => bytes };
}

/**
 * 1. compareArms: calls per second on realistic sums (it runs once per campaign, segment and night
 *    of a report, so this only has to be far from mattering).
 * 2. export decisions: N ledger entries of one night in the embedded DynamoDB, streamed to CSV
 *    through the byRunShard index; rows per second, and the heap growth while streaming (it must
 *    stay flat: the export holds one page, not the night).
 * 3. seed responses: the same decisions through the response simulator.
 */
export async function benchMeasurement(n = Number(process.env.BENCH_DECISIONS ?? 40_000)): Promise<void> {
  process.stdout.write('measurement\n');
  const line = (k: string, v: string) => process.stdout.write(`  ${k.padEnd(34)} ${v}\n`);

  const t = {
    customers: 90_000,
    converters: 6_300,
    orders: 7_100,
    revenue: 410_000,
    revenueSumSquares: 4.1e7,
  };
  const c = { customers: 10_000, converters: 610, orders: 690, revenue: 39_000, revenueSumSquares: 3.9e6 };
  const calls = 20_000;
  let start = performance.now();
  for (let i = 0; i < calls; i++) compareArms({ ...t, converters: t.converters + (i % 7) }, c);
  line(
    'compareArms',
    `${Math.round(calls / ((performance.now() - start) / 1000)).toLocaleString('en')} calls/s`,
  );

  const home = mkdtempSync(join(tmpdir(), 'retention-bench-measure-'));
  const session = await openLocalSession({ home, persist: false });
  try {
    const db = documentClient();
    await new RunStore(db, session.tables).createOrGet({
      runDate: RUN_DATE,
      createdAt: new Date().toISOString(),
      totalSegments: SEGMENTS,
      plan: {},
      status: 'done',
    });
    const entries: LedgerEntry[] = Array.from({ length: n }, (_, i) => {
      const segment = i % SEGMENTS;
      const status = i % 10 === 0 ? 'held_out' : i % 10 === 1 ? 'global_control' : 'sent';
      const customerId = `C${String(i).padStart(8, '0')}`;
      return {
        sendKey: ledgerKey(RUN_DATE, 'win-back', customerId),
        runShard: runShard(RUN_DATE, segment),
        runDate: RUN_DATE,
        segment,
        campaignId: 'win-back',
        campaignVersion: 1,
        segmentId: 'lapsed',
        customerId,
        status,
        createdAt: new Date().toISOString(),
        expiresAt: 2_000_000_000,
      };
    });
    start = performance.now();
    await new LedgerStore(db, session.tables).putOutcomes(entries);
    line(
      'ledger entries written',
      `${n.toLocaleString('en')} in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );

    const sink = nullSink();
    start = performance.now();
    const rows = await writeDecisionsCsv(await nightDecisions(db, session.tables, RUN_DATE), sink.out);
    const exportMs = performance.now() - start;
    line(
      'export decisions',
      `${rows.toLocaleString('en')} rows in ${(exportMs / 1000).toFixed(2)} s = ${Math.round(rows / (exportMs / 1000)).toLocaleString('en')} rows/s, ${(sink.bytes() / 1e6).toFixed(1)} MB`,
    );

    // A second, untimed pass for memory: the retained heap after forced collections is what tells a
    // stream from a buffer (needs node --expose-gc; the collections would distort the timing).
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      let heapPeak = heapBefore;
      const timer = setInterval(() => {
        gc();
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }, 250);
      await writeDecisionsCsv(await nightDecisions(db, session.tables, RUN_DATE), nullSink().out);
      clearInterval(timer);
      line(
        '  retained heap while streaming',
        `${(heapBefore / 1e6).toFixed(1)} MB at the start, peak ${(heapPeak / 1e6).toFixed(1)} MB (+${((heapPeak - heapBefore) / 1e6).toFixed(2)})`,
      );
    } else {
      line('  retained heap while streaming', 'run with node --expose-gc to measure');
    }

    const orders = nullSink();
    start = performance.now();
    const simulated = await writeResponsesCsv(
      await nightDecisions(db, session.tables, RUN_DATE),
      {
        runDate: RUN_DATE,
        baseRate: 0.05,
        extraRateForTreatment: 0.02,
        orderValue: { kind: 'gamma', mean: 60, shape: 4 },
        days: 14,
        seed: 1,
      },
      orders.out,
    );
    const simMs = performance.now() - start;
    line(
      'seed responses',
      `${simulated.toLocaleString('en')} orders from ${n.toLocaleString('en')} decisions in ${(simMs / 1000).toFixed(2)} s`,
    );
  } finally {
    await session.close();
    rmSync(home, { recursive: true, force: true });
  }
}
