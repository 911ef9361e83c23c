import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSession } from '../../cli/local/session.js';
import {
  type ImportReport,
  importCustomers,
  importOrders,
} from '../../functions/domain/ingest/importService.js';
import { openTestSession } from '../support/localWorld.js';
import { expectTablesUnchanged, snapshotDiff, snapshotTables } from '../support/tableSnapshot.js';
import { IMPORT_CASES, type ImportCase } from './cases.js';

// Every hostile import file is read as `retention import` reads it (readFile, utf8) and imported
// through the domain import service on the embedded DynamoDB: the whole file must be refused with
// `file:line: field: why`, and no table may change (the valid rows of a bad file are not written).

const DIR = join(import.meta.dirname, 'imports');
let world: Awaited<ReturnType<typeof openTestSession>>;
let session: LocalSession;
let generated: string;

async function runImport(kind: ImportCase['kind'], file: string): Promise<ImportReport> {
  const text = await readFile(file, 'utf8');
  return kind === 'customers'
    ? importCustomers(file, text, session.customers)
    : importOrders(file, text, session.customers, { retentionDays: 10_000 });
}

const formatted = (r: ImportReport) => r.problems.map((p) => `${r.file}:${p.line}: ${p.message}`);

describe('hostile import files: refused whole with file:line and why, nothing written', () => {
  beforeAll(async () => {
    world = await openTestSession('corpus-imports');
    session = world.session;
    generated = mkdtempSync(join(tmpdir(), 'retention-corpus-imports-'));
    expect(await runImport('customers', join(DIR, 'base-customers.csv'))).toMatchObject({
      ok: true,
      written: 2,
    });
    expect(await runImport('orders', join(DIR, 'base-orders.csv'))).toMatchObject({ ok: true, written: 2 });
  });
  afterAll(async () => {
    await world?.close();
    if (generated) rmSync(generated, { recursive: true, force: true });
  });

  it.each(IMPORT_CASES.map((c) => [`${c.kind}: ${c.name}`, c] as const))('%s', async (_name, c) => {
    let file: string;
    if (c.file) file = join(DIR, c.file);
    else {
      file = join(generated, c.as!);
      writeFileSync(file, c.generate!());
    }
    const report = await expectTablesUnchanged(() => runImport(c.kind, file));
    expect(report.ok, `${c.name} must be refused`).toBe(false);
    expect(report.written).toBe(0);
    expect(report.problems.length).toBeGreaterThan(0);
    expect(formatted(report).join('\n')).toMatch(c.expect);
  });

  it('imports a good file after all that (the snapshot check can fail)', async () => {
    const before = await snapshotTables();
    const good = join(generated, 'orders-good.csv');
    writeFileSync(good, 'order_id,customer_id,date,amount,currency\no9,c2,2025-03-01,12.5,EUR\n');
    expect(await runImport('orders', good)).toMatchObject({ ok: true, written: 1 });
    expect(Object.keys(snapshotDiff(before, await snapshotTables())).sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/orders/), expect.stringMatching(/customers/)]),
    );
    // The Latin-1 file decodes to U+FFFD, which is what the refusal is about.
    expect(readFileSync(join(DIR, 'customers-latin1.csv'), 'utf8')).toContain('\uFFFD');
  });
});
