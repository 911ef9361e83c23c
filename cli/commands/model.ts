// `retention model fit|score`: BG/NBD + Gamma-Gamma from transactions or summaries.
// Start-up: only node:fs and types at the top; the scoring engine, zod, csv-parse and readline are
// imported inside the actions, so registering the commands costs nothing.
import { closeSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import type {
  ModelParams,
  SummaryBuilder,
  SummaryColumns,
  TimeUnit,
} from '../../functions/domain/scoring/index.js';

const scoring = () => import('../../functions/domain/scoring/index.js');

export class InputError extends Error {
  constructor(file: string, line: number | string, what: string) {
    super(`${file}:${line}: ${what}`);
  }
}

/** Customer ids, either strings or byte ranges of the summary file (copied to the output as they are). */
interface Ids {
  count: number;
  /** The id of customer i as a string (for messages). */
  get(i: number): string;
  /** Writes the id of customer i into the output. */
  write(out: OutputFile, i: number): void;
}

interface Loaded {
  ids: Ids;
  cols: SummaryColumns;
}

function stringIds(ids: string[]): Ids {
  return {
    count: ids.length,
    get: (i) => ids[i] as string,
    write: (out, i) => out.text(ids[i] as string),
  };
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
  return { ids: stringIds(ids), cols };
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

/** One transaction line as read: the day is NaN when the date does not parse. */
export type VisitTransaction = (
  line: number,
  id: string,
  day: number,
  rawDate: string,
  amount: number,
) => void;

/** Reads a transactions file (csv customer_id,date,amount, or raw cdnow), line by line, positioned errors. */
export async function forEachTransaction(
  file: string,
  format: string,
  visit: VisitTransaction,
): Promise<void> {
  const [{ dayNumber }, { createReadStream }, { createInterface }, { parse }] = await Promise.all([
    scoring(),
    import('node:fs'),
    import('node:readline'),
    import('csv-parse'),
  ]);
  // A missing file would otherwise surface as an unhandled stream error with a stack trace.
  try {
    closeSync(openSync(file, 'r'));
  } catch (e) {
    throw new Error(
      `${file}: cannot read (${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message})`,
    );
  }
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
      visit(line, id, day, ymd, parseAmount(file, line, f[4]));
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
        visit(line, id, dayNumber(date), date, parseAmount(file, line, record['amount']));
      }
    } catch (e) {
      if (e instanceof InputError) throw e;
      const err = e as Error & { lines?: number };
      throw new InputError(file, err.lines ?? '?', err.message);
    }
  } else {
    throw new Error(`--format must be csv or cdnow (got ${format})`);
  }
}

async function loadTransactions(
  file: string,
  format: string,
  observationEnd: string,
  unit: TimeUnit,
  dropAfterEnd: boolean,
): Promise<Loaded> {
  const { dayNumber, SummaryBuilder } = await scoring();
  if (Number.isNaN(dayNumber(observationEnd)))
    throw new Error(
      `--observation-end: invalid date ${JSON.stringify(observationEnd)} (expected YYYY-MM-DD)`,
    );
  const b = new SummaryBuilder(observationEnd, unit, {
    afterObservationEnd: dropAfterEnd ? 'ignore' : 'error',
  });
  const order: string[] = [];
  const seen = new Set<string>();
  await forEachTransaction(file, format, (line, id, day, raw, amount) => {
    addChecked(b, file, line, id, day, raw, amount);
    if (!seen.has(id)) {
      seen.add(id);
      order.push(id);
    }
  });
  if (order.length === 0) throw new Error(`${file}: no transactions`);
  return columnsFrom(order, b.build());
}

const SUMMARY_HEADER = ['customer_id', 'frequency', 'recency', 'T', 'monetary_value'];

const P10: number[] = Array.from({ length: 309 }, (_, k) => Number(`1e${k}`));
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

// Module-level functions only in the hot paths: tsx (esbuild keepNames) wraps every closure creation
// in a naming call, which costs ~1 µs each.
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** v·10^k, dividing by the exact power for k < 0. */
function scaled(v: number, k: number): number {
  return k >= 0 ? v * (P10[k] as number) : v / (P10[-k] as number);
}

