import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { smallShopOrders } from '../../cli/seed/smallShop.js';
import type { ModelReport } from '../../functions/domain/measurement/reportContract.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'test/fixtures/cdnow/CDNOW_sample.txt');
const dir = mkdtempSync(join(tmpdir(), 'retention-evaluate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'model', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SPLIT = ['--calibration-end', '1997-09-30', '--holdout-end', '1998-06-30'];

describe('retention model evaluate', () => {
  it('--json on CDNOW prints one ModelReport object with the paper split figures', () => {
    const r = cli('evaluate', '--transactions', SAMPLE, '--format', 'cdnow', ...SPLIT, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ModelReport;
    expect(report.customers).toBe(2357);
    expect(report.parameters?.r).toBeCloseTo(0.2426, 3);
    expect(report.conditional.map((c) => c.customers)).toEqual([1411, 439, 214, 100, 62, 38, 29, 64]);
    expect(report.tracking).toHaveLength(78);
    expect(report.beatsBaseline).toBe(true);
  });

  it('prints the error table, the conditional expectations and the weekly tracking in the terminal', () => {
    const r = cli('evaluate', '--transactions', SAMPLE, '--format', 'cdnow', ...SPLIT);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/MAE\s+0\.785\s+1\.024/);
    expect(r.stdout).toMatch(/RMSE\s+1\.608\s+2\.212/);
    expect(r.stdout).toMatch(/The model beats the naive baseline/);
    expect(r.stdout).toMatch(/7\+\s+64\s+6\.359\s+6\.157/);
    expect(r.stdout).toMatch(/78\s+holdout\s+4,339\s+4160\.6/);
  });

  it('the small shop (csv): scored with the fallback and its warnings', () => {
    const file = join(dir, 'shop.csv');
    const rows = smallShopOrders().map((o) => `${o.customerId},${o.date},${o.amount}`);
    writeFileSync(file, `customer_id,date,amount\n${rows.join('\n')}\n`);
    const r = cli(
      'evaluate',
      '--transactions',
      file,
      '--calibration-end',
      '2025-08-31',
      '--holdout-end',
      '2025-12-31',
      '--time-unit',
      'day',
      '--json',
    );
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ModelReport;
    expect(report.warnings.join('\n')).toMatch(/fewer than 500/);
    expect(report.warnings.join('\n')).toMatch(/first bought after the calibration end/);
    expect(Number.isFinite(report.mae)).toBe(true);
  });

  it('bad input: positioned errors, exit 1, nothing on stdout', () => {
    const badDate = cli(
      'evaluate',
      '--transactions',
      SAMPLE,
      '--format',
      'cdnow',
      '--calibration-end',
      '1997-02-30',
      '--holdout-end',
      '1998-06-30',
    );
    expect(badDate.code).toBe(1);
    expect(badDate.stderr).toMatch(/--calibration-end: invalid date "1997-02-30"/);
    expect(badDate.stdout).toBe('');
    const order = cli(
      'evaluate',
      '--transactions',
      SAMPLE,
      '--format',
      'cdnow',
      '--calibration-end',
      '1998-06-30',
      '--holdout-end',
      '1997-09-30',
    );
    expect(order.code).toBe(1);
    expect(order.stderr).toMatch(
      /--holdout-end \(1997-09-30\) must be after --calibration-end \(1998-06-30\)/,
    );
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'customer_id,date,amount\na,2025-01-01,10\nb,2025-13-01,5\n');
    const line = cli('evaluate', '--transactions', file, ...SPLIT);
    expect(line.code).toBe(1);
    expect(line.stderr).toContain(`${file}:3: unparsable date: "2025-13-01"`);
    const missing = cli('evaluate', '--transactions', join(dir, 'nope.csv'), ...SPLIT);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.csv: cannot read \(no such file\)/);
  });
});

describe('retention model fit on the small shop', () => {
  it('names the fallback, shows standard errors and the warnings a marketer needs', () => {
    const file = join(dir, 'shop-fit.csv');
    const rows = smallShopOrders().map((o) => `${o.customerId},${o.date},${o.amount}`);
    writeFileSync(file, `customer_id,date,amount\n${rows.join('\n')}\n`);
    const r = cli('fit', '--transactions', file, '--observation-end', '2026-11-20', '--time-unit', 'day');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/BG\/NBD fit\s+constant-dropout limit/);
    expect(r.stdout).toMatch(/BG\/NBD dropout probability\s+0\.\d+ ± 0\.0\d/);
    expect(r.stdout).toMatch(/BG\/NBD r\s+0\.\d+ ± /);
    expect(r.stdout).toMatch(/Warnings:\n {2}- only 150 customers/);
    expect(r.stdout).toMatch(/Gamma-Gamma q → ∞/);
    const json = JSON.parse(
      cli('fit', '--transactions', file, '--observation-end', '2026-11-20', '--time-unit', 'day', '--json')
        .stdout,
    ) as { fit: { method: string; warnings: string[] } };
    expect(json.fit.method).toBe('constant_dropout_limit');
    expect(json.fit.warnings.length).toBeGreaterThanOrEqual(3);
  });
});
