// `retention model fit|score`: BG/NBD + Gamma-Gamma from transactions or summaries.
import { createReadStream, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { parse } from 'csv-parse';
import { z } from 'zod';
import {
  dayNumber,
  fitModelsColumns,
  type ModelParams,
  ModelParamsSchema,
  SummaryBuilder,
  type SummaryColumns,
  scoreBatch,
  type TimeUnit,
} from '../../functions/domain/scoring/index.js';

class InputError extends Error {
  constructor(file: string, line: number | string, what: string) {
    super(`${file}:${line}: ${what}`);
  }
}

interface Loaded {
  ids: string[];
  cols: SummaryColumns;
}

function columnsFrom(
  ids: string[],
  s: Map<string, { frequency: number; recency: number; T: number; monetaryValue: number }>,
): Loaded {
  const n = ids.length;
  const cols: SummaryColumns = {
    frequency: new Float64Array(n),
    recency: new Float64Array(n),
    T: new Float64Array(n),
    monetaryValue: new Float64Array(n),
  };
  ids.forEach((id, i) => {
    const v = s.get(id);
    if (!v) return;
    cols.frequency[i] = v.frequency;
    cols.recency[i] = v.recency;
    cols.T[i] = v.T;
    cols.monetaryValue[i] = v.monetaryValue;
  });
  return { ids, cols };
}

function parseAmount(file: string, line: number, raw: string | undefined): number {
  const s = (raw ?? '').trim();
  const v = s === '' ? Number.NaN : Number(s);
  if (!Number.isFinite(v))
    throw new InputError(file, line, `amount is not a number: ${JSON.stringify(raw ?? '')}`);
  if (v < 0) throw new InputError(file, line, `amount is negative: ${s}`);
  return v;
}

function addChecked(
  b: SummaryBuilder,
  file: string,
  line: number,
  id: string,
  day: number,
  raw: string,
  amount: number,
) {
  if (Number.isNaN(day)) throw new InputError(file, line, `unparsable date: ${JSON.stringify(raw)}`);
  try {
    b.addDay(id, day, amount);
  } catch (e) {
    throw new InputError(file, line, `${(e as Error).message} (date ${raw})`);
  }
}

async function loadTransactions(
  file: string,
  format: string,
  observationEnd: string,
  unit: TimeUnit,
  dropAfterEnd: boolean,
): Promise<Loaded> {
  if (Number.isNaN(dayNumber(observationEnd)))
    throw new Error(
      `--observation-end: invalid date ${JSON.stringify(observationEnd)} (expected YYYY-MM-DD)`,
    );
  const b = new SummaryBuilder(observationEnd, unit, {
    afterObservationEnd: dropAfterEnd ? 'ignore' : 'error',
  });
  const order: string[] = [];
  const seen = new Set<string>();
  const note = (id: string) => {
    if (!seen.has(id)) {
      seen.add(id);
      order.push(id);
    }
  };
  if (format === 'cdnow') {
    const rl = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    let line = 0;
    for await (const text of rl) {
      line++;
      const t = text.trim();
      if (t === '') continue;
      const f = t.split(/\s+/);
      if (f.length !== 5)
        throw new InputError(file, line, `expected 5 whitespace-separated fields, got ${f.length}`);
      const id = f[1] as string;
      const ymd = f[2] as string;
      const day = /^\d{8}$/.test(ymd)
        ? dayNumber(`${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`)
        : Number.NaN;
      const amount = parseAmount(file, line, f[4]);
      addChecked(b, file, line, id, day, ymd, amount);
      note(id);
    }
  } else if (format === 'csv') {
    const parser = createReadStream(file).pipe(
      parse({ columns: true, info: true, skip_empty_lines: true, trim: true, bom: true }),
    );
    try {
      for await (const rec of parser as AsyncIterable<{
        record: Record<string, string>;
        info: { lines: number };
      }>) {
        const { record, info } = rec;
        const line = info.lines;
        for (const c of ['customer_id', 'date', 'amount']) {
          if (!(c in record))
            throw new InputError(file, 1, `missing column ${c} (header must be customer_id,date,amount)`);
        }
        const id = record['customer_id'] ?? '';
        if (id === '') throw new InputError(file, line, 'empty customer_id');
        const date = record['date'] ?? '';
        const amount = parseAmount(file, line, record['amount']);
        addChecked(b, file, line, id, dayNumber(date), date, amount);
        note(id);
      }
    } catch (e) {
      if (e instanceof InputError) throw e;
      const err = e as Error & { lines?: number };
      throw new InputError(file, err.lines ?? '?', err.message);
    }
  } else {
    throw new Error(`--format must be csv or cdnow (got ${format})`);
  }
  if (order.length === 0) throw new Error(`${file}: no transactions`);
  return columnsFrom(order, b.build());
}

const SUMMARY_HEADER = ['customer_id', 'frequency', 'recency', 'T', 'monetary_value'];

/** Hand-tuned reader for the numeric summary format; validates every line. */
function loadSummary(file: string): Loaded {
  const text = readFileSync(file, 'utf8');
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | null => {
    if (pos >= text.length) return null;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = end + 1;
    lineNo++;
    return line;
  };
  const header = (nextLine() ?? '')
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((h) => h.trim());
  // The lifetimes/CDNOW names (ID,x,t_x,T,zbar) are accepted as aliases.
  const ALIASES: Record<string, string> = {
    ID: 'customer_id',
    x: 'frequency',
    t_x: 'recency',
    zbar: 'monetary_value',
  };
  const named = header.map((h) => ALIASES[h] ?? h);
  const idx = SUMMARY_HEADER.map((h) => named.indexOf(h));
  const missing = SUMMARY_HEADER.filter((_, i) => idx[i] === -1);
  if (missing.length > 0)
    throw new InputError(
      file,
      1,
      `missing column(s) ${missing.join(', ')} (header must include ${SUMMARY_HEADER.join(',')})`,
    );
  const width = header.length;
  let cap = 1024;
  let x = new Float64Array(cap);
  let tx = new Float64Array(cap);
  let T = new Float64Array(cap);
  let m = new Float64Array(cap);
  const ids: string[] = [];
  const [iId, iF, iR, iT, iM] = idx as [number, number, number, number, number];
  const fields: string[] = new Array(width);
  for (let line = nextLine(); line !== null; line = nextLine()) {
    if (line === '' || line.trim() === '') continue;
    let start = 0;
    let k = 0;
    for (;;) {
      const c = line.indexOf(',', start);
      if (k < width) fields[k] = c < 0 ? line.slice(start) : line.slice(start, c);
      k++;
      if (c < 0) break;
      start = c + 1;
    }
    if (k !== width) throw new InputError(file, lineNo, `expected ${width} fields, got ${k}`);
    const num = (i: number, name: string): number => {
      const s = fields[i] as string;
      const v = s.trim() === '' ? Number.NaN : Number(s);
      if (!Number.isFinite(v))
        throw new InputError(file, lineNo, `${name} is not a number: ${JSON.stringify(s)}`);
      return v;
    };
    const n = ids.length;
    if (n === cap) {
      cap *= 2;
      const grow = (a: Float64Array) => {
        const g = new Float64Array(cap);
        g.set(a);
        return g;
      };
      x = grow(x);
      tx = grow(tx);
      T = grow(T);
      m = grow(m);
    }
    const id = (fields[iId] as string).trim();
    if (id === '') throw new InputError(file, lineNo, 'empty customer_id');
    const f = num(iF, 'frequency');
    const r = num(iR, 'recency');
    const t = num(iT, 'T');
    const mv = num(iM, 'monetary_value');
    if (!Number.isInteger(f) || f < 0)
      throw new InputError(file, lineNo, `frequency must be a non-negative integer: ${f}`);
    if (t < 0) throw new InputError(file, lineNo, `T is negative: ${t}`);
    if (r < 0 || r > t) throw new InputError(file, lineNo, `recency must be within [0, T]: ${r}`);
    if (f === 0 && r !== 0) throw new InputError(file, lineNo, `recency must be 0 when frequency is 0: ${r}`);
    if (mv < 0) throw new InputError(file, lineNo, `monetary_value is negative: ${mv}`);
    ids.push(id);
    x[n] = f;
    tx[n] = r;
    T[n] = t;
    m[n] = mv;
  }
  const n = ids.length;
  if (n === 0) throw new Error(`${file}: no customers`);
  return {
    ids,
    cols: {
      frequency: x.subarray(0, n),
      recency: tx.subarray(0, n),
      T: T.subarray(0, n),
      monetaryValue: m.subarray(0, n),
    },
  };
}

const FitJsonSchema = ModelParamsSchema.omit({ timeUnit: true }).extend({
  timeUnit: z.enum(['day', 'week']).optional(),
});

function loadParams(file: string, unit: TimeUnit): ModelParams {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const r = FitJsonSchema.safeParse(json);
  if (!r.success)
    throw new Error(
      `${file}: not model parameters: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  if (r.data.timeUnit && r.data.timeUnit !== unit)
    throw new Error(`${file}: parameters are in ${r.data.timeUnit}s but --time-unit is ${unit}`);
  return { ...r.data, timeUnit: unit };
}

function timeUnitOf(v: string): TimeUnit {
  if (v !== 'day' && v !== 'week') throw new Error(`--time-unit must be day or week (got ${v})`);
  return v;
}

function num(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`${name} must be a number (got ${v})`);
  return n;
}

interface SourceOptions {
  transactions?: string;
  summary?: string;
  format: string;
  observationEnd?: string;
  timeUnit: string;
  dropAfterEnd?: boolean;
}

async function loadSource(o: SourceOptions): Promise<Loaded> {
  const unit = timeUnitOf(o.timeUnit);
  if (o.transactions && o.summary) throw new Error('give either --transactions or --summary, not both');
  if (o.summary) return loadSummary(o.summary);
  if (!o.transactions) throw new Error('--transactions FILE (or --summary FILE) is required');
  if (!o.observationEnd) throw new Error('--observation-end YYYY-MM-DD is required with --transactions');
  return loadTransactions(o.transactions, o.format, o.observationEnd, unit, o.dropAfterEnd === true);
}

function fitJson(p: ModelParams) {
  return { customers: p.customers, bgnbd: p.bgnbd, gammaGamma: p.gammaGamma };
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(6));

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('BG/NBD + Gamma-Gamma customer models (fit, score)');

  model
    .command('fit')
    .description('fit BG/NBD and Gamma-Gamma on transactions')
    .requiredOption('--transactions <file>', 'transactions file')
    .option('--format <format>', 'csv (customer_id,date,amount) or cdnow (raw CDNOW_sample.txt)', 'csv')
    .requiredOption('--observation-end <date>', 'end of the observation period, YYYY-MM-DD')
    .requiredOption('--time-unit <unit>', 'day or week')
    .option(
      '--drop-after-end',
      'drop transactions after the observation end (calibration split) instead of failing',
    )
    .option('--penalizer <n>', 'L2 penalizer (lifetimes convention)', '0')
    .option('--json', 'print one JSON object')
    .action(async (o: SourceOptions & { json?: boolean; penalizer: string }) => {
      const unit = timeUnitOf(o.timeUnit);
      const { cols } = await loadSource({ ...o, summary: undefined });
      const p = fitModelsColumns(cols, { timeUnit: unit, penalizer: num('--penalizer', o.penalizer) });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(fitJson(p))}\n`);
        return;
      }
      const rows: [string, string][] = [
        ['customers', String(p.customers)],
        ['time unit', unit],
        ['BG/NBD r', fmt(p.bgnbd.r)],
        ['BG/NBD alpha', fmt(p.bgnbd.alpha)],
        ['BG/NBD a', fmt(p.bgnbd.a)],
        ['BG/NBD b', fmt(p.bgnbd.b)],
        ['BG/NBD log-likelihood', p.bgnbd.logLikelihood.toFixed(2)],
        ['Gamma-Gamma p', p.gammaGamma ? fmt(p.gammaGamma.p) : 'n/a (no repeat customers)'],
        ['Gamma-Gamma q', p.gammaGamma ? fmt(p.gammaGamma.q) : 'n/a'],
        ['Gamma-Gamma v', p.gammaGamma ? fmt(p.gammaGamma.v) : 'n/a'],
      ];
      const w = Math.max(...rows.map((r) => r[0].length));
      process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`);
    });

  model
    .command('score')
    .description('score customers: P(alive), expected purchases, expected average value, CLV')
    .option('--transactions <file>', 'transactions file')
    .option('--format <format>', 'csv or cdnow (with --transactions)', 'csv')
    .option('--observation-end <date>', 'YYYY-MM-DD (with --transactions)')
    .option('--drop-after-end', 'drop transactions after the observation end instead of failing')
    .option('--summary <file>', 'customer_id,frequency,recency,T,monetary_value')
    .requiredOption('--time-unit <unit>', 'day or week')
    .option('--horizon <n>', 'expected-purchases horizon in time units (default: 52 weeks / 365 days)')
    .option('--clv-months <n>', 'monthly CLV steps', '12')
    .option('--discount <rate>', 'monthly discount rate', '0.01')
    .option('--params <file>', 'parameters JSON as printed by `model fit --json` (default: fit on the input)')
    .requiredOption('--out <file>', 'output CSV')
    .action(
      async (
        o: SourceOptions & {
          horizon?: string;
          clvMonths: string;
          discount: string;
          params?: string;
          out: string;
        },
      ) => {
        const unit = timeUnitOf(o.timeUnit);
        const horizon = o.horizon === undefined ? (unit === 'week' ? 52 : 365) : num('--horizon', o.horizon);
        const clvMonths = num('--clv-months', o.clvMonths);
        const discount = num('--discount', o.discount);
        const params = o.params ? loadParams(o.params, unit) : undefined;
        const { ids, cols } = await loadSource(o);
        const p = params ?? fitModelsColumns(cols, { timeUnit: unit });
        const res = scoreBatch(p, cols, { horizon, clvMonths, discount, timeUnit: unit });
        const tmp = `${o.out}.tmp-${process.pid}`;
        try {
          const chunks: string[] = [
            'customer_id,frequency,recency,T,monetary_value,p_alive,expected_purchases,expected_avg_value,clv\n',
          ];
          let buf = '';
          for (let i = 0; i < ids.length; i++) {
            if (res.ok[i] !== 1) continue;
            buf += `${ids[i]},${cols.frequency[i]},${cols.recency[i]},${cols.T[i]},${cols.monetaryValue[i]},${res.pAlive[i]},${res.expectedPurchases[i]},${res.expectedAvgValue[i]},${res.clv[i]}\n`;
            if (buf.length > 1 << 20) {
              chunks.push(buf);
              buf = '';
            }
          }
          chunks.push(buf);
          writeFileSync(tmp, chunks.join(''));
          renameSync(tmp, o.out);
        } catch (e) {
          rmSync(tmp, { force: true });
          throw e;
        }
        for (const e of res.errors.slice(0, 100))
          process.stderr.write(`customer ${ids[e.index]}: not scored: ${e.reason}\n`);
        if (res.errors.length > 100)
          process.stderr.write(`... ${res.errors.length - 100} more customers not scored\n`);
        if (res.errors.length > 0)
          process.stderr.write(`${res.errors.length} of ${ids.length} customers not scored (not written)\n`);
      },
    );
}