/**
 * Parses bytes [s, e) of `b` as a number, the same value `Number(text)` gives: plain decimals with up to
 * 15 significant digits and a power of ten up to 22 are exact by Clinger's fast path (an integer below
 * 2^53 times or divided by an exact power of ten, one rounding); anything else goes through Number().
 * Empty or blank → NaN.
 */
function parseNumber(b: Uint8Array, s: number, e: number): number {
  while (s < e && isSpace(b[s] as number)) s++;
  while (e > s && isSpace(b[e - 1] as number)) e--;
  if (s === e) return Number.NaN;
  let i = s;
  let neg = false;
  let c = b[i] as number;
  if (c === 45 || c === 43) {
    neg = c === 45;
    i++;
  }
  let mant = 0;
  let digits = 0; // significant digits taken into mant
  let any = false;
  let exp10 = 0;
  for (; i < e; i++) {
    c = (b[i] as number) - 48;
    if (c < 0 || c > 9) break;
    any = true;
    if (mant !== 0 || c !== 0) digits++;
    mant = mant * 10 + c;
  }
  if (i < e && b[i] === 46) {
    for (i++; i < e; i++) {
      c = (b[i] as number) - 48;
      if (c < 0 || c > 9) break;
      any = true;
      if (mant !== 0 || c !== 0) digits++;
      mant = mant * 10 + c;
      exp10--;
    }
  }
  if (any && i < e && (b[i] === 101 || b[i] === 69)) {
    i++;
    let eneg = false;
    if (i < e && (b[i] === 45 || b[i] === 43)) {
      eneg = b[i] === 45;
      i++;
    }
    let ex = 0;
    let expDigits = false;
    for (; i < e && ex < 1e6; i++) {
      c = (b[i] as number) - 48;
      if (c < 0 || c > 9) break;
      expDigits = true;
      ex = ex * 10 + c;
    }
    if (!expDigits) i = -1;
    exp10 += eneg ? -ex : ex;
  }
  if (i === e && any && digits <= 15 && exp10 >= -22 && exp10 <= 22) {
    const v = exp10 < 0 ? mant / (P10[-exp10] as number) : mant * (P10[exp10] as number);
    return neg ? -v : v;
  }
  return Number(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8', s, e));
}

/** Default read size of the streaming --summary reader; `RETENTION_SCORE_CHUNK_BYTES` overrides it (tests). */
export const SUMMARY_CHUNK_BYTES = 4 << 20;
/** At most this many rows are parsed, scored and written per batch (bounds the per-batch arrays). */
const SUMMARY_BATCH_ROWS = 1 << 17;

function summaryChunkBytes(): number {
  const env = process.env['RETENTION_SCORE_CHUNK_BYTES'];
  if (env === undefined || env === '') return SUMMARY_CHUNK_BYTES;
  const v = Number(env);
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`RETENTION_SCORE_CHUNK_BYTES must be a positive integer (got ${env})`);
  return v;
}

/**
 * Streams the numeric summary format: reads the file in fixed-size chunks (the partial last line is
 * carried over to the next read; the buffer only grows when one line is longer than it) and parses
 * complete lines with a byte-level scanner that validates every line. `next()` yields batches of rows
 * into reused typed arrays; customer ids stay byte ranges of the buffer, valid until the next `next()`.
 */
class SummaryReader implements Ids {
  count = 0;
  private readonly fd: number;
  private data: Buffer;
  /** Plain Uint8Array view of `data`: element access in the scanning loops stays on the fast typed-array path. */
  private b: Uint8Array;
  private pos = 0;
  private end = 0;
  private eof = false;
  private lineNo = 1;
  private readonly width: number;
  /** Column → slot 0..4 (id, frequency, recency, T, monetary), -1 for other columns. */
  private readonly slotOf: Int32Array;
  private readonly fs = new Int32Array(5); // field start per slot
  private readonly fe = new Int32Array(5); // field end per slot
  private readonly val = new Float64Array(5);
  private cap = 4096;
  private x = new Float64Array(this.cap);
  private tx = new Float64Array(this.cap);
  private T = new Float64Array(this.cap);
  private m = new Float64Array(this.cap);
  private idStart = new Uint32Array(this.cap);
  private idEnd = new Uint32Array(this.cap);

