// Scoring-engine benchmark: fit and score 1M synthetic BG/NBD customers, and the CLI --summary path.
// Run alone: node --import tsx bench/scoring.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitModelsColumns, type SummaryColumns, scoreBatch } from '../functions/domain/scoring/index.js';

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, 1) by Marsaglia & Tsang (boosted for shape < 1). */
function gamma(u: () => number, shape: number): number {
  if (shape < 1) return gamma(u, shape + 1) * u() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(u);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    if (Math.log(1 - u()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/**
 * Customers from the BG/NBD process (day unit, integer days, acquisition over two years):
 * λ ~ Gamma(r, α), p ~ Beta(a, b); purchases at rate λ, death after each purchase with prob. p;
 * spend per repeat day ~ Gamma(p_gg, ν), ν ~ Gamma(q, v).
 */
export function syntheticCustomers(n: number, seed = 42): SummaryColumns {
  const u = rng(seed);
  const [r, alpha, a, b] = [0.25, 30, 0.8, 2.5];
  const [pg, q, v] = [6, 4, 15];
  const cols: SummaryColumns = {
    frequency: new Float64Array(n),
    recency: new Float64Array(n),
    T: new Float64Array(n),
    monetaryValue: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const T = 1 + Math.floor(u() * 730);
    const lambda = gamma(u, r) / alpha;
    const ga = gamma(u, a);
    const p = ga / (ga + gamma(u, b));
    const nu = gamma(u, q) / v;
    let t = 0;
    let x = 0;
    let last = 0;
    let spend = 0;
    for (;;) {
      t += -Math.log(1 - u()) / lambda;
      const day = Math.floor(t);
      if (day > T) break;
      if (day > last) {
        x++;
        last = day;
        spend += gamma(u, pg) / nu;
      }
      if (u() < p) break;
    }
    cols.frequency[i] = x;
    cols.recency[i] = x > 0 ? last : 0;
    cols.T[i] = T;
    cols.monetaryValue[i] = x > 0 ? spend / x : 0;
  }
  return cols;
}

const line = (what: string, ours: string, anchor: string) =>
  process.stdout.write(`${what.padEnd(46)} ${ours.padStart(22)}   lifetimes: ${anchor}\n`);

export async function benchScoring(): Promise<void> {
  const N = 1_000_000;
  let t0 = performance.now();
  const cols = syntheticCustomers(N);
  process.stdout.write(
    `generated ${N} synthetic customers in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`,
  );

  t0 = performance.now();
  const params = fitModelsColumns(cols, { timeUnit: 'day' });
  const fitS = (performance.now() - t0) / 1000;
  line('fit BG/NBD + Gamma-Gamma, 1M customers', `${fitS.toFixed(3)} s`, '0.06 s for CDNOW (2,357)');
  process.stdout.write(`  fitted ${JSON.stringify(params.bgnbd)} ${JSON.stringify(params.gammaGamma)}\n`);

  const opts = { horizon: 365, clvMonths: 12, discount: 0.01, timeUnit: 'day' as const };
  scoreBatch(params, { ...cols, frequency: cols.frequency.subarray(0, 10_000) } as SummaryColumns, opts); // warm-up
  t0 = performance.now();
  const out = scoreBatch(params, cols, opts);
  const scoreS = (performance.now() - t0) / 1000;
  line(
    'score 1M (P(alive), E[X], E[M], 12-month CLV)',
    `${scoreS.toFixed(3)} s, ${Math.round(N / scoreS / 1000)}k/s`,
    '~8.2 s, ~120k/s',
  );
  process.stdout.write(`  distinct (x, T) pairs: ${out.distinctPairs}, errors: ${out.errors.length}\n`);

  // Worst case for the memo: every customer has its own T (continuous ages).
  const M = 200_000;
  const u = rng(7);
  const worst: SummaryColumns = {
    frequency: cols.frequency.slice(0, M),
    recency: cols.recency.slice(0, M),
    T: cols.T.slice(0, M).map((T) => T + u() * 0.999),
    monetaryValue: cols.monetaryValue.slice(0, M),
  };
  t0 = performance.now();
  const w = scoreBatch(params, worst, opts);
  const worstS = (performance.now() - t0) / 1000;
  line(
    'score 200k, all (x, T) distinct (no memo hits)',
    `${worstS.toFixed(3)} s, ${Math.round(M / worstS / 1000)}k/s`,
    '~120k/s',
  );
  process.stdout.write(`  distinct (x, T) pairs: ${w.distinctPairs}\n`);

  // CLI: retention model score --summary (CSV in, CSV out), 1M rows, including process start-up.
  const dir = mkdtempSync(join(tmpdir(), 'bench-scoring-'));
  try {
    const summary = join(dir, 'summary.csv');
    const parts: string[] = ['customer_id,frequency,recency,T,monetary_value\n'];
    let buf = '';
    for (let i = 0; i < N; i++) {
      buf += `c${i},${cols.frequency[i]},${cols.recency[i]},${cols.T[i]},${(cols.monetaryValue[i] as number).toFixed(2)}\n`;
      if (buf.length > 1 << 20) {
        parts.push(buf);
        buf = '';
      }
    }
    parts.push(buf);
    writeFileSync(summary, parts.join(''));
    const paramsFile = join(dir, 'params.json');
    writeFileSync(paramsFile, JSON.stringify(params));
    const root = join(fileURLToPath(import.meta.url), '../..');
    const run = (args: string[]) => {
      const s = performance.now();
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`CLI failed: ${r.stderr}`);
      return (performance.now() - s) / 1000;
    };
    const startup = run(['--help']);
    const cliS = run([
      'model',
      'score',
      '--summary',
      summary,
      '--params',
      paramsFile,
      '--time-unit',
      'day',
      '--horizon',
      '365',
      '--out',
      join(dir, 'scores.csv'),
    ]);
    line('CLI model score --summary, 1M rows (wall)', `${cliS.toFixed(2)} s`, 'n/a (target < 4 s)');
    process.stdout.write(`  of which CLI start-up (tsx, all commands): ${startup.toFixed(2)} s\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchScoring();
}
