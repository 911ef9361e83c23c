import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatNumberForCsv } from '../../cli/commands/model.js';

/** The CDNOW parameters as `model fit` writes them (lifetimes' published fit), for `--params`. */
function writeCdnowParams(file: string, customers: number): void {
  writeFileSync(
    file,
    JSON.stringify({
      customers,
      bgnbd: { r: 0.242593, alpha: 4.413532, a: 0.792886, b: 2.425752, logLikelihood: -9582.43 },
      gammaGamma: { p: 6.248802, q: 3.744588, v: 15.447748 },
    }),
  );
}

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(ROOT, 'test/fixtures/cdnow');
const dir = mkdtempSync(join(tmpdir(), 'retention-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  return cliEnv({}, ...args);
}

function cliEnv(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'model', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Calibration transactions (<= 1997-09-30) of CDNOW_sample.txt as customer_id,date,amount. */
function calibrationCsv(): string {
  const rows = readFileSync(join(FIX, 'CDNOW_sample.txt'), 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((l) => l.trim().split(/\s+/))
    .map(([, id, d, , amt]) => [id, `${d?.slice(0, 4)}-${d?.slice(4, 6)}-${d?.slice(6, 8)}`, amt])
    .filter((r) => (r[1] as string) <= '1997-09-30');
  const file = join(dir, 'calibration.csv');
  writeFileSync(file, `customer_id,date,amount\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  return file;
}

describe('retention model', () => {
  it('fit --json on CDNOW reproduces the published parameters (csv and cdnow formats)', () => {
    const csv = cli(
      'fit',
      '--transactions',
      calibrationCsv(),
      '--observation-end',
      '1997-09-30',
      '--time-unit',
      'week',
      '--json',
    );
    expect(csv.stderr).toBe('');
    expect(csv.code).toBe(0);
    const p = JSON.parse(csv.stdout);
    expect(Object.keys(p)).toEqual(['customers', 'bgnbd', 'gammaGamma', 'fit']);
    expect(p.customers).toBe(2357);
    expect(p.bgnbd.r).toBeCloseTo(0.243, 3);
    expect(p.bgnbd.alpha).toBeCloseTo(4.414, 2);
    expect(p.bgnbd.a).toBeCloseTo(0.793, 3);
    expect(p.bgnbd.b).toBeCloseTo(2.426, 2);
    expect(p.bgnbd.logLikelihood).toBeCloseTo(-9582.4, 0);
    expect(p.gammaGamma.p).toBeCloseTo(6.25, 1);
    expect(p.gammaGamma.q).toBeCloseTo(3.74, 1);
    expect(p.gammaGamma.v).toBeCloseTo(15.44, 0);
    const raw = cli(
      'fit',
      '--transactions',
      join(FIX, 'CDNOW_sample.txt'),
      '--format',
      'cdnow',
      '--drop-after-end',
      '--observation-end',
      '1997-09-30',
      '--time-unit',
      'week',
      '--json',
    );
    expect(raw.code).toBe(0);
    expect(JSON.parse(raw.stdout)).toEqual(p);
  });

  it('score --summary with --params writes one row per customer matching lifetimes', () => {
    const params = join(dir, 'params.json');
    writeCdnowParams(params, 2357);
    const out = join(dir, 'scores.csv');
    const r = cli(
      'score',
      '--summary',
      join(FIX, 'cdnow_customers_summary_with_transactions.csv'),
      '--time-unit',
      'week',
      '--horizon',
      '39',
      '--params',
      params,
      '--out',
      out,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(
      'customer_id,frequency,recency,T,monetary_value,p_alive,expected_purchases,expected_avg_value,clv',
    );
    expect(lines).toHaveLength(2358);
    const ref = readFileSync(join(FIX, 'cdnow_lifetimes_reference_scores.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    ref.forEach((line, i) => {
      const a = line.split(',').map(Number);
      const b = (lines[i + 1] as string).split(',').map(Number);
      expect(b[0]).toBe(a[0]);
      for (const [j, k] of [
        [5, 5],
        [6, 6],
        [7, 7],
        [8, 8],
      ] as const) {
        expect(Math.abs((b[j] as number) - (a[k] as number)) / (a[k] as number)).toBeLessThan(1e-6);
      }
    });
  });

  it('score --transactions fits first when no --params is given', () => {
    const out = join(dir, 'scores2.csv');
    const r = cli(
      'score',
      '--transactions',
      calibrationCsv(),
      '--observation-end',
      '1997-09-30',
      '--time-unit',
      'week',
      '--out',
      out,
    );
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2358);
  });

  it.each([
    ['customer_id,date,amount\na,2024-01-01,10\nb,2024-13-01,5\n', ':3: unparsable date'],
    ['customer_id,date,amount\na,2024-01-01,10\nb,2024-01-02,abc\n', ':3: amount is not a number'],
    ['customer_id,date,amount\na,2024-01-01,10\nb,2024-01-02,-5\n', ':3: amount is negative'],
    [
      'customer_id,date,amount\na,2024-01-01,10\na,2024-01-02,1\nb,2024-03-02,5\n',
      ':4: date is after the observation end',
    ],
    ['customer_id,day,amount\na,2024-01-01,10\n', ':1: missing column date'],
  ])('bad transactions → exit 1, FILE:LINE message, no output file (%#)', (content, message) => {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(file, content);
    const out = join(dir, `never-${Math.random().toString(36).slice(2)}.csv`);
    const r = cli(
      'score',
      '--transactions',
      file,
      '--observation-end',
      '2024-01-31',
      '--time-unit',
      'day',
      '--out',
      out,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}${message}`);
    expect(existsSync(out)).toBe(false);
  });

  it('bad summary lines → exit 1 with the line number and no output', () => {
    const file = join(dir, 'bad-summary.csv');
    writeFileSync(file, 'customer_id,frequency,recency,T,monetary_value\n1,2,3,4,5\n2,1,9,4,5\n');
    const out = join(dir, 'never.csv');
    const r = cli('score', '--summary', file, '--time-unit', 'week', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:3: recency must be within [0, T]`);
    expect(existsSync(out)).toBe(false);
  });

  it('summary scanner: BOM, CRLF, blank lines, lifetimes header names, extra column, spaces → same scores', () => {
    const params = join(dir, 'params-scan.json');
    writeCdnowParams(params, 3);
    const clean = join(dir, 'clean.csv');
    writeFileSync(
      clean,
      'customer_id,frequency,recency,T,monetary_value\na,2,30.43,38.86,22.35\nb,0,0,38.86,0\nc,1,1.5e1,3.8e1,.5\n',
    );
    const messy = join(dir, 'messy.csv');
    writeFileSync(
      messy,
      '\uFEFFzbar,ID,note,T,x,t_x\r\n22.35, a ,hi,38.86,2,30.43\r\n\r\n   \r\n0,b,,38.860,+0,0\r\n0.50,c,x,38,1,15.0',
    );
    const outs = [clean, messy].map((f, i) => {
      const out = join(dir, `scan-${i}.csv`);
      const r = cli('score', '--summary', f, '--time-unit', 'week', '--params', params, '--out', out);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return readFileSync(out, 'utf8');
    });
    expect(outs[1]).toBe(outs[0]);
    const rows = (outs[0] as string).trim().split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[1]?.startsWith('a,2,30.43,38.86,22.35,')).toBe(true);
    expect(rows[3]?.startsWith('c,1,15,38,0.5,')).toBe(true);
  });

  it.each([
    ['1,2,3,4\n', ':2: expected 5 fields, got 4'],
    ['1,2,3,4,5\n2,1,2,4,5,6\n', ':3: expected 5 fields, got 6'],
    ['1,2,3,4,5\n2,1.5,1,4,5\n', ':3: frequency must be a non-negative integer: 1.5'],
    ['1,2,3,4,5\n\n2,abc,1,4,5\n', ':4: frequency is not a number: "abc"'],
    ['1,2,3,4,5\n2,1,1,,5\n', ':3: T is not a number: ""'],
    ['1,2,3,4,5\n2,1,1,Infinity,5\n', ':3: T is not a number: "Infinity"'],
    ['1,2,3,4,5\n2,0,1,4,5\n', ':3: recency must be 0 when frequency is 0: 1'],
    ['1,2,3,4,5\n2,1,1,4,-5\n', ':3: monetary_value is negative: -5'],
    ['1,2,3,4,5\n ,1,1,4,5\n', ':3: empty customer_id'],
    ['1,2,3,4,5\r\n2,1,-1,4,5\r\n', ':3: recency must be within [0, T]: -1'],
  ])('bad summary line → exit 1, FILE:LINE message, no output (%#)', (body, message) => {
    const file = join(dir, `bad-sum-${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(file, `customer_id,frequency,recency,T,monetary_value\n${body}`);
    const out = join(dir, `never-${Math.random().toString(36).slice(2)}.csv`);
    const r = cli('score', '--summary', file, '--time-unit', 'week', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}${message}`);
    expect(existsSync(out)).toBe(false);
  });

  describe('score --summary streams the file in chunks', () => {
    const params = join(dir, 'params-stream.json');
    const lines = readFileSync(join(FIX, 'cdnow_customers_summary_with_transactions.csv'), 'utf8')
      .trim()
      .split('\n');
    // Blank lines, CRLF, an id longer than the smallest chunk (the buffer grows) and no final newline.
    const rows = lines.map((l, i) => (i === 700 ? `${'x'.repeat(150)}${l}` : i % 3 === 0 ? `${l}\r` : l));
    rows.splice(1200, 0, '', '  ');
    const file = join(dir, 'stream.csv');
    writeFileSync(file, rows.join('\n'));
    writeCdnowParams(params, 2357);
    const score = (chunk: string | undefined, input: string, out: string, withParams: boolean) =>
      cliEnv(
        chunk === undefined ? {} : { RETENTION_SCORE_CHUNK_BYTES: chunk },
        'score',
        '--summary',
        input,
        '--time-unit',
        'week',
        ...(withParams ? ['--params', params] : []),
        '--out',
        out,
      );

    it.each([true, false])(
      'chunks smaller than the file → the same output as one chunk (--params: %s)',
      (withParams) => {
        expect(statSync(file).size).toBeGreaterThan(4 * 4096);
        const outs = [undefined, '4096', '64'].map((chunk) => {
          const out = join(dir, `stream-${withParams}-${chunk}.csv`);
          const r = score(chunk, file, out, withParams);
          expect(r.stderr).toBe('');
          expect(r.code).toBe(0);
          return readFileSync(out, 'utf8');
        });
        expect(outs[0]?.trim().split('\n')).toHaveLength(2358);
        expect(outs[0]).toContain(`\n${'x'.repeat(150)}700,`);
        expect(outs[1]).toBe(outs[0]);
        expect(outs[2]).toBe(outs[0]);
      },
    );

    it.each([true, false])(
      'a bad line in a later chunk → its line number, exit 1, no output (--params: %s)',
      (withParams) => {
        const bad = rows.slice();
        bad[2000] = '2000,1,50,40,3';
        const badFile = join(dir, `stream-bad-${withParams}.csv`);
        writeFileSync(badFile, bad.join('\n'));
        const sub = mkdtempSync(join(dir, 'stream-out-'));
        const out = join(sub, 'never.csv');
        const r = score('4096', badFile, out, withParams);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`${badFile}:2001: recency must be within [0, T]: 50`);
        expect(existsSync(out)).toBe(false);
        expect(readdirSync(sub)).toEqual([]);
      },
    );
  });
});

describe('score output number format', () => {
  it('integers exactly, other numbers to 15 significant digits in JavaScript layout', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [7, '7'],
      [-12, '-12'],
      [2 ** 53, '9007199254740992'],
      [0.5, '0.5'],
      [0.1 + 0.2, '0.3'],
      [1 / 3, '0.333333333333333'],
      [29.984072938167767, '29.9840729381678'],
      [0.9999999999999999, '1'],
      [999999999999999.9, '1000000000000000'],
      [1e21, '1e+21'],
      [1.5e-7, '1.5e-7'],
      [0.000001, '0.000001'],
      [-2.5e-300, '-2.5e-300'],
      [123456.789, '123456.789'],
    ];
    for (const [v, s] of cases) expect(formatNumberForCsv(v)).toBe(s);
  });

  it('round-trips every magnitude to within 5.2e-15 relative (half a unit in the 15th digit)', () => {
    let s = 12345;
    const u = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 4294967296;
    };
    let worst = 0;
    for (let i = 0; i < 50_000; i++) {
      const v = (u() - 0.3) * 10 ** (u() * 80 - 40);
      worst = Math.max(worst, Math.abs(Number(formatNumberForCsv(v)) - v) / Math.abs(v));
    }
    expect(worst).toBeLessThan(5.2e-15);
    expect(worst).toBeGreaterThan(1e-16); // 15 digits, not shortest round-trip
  });
});