  constructor(
    private readonly file: string,
    chunk: number,
  ) {
    this.fd = openSync(file, 'r');
    try {
      this.data = Buffer.allocUnsafe(chunk);
      this.b = new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength);
      this.fill();
      const b = this.b;
      if (this.end >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) this.pos = 3;
      let headerEnd = this.find(10);
      while (headerEnd < 0 && !this.eof) {
        this.fill();
        headerEnd = this.find(10);
      }
      if (headerEnd < 0) headerEnd = this.end;
      const header = this.data
        .toString('utf8', this.pos, headerEnd)
        .replace(/\r$/, '')
        .split(',')
        .map((h) => h.trim());
      this.pos = headerEnd + 1;
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
      this.width = header.length;
      this.slotOf = new Int32Array(this.width).fill(-1);
      for (let slot = 0; slot < idx.length; slot++) this.slotOf[idx[slot] as number] = slot;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Index of byte `c` in the unread part of the buffer, or -1. */
  private find(c: number): number {
    const i = this.b.indexOf(c, this.pos);
    return i >= 0 && i < this.end ? i : -1;
  }

  /** Moves the unread bytes to the front (doubling the buffer if they fill it) and reads until full or EOF. */
  private fill(): void {
    if (this.pos > 0) {
      const keep = Math.max(0, this.end - this.pos);
      if (keep > 0) this.data.copyWithin(0, this.pos, this.end);
      this.end = keep;
      this.pos = 0;
    }
    if (this.end === this.data.length && !this.eof) {
      const g = Buffer.allocUnsafe(this.data.length * 2);
      this.data.copy(g, 0, 0, this.end);
      this.data = g;
      this.b = new Uint8Array(g.buffer, g.byteOffset, g.byteLength);
    }
    while (!this.eof && this.end < this.data.length) {
      const r = readSync(this.fd, this.data, this.end, this.data.length - this.end, null);
      if (r === 0) this.eof = true;
      else this.end += r;
    }
  }

  /** Parses the next batch of rows (reading more of the file as needed); false at the end of the file. */
  next(): boolean {
    for (;;) {
      this.count = 0;
      this.parse();
      if (this.count > 0) return true;
      if (this.eof && this.pos >= this.end) return false;
      this.fill();
    }
  }

  /** The current batch as columns (views of the reused arrays). */
  columns(): SummaryColumns {
    const n = this.count;
    return {
      frequency: this.x.subarray(0, n),
      recency: this.tx.subarray(0, n),
      T: this.T.subarray(0, n),
      monetaryValue: this.m.subarray(0, n),
    };
  }

  get(i: number): string {
    return this.data.toString('utf8', this.idStart[i] as number, this.idEnd[i] as number);
  }

  write(out: OutputFile, i: number): void {
    out.bytes(this.b, this.idStart[i] as number, this.idEnd[i] as number);
  }

  private raw(slot: number): string {
    return this.data.toString('utf8', this.fs[slot] as number, this.fe[slot] as number);
  }

  private grow(): void {
    const cap = this.cap * 2;
    const f64 = (a: Float64Array) => {
      const g = new Float64Array(cap);
      g.set(a);
      return g;
    };
    const u32 = (a: Uint32Array) => {
      const g = new Uint32Array(cap);
      g.set(a);
      return g;
    };
    this.x = f64(this.x);
    this.tx = f64(this.tx);
    this.T = f64(this.T);
    this.m = f64(this.m);
    this.idStart = u32(this.idStart);
    this.idEnd = u32(this.idEnd);
    this.cap = cap;
  }

  /**
   * Parses complete lines from `pos` until the batch is full or the buffered bytes end (a line without
   * its '\n' is left for the next read, unless the file has ended: then it is the last line).
   */
  private parse(): void {
    const file = this.file;
    const b = this.b;
    const len = this.end;
    const eof = this.eof;
    const width = this.width;
    const slotOf = this.slotOf;
    const fs = this.fs;
    const fe = this.fe;
    const val = this.val;
    let pos = this.pos;
    let lineNo = this.lineNo;
    let n = this.count;
    while (pos < len && n < SUMMARY_BATCH_ROWS) {
      // One pass over the line: field boundaries at ',' up to '\n' (a '\r' before it is dropped).
      const start = pos;
      let k = 0;
      let fstart = pos;
      let i = pos;
      let partial = false;
      for (;;) {
        let c: number;
        if (i < len) c = b[i] as number;
        else if (eof) c = 10;
        else {
          partial = true;
          break;
        }
        if (c === 44 || c === 10) {
          let fend = i;
          if (c === 10 && fend > fstart && b[fend - 1] === 13) fend--;
          if (k < width) {
            const slot = slotOf[k] as number;
            if (slot >= 0) {
              fs[slot] = fstart;
              fe[slot] = fend;
            }
          }
          k++;
          fstart = i + 1;
          if (c === 10) break;
        }
        i++;
      }
      if (partial) break;
      lineNo++;
      pos = i + 1;
      if (k === 1) {
        let blank = true;
        for (let j = start; j < i; j++) {
          if (!isSpace(b[j] as number)) {
            blank = false;
            break;
          }
        }
        if (blank) continue;
      }
      if (k !== width) throw new InputError(file, lineNo, `expected ${width} fields, got ${k}`);
      let s0 = fs[0] as number;
      let e0 = fe[0] as number;
      while (s0 < e0 && isSpace(b[s0] as number)) s0++;
      while (e0 > s0 && isSpace(b[e0 - 1] as number)) e0--;
      if (s0 === e0) throw new InputError(file, lineNo, 'empty customer_id');
      for (let slot = 1; slot < 5; slot++) {
        const v = parseNumber(b, fs[slot] as number, fe[slot] as number);
        if (!Number.isFinite(v))
          throw new InputError(
            file,
            lineNo,
            `${SUMMARY_HEADER[slot]} is not a number: ${JSON.stringify(this.raw(slot))}`,
          );
        val[slot] = v;
      }
      const f = val[1] as number;
      const r = val[2] as number;
      const t = val[3] as number;
      const mv = val[4] as number;
      if (!Number.isInteger(f) || f < 0)
        throw new InputError(file, lineNo, `frequency must be a non-negative integer: ${f}`);
      if (t < 0) throw new InputError(file, lineNo, `T is negative: ${t}`);
      if (r < 0 || r > t) throw new InputError(file, lineNo, `recency must be within [0, T]: ${r}`);
      if (f === 0 && r !== 0)
        throw new InputError(file, lineNo, `recency must be 0 when frequency is 0: ${r}`);
      if (mv < 0) throw new InputError(file, lineNo, `monetary_value is negative: ${mv}`);
      if (n === this.cap) this.grow();
      this.idStart[n] = s0;
      this.idEnd[n] = e0;
      this.x[n] = f;
      this.tx[n] = r;
      this.T[n] = t;
      this.m[n] = mv;
      n++;
    }
    this.pos = pos;
    this.lineNo = lineNo;
    this.count = n;
  }
}

/**
 * First pass over a summary file when no --params are given: validates every line and keeps only what
 * the fit needs — the distinct (x, t_x, T) triples with their counts (BG/NBD), and x and m of the repeat
 * customers (Gamma-Gamma: its likelihood has a per-customer ln(x·m + v) term and the library's
 * `gammaGammaStats` takes no weights). Same parameters as `fitModelsColumns` on the full columns.
 */
async function fitSummary(file: string, unit: TimeUnit): Promise<ModelParams> {
  const [{ bgnbdStats, fitBgNbd, gammaGammaStats, fitGammaGamma }, { KeyIndex }] = await Promise.all([
    scoring(),
    import('../../functions/domain/scoring/keyindex.js'),
  ]);
  const triples = new KeyIndex(3, 1 << 16);
  let w = new Float64Array(1 << 16);
  let ggX = new Float64Array(1 << 16);
  let ggM = new Float64Array(1 << 16);
  let nGg = 0;
  let customers = 0;
  const rd = new SummaryReader(file, summaryChunkBytes());
  try {
    while (rd.next()) {
      const { frequency, recency, T, monetaryValue } = rd.columns();
      const n = rd.count;
      for (let i = 0; i < n; i++) {
        const x = frequency[i] as number;
        const v = monetaryValue[i] as number;
        const id = triples.add(x, recency[i] as number, T[i] as number);
        if (id >= w.length) {
          const g = new Float64Array(w.length * 2);
          g.set(w);
          w = g;
        }
        w[id] = (w[id] as number) + 1;
        if (x > 0 && v > 0) {
          if (nGg === ggX.length) {
            const gx = new Float64Array(nGg * 2);
            gx.set(ggX);
            ggX = gx;
            const gm = new Float64Array(nGg * 2);
            gm.set(ggM);
            ggM = gm;
          }
          ggX[nGg] = x;
          ggM[nGg] = v;
          nGg++;
        }
      }
      customers += n;
    }
  } finally {
    rd.close();
  }
  if (customers === 0) throw new Error(`${file}: no customers`);
  const size = triples.size;
  const keys = triples.keys;
  const xs = new Float64Array(size);
  const txs = new Float64Array(size);
  const ts = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    xs[k] = keys[3 * k] as number;
    txs[k] = keys[3 * k + 1] as number;
    ts[k] = keys[3 * k + 2] as number;
  }
  // Triples in first-seen order with integer weights: the same statistics, hence the same fit, as
  // bgnbdStats over the rows one by one (which is what fitModelsColumns does).
  const bg = fitBgNbd(bgnbdStats(xs, txs, ts, w.subarray(0, size)), {});
  const ggStats = gammaGammaStats(ggX.subarray(0, nGg), ggM.subarray(0, nGg));
  const gg = ggStats.customers > 0 ? fitGammaGamma(ggStats, {}) : null;
  return {
    timeUnit: unit,
    customers,
    bgnbd: { r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b, logLikelihood: bg.logLikelihood },
    gammaGamma: gg ? { p: gg.p, q: gg.q, v: gg.v } : null,
  };
}

/**
 * Buffered writer to a file descriptor, with a number formatter that writes bytes directly:
 * integers up to 2^53 exactly, other numbers with 15 significant digits (relative error <= 5e-15;
 * JavaScript's positional/exponent layout; trailing zeros dropped). `String(x)` (shortest round-trip)
 * measured ~0.6 µs per number on the 2-core machine — 2-3 s for a 1M-row file — hence this formatter.
 */
class OutputFile {
  private buf = Buffer.allocUnsafe(1 << 20);
  /** Plain Uint8Array view of `buf` for the byte stores. */
  private u8 = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private pos = 0;
  private readonly digits = new Uint8Array(24);
  constructor(private readonly fd: number) {}

  /** Room for at least `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = Buffer.allocUnsafe(n);
      this.u8 = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
  }

  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.pos = 0;
  }

  text(s: string): void {
    this.reserve(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(src: Uint8Array, s: number, e: number): void {
    this.reserve(e - s);
    const buf = this.u8;
    let p = this.pos;
    for (let i = s; i < e; i++) buf[p++] = src[i] as number;
    this.pos = p;
  }

  /** The bytes not yet flushed, as text. */
  pending(): string {
    return this.buf.toString('latin1', 0, this.pos);
  }

  byte(c: number): void {
    this.u8[this.pos++] = c;
  }

  /** A non-negative integer below 2^53. */
  private integer(v: number): void {
    const buf = this.u8;
    const d = this.digits;
    let k = 0;
    if (v < 2147483648) {
      let u = v | 0;
      do {
        const q = (u / 10) | 0;
        d[k++] = 48 + u - q * 10;
        u = q;
      } while (u > 0);
    } else {
      do {
        const q = Math.floor(v / 10);
        d[k++] = 48 + v - q * 10;
        v = q;
      } while (v > 0);
    }
    let p = this.pos;
    while (k > 0) buf[p++] = d[--k] as number;
    this.pos = p;
  }

  /** Writes a finite number (call reserve(32) first). */
  number(v: number): void {
    if (v === 0) {
      this.u8[this.pos++] = 48;
      return;
    }
    if (!Number.isFinite(v)) {
      this.pos += this.buf.write(String(v), this.pos, 'latin1');
      return;
    }
    if (v < 0) {
      this.u8[this.pos++] = 45;
      v = -v;
    }
    if (v <= 9007199254740992 && Number.isInteger(v)) {
      this.integer(v);
      return;
    }
    if (v < 1e-290 || v > 1e290) {
      this.pos += this.buf.write(String(v), this.pos, 'latin1');
      return;
    }
    // Decimal exponent from the binary one (exact or one too small), then fixed by comparison.
    F64[0] = v;
    let e = Math.floor((((U32[1] as number) >>> 20) - 1023) * 0.3010299956639812);
    if (e + 1 >= 0 ? v >= (P10[e + 1] as number) : v * (P10[-(e + 1)] as number) >= 1) e++;
    let mant = Math.round(scaled(v, 14 - e));
    if (mant >= 1e15) {
      e++;
      mant = Math.round(scaled(v, 14 - e));
    } else if (mant < 1e14) {
      e--;
      mant = Math.round(scaled(v, 14 - e));
    }
    if (mant >= 1e15) {
      // Rounded up to the next power of ten.
      e++;
      mant = 1e14;
    }
    // 15 digits of mant, most significant first.
    const d = this.digits;
    const hi = Math.floor(mant / 1e8);
    let lo = mant - hi * 1e8;
    let u = hi;
    for (let k = 6; k >= 0; k--) {
      const q = (u / 10) | 0;
      d[k] = 48 + u - q * 10;
      u = q;
    }
    for (let k = 14; k >= 7; k--) {
      const q = (lo / 10) | 0;
      d[k] = 48 + lo - q * 10;
      lo = q;
    }
    let nd = 15;
    while (nd > 1 && d[nd - 1] === 48) nd--;
    const buf = this.u8;
    let p = this.pos;
    if (e >= 0 && e < 21) {
      for (let k = 0; k <= e; k++) buf[p++] = k < nd ? (d[k] as number) : 48;
      if (nd > e + 1) {
        buf[p++] = 46;
        for (let k = e + 1; k < nd; k++) buf[p++] = d[k] as number;
      }
    } else if (e < 0 && e > -7) {
      buf[p++] = 48;
      buf[p++] = 46;
      for (let k = -1; k > e; k--) buf[p++] = 48;
      for (let k = 0; k < nd; k++) buf[p++] = d[k] as number;
    } else {
      buf[p++] = d[0] as number;
      if (nd > 1) {
        buf[p++] = 46;
        for (let k = 1; k < nd; k++) buf[p++] = d[k] as number;
      }
      buf[p++] = 101;
      buf[p++] = e < 0 ? 45 : 43;
      this.pos = p;
      this.integer(Math.abs(e));
      return;
    }
    this.pos = p;
  }
}

/** One number formatted as the score output writes it (exported for tests). */
export function formatNumberForCsv(v: number): string {
  const out = new OutputFile(-1);
  out.number(v);
  return out.pending();
}

async function loadParams(file: string, unit: TimeUnit): Promise<ModelParams> {
  const [{ ModelParamsSchema }, { z }] = await Promise.all([scoring(), import('zod')]);
  const FitJsonSchema = ModelParamsSchema.omit({ timeUnit: true }).extend({
    timeUnit: z.enum(['day', 'week']).optional(),
  });
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
  if (o.summary) throw new Error('--summary is only supported by `model score`');
  if (!o.transactions) throw new Error('--transactions FILE (or --summary FILE) is required');
  if (!o.observationEnd) throw new Error('--observation-end YYYY-MM-DD is required with --transactions');
  return loadTransactions(o.transactions, o.format, o.observationEnd, unit, o.dropAfterEnd === true);
}

function fitJson(p: ModelParams) {
  return { customers: p.customers, bgnbd: p.bgnbd, gammaGamma: p.gammaGamma, fit: p.fit };
}

/** "value ± standard error" for the fit table. */
function withSe(v: number, se: number | null | undefined): string {
  return se === null || se === undefined || !Number.isFinite(se)
    ? fmt(v)
    : `${fmt(v)} ± ${se.toPrecision(2)}`;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(6));

interface Scores {
  pAlive: Float64Array;
  expectedPurchases: Float64Array;
  expectedAvgValue: Float64Array;
  clv: Float64Array;
  ok: Uint8Array;
  errors: { index: number; reason: string }[];
}

const SCORE_HEADER =
  'customer_id,frequency,recency,T,monetary_value,p_alive,expected_purchases,expected_avg_value,clv\n';

/**
 * Writes the output through `OutputFile` (1 MiB chunks) into a temp file as `body` produces it, then
 * renames it to `file`; if `body` throws (a bad input line), the temp file is removed: no output.
 */
function writeOutput(file: string, body: (out: OutputFile) => void): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const out = new OutputFile(fd);
    out.text(SCORE_HEADER);
    body(out);
    out.flush();
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes the scored customers 0..ids.count-1 (unscored ones are skipped). */
function writeRows(out: OutputFile, ids: Ids, cols: SummaryColumns, res: Scores): void {
  const { frequency, recency, T, monetaryValue } = cols;
  const { pAlive, expectedPurchases, expectedAvgValue, clv, ok } = res;
  for (let i = 0; i < ids.count; i++) {
    if (ok[i] !== 1) continue;
    ids.write(out, i);
    out.reserve(8 * 32);
    out.byte(44);
    out.number(frequency[i] as number);
    out.byte(44);
    out.number(recency[i] as number);
    out.byte(44);
    out.number(T[i] as number);
    out.byte(44);
    out.number(monetaryValue[i] as number);
    out.byte(44);
    out.number(pAlive[i] as number);
    out.byte(44);
    out.number(expectedPurchases[i] as number);
    out.byte(44);
    out.number(expectedAvgValue[i] as number);
    out.byte(44);
    out.number(clv[i] as number);
    out.byte(10);
  }
}

/** The customers not scored: the first 100 messages (ids resolved while their batch is current) and a count. */
class NotScored {
  private readonly messages: string[] = [];
  private count = 0;

  add(ids: Ids, res: Scores): void {
    for (const e of res.errors) {
      if (this.messages.length < 100)
        this.messages.push(`customer ${ids.get(e.index)}: not scored: ${e.reason}\n`);
      this.count++;
    }
  }

  report(customers: number): void {
    for (const m of this.messages) process.stderr.write(m);
    if (this.count > 100) process.stderr.write(`... ${this.count - 100} more customers not scored\n`);
    if (this.count > 0)
      process.stderr.write(`${this.count} of ${customers} customers not scored (not written)\n`);
  }
}

/**
 * `score --summary`: streams the file (a first validating pass to fit when `params` is null), then
 * scores it batch by batch into the output; memory does not grow with the number of rows.
 */
async function scoreSummary(
  file: string,
  outFile: string,
  params: ModelParams | undefined,
  unit: TimeUnit,
  options: { horizon: number; clvMonths: number; discount: number },
): Promise<void> {
  const { scoreBatch } = await scoring();
  const p = params ?? (await fitSummary(file, unit));
  const notScored = new NotScored();
  let customers = 0;
  const rd = new SummaryReader(file, summaryChunkBytes());
  try {
    writeOutput(outFile, (out) => {
      while (rd.next()) {
        const cols = rd.columns();
        const res = scoreBatch(p, cols, { ...options, timeUnit: unit });
        writeRows(out, rd, cols, res);
        notScored.add(rd, res);
        customers += rd.count;
      }
      if (customers === 0) throw new Error(`${file}: no customers`);
    });
  } finally {
    rd.close();
  }
  notScored.report(customers);
}

export function registerModelCommands(program: Command): void {
  const model = program
    .command('model')
    .description('BG/NBD + Gamma-Gamma customer models (fit, score, evaluate)');

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
      const { fitModelsColumns } = await scoring();
      const p = fitModelsColumns(cols, { timeUnit: unit, penalizer: num('--penalizer', o.penalizer) });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(fitJson(p))}\n`);
        return;
      }
      const se = p.fit?.standardErrors;
      const limit = p.fit?.method === 'constant_dropout_limit';
      const rows: [string, string][] = [
        ['customers', String(p.customers)],
        ['time unit', unit],
        [
          'BG/NBD fit',
          limit
            ? 'constant-dropout limit (a, b → ∞; maximum likelihood ran off to the boundary)'
            : 'maximum likelihood',
        ],
        ['BG/NBD r', withSe(p.bgnbd.r, se?.r)],
        ['BG/NBD alpha', withSe(p.bgnbd.alpha, se?.alpha)],
        ...((limit
          ? [['BG/NBD dropout probability', withSe(p.fit?.dropoutProbability ?? Number.NaN, se?.dropout)]]
          : [
              ['BG/NBD a', withSe(p.bgnbd.a, se?.a)],
              ['BG/NBD b', withSe(p.bgnbd.b, se?.b)],
            ]) as [string, string][]),
        ['BG/NBD log-likelihood', p.bgnbd.logLikelihood.toFixed(2)],
        ['Gamma-Gamma p', p.gammaGamma ? fmt(p.gammaGamma.p) : 'n/a (no repeat customers)'],
        ['Gamma-Gamma q', p.gammaGamma ? fmt(p.gammaGamma.q) : 'n/a'],
        ['Gamma-Gamma v', p.gammaGamma ? fmt(p.gammaGamma.v) : 'n/a'],
      ];
      const w = Math.max(...rows.map((r) => r[0].length));
      process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`);
      if (se) process.stdout.write('(± one standard error, from the Hessian of the log-likelihood)\n');
      const warnings = p.fit?.warnings ?? [];
      if (warnings.length > 0)
        process.stdout.write(`\nWarnings:\n${warnings.map((m) => `  - ${m}\n`).join('')}`);
    });

  model
    .command('evaluate')
    .description(
      'does the model predict? fit on the calibration period, predict the holdout period (Fader, Hardie & Lee 2005)',
    )
    .requiredOption('--transactions <file>', 'transactions file')
    .option('--format <format>', 'csv (customer_id,date,amount) or cdnow (raw CDNOW_sample.txt)', 'csv')
    .requiredOption('--calibration-end <date>', 'last day of the calibration period, YYYY-MM-DD')
    .requiredOption('--holdout-end <date>', 'last day of the holdout period, YYYY-MM-DD')
    .option('--time-unit <unit>', 'day or week (the fit; the tracking table is weekly either way)', 'week')
    .option('--penalizer <n>', 'L2 penalizer (lifetimes convention)', '0')
    .option('--json', 'print one JSON object (the `model` part of `retention report --json`)')
    .action(
      async (o: {
        transactions: string;
        format: string;
        calibrationEnd: string;
        holdoutEnd: string;
        timeUnit: string;
        penalizer: string;
        json?: boolean;
      }) => {
        const { runModelEvaluate } = await import('./modelEvaluate.js');
        await runModelEvaluate({
          ...o,
          timeUnit: timeUnitOf(o.timeUnit),
          penalizer: num('--penalizer', o.penalizer),
          json: o.json === true,
        });
      },
    );

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
        const params = o.params ? await loadParams(o.params, unit) : undefined;
        const scoreOptions = { horizon, clvMonths, discount };
        if (o.summary && !o.transactions) {
          await scoreSummary(o.summary, o.out, params, unit, scoreOptions);
          return;
        }
        const { ids, cols } = await loadSource(o);
        const { fitModelsColumns, scoreBatch } = await scoring();
        const p = params ?? fitModelsColumns(cols, { timeUnit: unit });
        const res = scoreBatch(p, cols, { ...scoreOptions, timeUnit: unit });
        writeOutput(o.out, (out) => writeRows(out, ids, cols, res));
        const notScored = new NotScored();
        notScored.add(ids, res);
        notScored.report(ids.count);
      },
    );
}
