import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nightDecisions, writeDecisionsCsv, writeFileAtomically } from '../../cli/local/decisions.js';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { writeResponsesCsv } from '../../cli/seed/responseSimulator.js';
import { documentClient } from '../../functions/adapters/clients.js';
import type { LedgerEntry } from '../../functions/adapters/ledgerStore.js';
import { importOrders } from '../../functions/domain/ingest/importService.js';
import type { DecisionRow } from '../../functions/domain/measurement/decisions.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

const RUN_DATE = '2026-11-20';

/** A Writable that keeps what it is given, and is slow to drain (exercises backpressure). */
function collector(): { out: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      setImmediate(done);
    },
  });
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function* pagesOf(rows: DecisionRow[], size: number): AsyncGenerator<DecisionRow[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

describe('retention export decisions', () => {
  let session: LocalSession;
  let home: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ session, home, close } = await openTestSession('export', { GLOBAL_CONTROL_PERCENT: '10' }));
    await seedWithExamples(session, { customers: 1500, seed: 11, asOf: RUN_DATE });
    await runNight({ runDate: RUN_DATE });
  }, 240_000);

  afterAll(async () => {
    await close?.();
  });

  it('writes one row per ledger entry of the night, with its arm and status (intention-to-treat)', async () => {
    const scan = await documentClient().send(new ScanCommand({ TableName: session.tables.ledger }));
    const entries = (scan.Items ?? []) as LedgerEntry[];
    expect(entries.length).toBeGreaterThan(20);

    const { out, text } = collector();
    const n = await writeDecisionsCsv(await nightDecisions(documentClient(), session.tables, RUN_DATE), out);
    const lines = text().trimEnd().split('\n');
    expect(lines[0]).toBe('customer_id,campaign_id,segment_id,group,status');
    const rows = parse(text(), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(entries.length);
    expect(n).toBe(entries.length);

    const expected = entries
      .map((e) => ({
        customer_id: e.customerId,
        campaign_id: e.campaignId,
        segment_id: e.segmentId,
        group:
          e.status === 'held_out'
            ? 'holdout'
            : e.status === 'global_control'
              ? 'global_control'
              : 'treatment',
        status: e.status,
      }))
      .sort((a, b) => `${a.customer_id}#${a.campaign_id}`.localeCompare(`${b.customer_id}#${b.campaign_id}`));
    const got = [...rows].sort((a, b) =>
      `${a.customer_id}#${a.campaign_id}`.localeCompare(`${b.customer_id}#${b.campaign_id}`),
    );
    expect(got).toEqual(expected);
    // The night has all three arms, and treatment rows carry the send outcome, not a queue state.
    const groups = new Set(rows.map((r) => r.group));
    expect(groups).toEqual(new Set(['treatment', 'holdout', 'global_control']));
    expect(rows.filter((r) => r.group === 'treatment').every((r) => r.status !== 'queued')).toBe(true);
    expect(rows.filter((r) => r.group === 'holdout').every((r) => r.status === 'held_out')).toBe(true);
  });

  it('a night that never ran is a clear error, and the file is not created', async () => {
    await expect(nightDecisions(documentClient(), session.tables, '2026-11-21')).rejects.toThrow(
      /no night was run on 2026-11-21/,
    );
  });

  it('a failed export leaves no file behind', async () => {
    const file = join(home, 'decisions.csv');
    async function* failing(): AsyncGenerator<DecisionRow[]> {
      yield [{ customerId: 'c1', campaignId: 'w', segmentId: 's', group: 'treatment', status: 'sent' }];
      throw new Error('read failed');
    }
    await expect(writeFileAtomically(file, (out) => writeDecisionsCsv(failing(), out))).rejects.toThrow(
      'read failed',
    );
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
    const n = await writeFileAtomically(file, async (out) =>
      writeDecisionsCsv(await nightDecisions(documentClient(), session.tables, RUN_DATE), out),
    );
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(n + 1);
  });
  it('the simulated responses to the night import cleanly, and a second import adds nothing', async () => {
    const file = join(home, 'responses.csv');
    const options = {
      runDate: RUN_DATE,
      baseRate: 0.3,
      extraRateForTreatment: 0.2,
      orderValue: { kind: 'gamma', mean: 60, shape: 4 },
      days: 7,
      seed: 3,
    } as const;
    const n = await writeFileAtomically(file, async (out) =>
      writeResponsesCsv(await nightDecisions(documentClient(), session.tables, RUN_DATE), options, out),
    );
    expect(n).toBeGreaterThan(0);
    const text = readFileSync(file, 'utf8');
    const retentionDays = session.config.ORDER_RETENTION_DAYS;
    const first = await importOrders(file, text, session.customers, { retentionDays });
    expect(first.problems).toEqual([]);
    expect(first).toMatchObject({ ok: true, rows: n, written: n });
    const again = await importOrders(file, text, session.customers, { retentionDays });
    expect(again).toMatchObject({ ok: true, written: 0, unchanged: n });
  });
});

describe('the decisions CSV', () => {
  it('neutralises cells a spreadsheet would run as formulas and quotes what needs quoting', async () => {
    const rows: DecisionRow[] = [
      { customerId: '-2-1', campaignId: 'w', segmentId: 's', group: 'treatment', status: 'sent' },
      {
        customerId: '=HYPERLINK("x")',
        campaignId: 'w',
        segmentId: '+1',
        group: 'holdout',
        status: 'held_out',
      },
      { customerId: '@SUM(A1)', campaignId: 'w', segmentId: '\tx', group: 'treatment', status: 'failed' },
      {
        customerId: 'a,b',
        campaignId: 'w',
        segmentId: 's',
        group: 'global_control',
        status: 'global_control',
      },
    ];
    const { out, text } = collector();
    await writeDecisionsCsv(pagesOf(rows, 3), out);
    const parsed = parse(text(), { columns: true }) as Record<string, string>[];
    expect(parsed.map((r) => r.customer_id)).toEqual(["'-2-1", '\'=HYPERLINK("x")', "'@SUM(A1)", 'a,b']);
    expect(parsed.map((r) => r.segment_id)).toEqual(['s', "'+1", "'\tx", 's']);
  });

  it('streams: 200,000 rows through a slow writer, generated page by page', async () => {
    const total = 200_000;
    async function* generated(): AsyncGenerator<DecisionRow[]> {
      for (let p = 0; p < total / 1000; p++) {
        yield Array.from({ length: 1000 }, (_, i) => ({
          customerId: `c${p * 1000 + i}`,
          campaignId: 'win-back',
          segmentId: 'lapsed',
          group: 'treatment' as const,
          status: 'sent' as const,
        }));
      }
    }
    let bytes = 0;
    let lines = 0;
    const out = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        for (const b of chunk) if (b === 10) lines++;
        setImmediate(done);
      },
    });
    const n = await writeDecisionsCsv(generated(), out);
    expect(n).toBe(total);
    expect(lines).toBe(total + 1);
    expect(bytes).toBeGreaterThan(total * 20);
  });
});

describe('the command line', () => {
  const cli = (home: string, ...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
      encoding: 'utf8',
      env: { ...process.env, RETENTION_HOME: home },
    });

  it('rejects a bad date and a night that never ran, exit 1, nothing on stdout', () => {
    const home = mkdtempSync(join(tmpdir(), 'retention-export-cli-'));
    try {
      const bad = cli(home, 'export', 'decisions', '--date', '2026-02-30');
      expect(bad.status).toBe(1);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toContain('expected a date as YYYY-MM-DD, got "2026-02-30"');
      const none = cli(home, 'export', 'decisions', '--date', '2026-02-03', '--out', join(home, 'x.csv'));
      expect(none.status).toBe(1);
      expect(none.stderr).toContain('no night was run on 2026-02-03');
      expect(() => readFileSync(join(home, 'x.csv'))).toThrow(/ENOENT/);
      const uplift = cli(
        home,
        'seed',
        'responses',
        '--date',
        '2026-02-03',
        '--uplift',
        '2',
        '--out',
        join(home, 'o.csv'),
      );
      expect(uplift.status).toBe(1);
      expect(uplift.stderr).toContain('uplift 2 with base rate 0.05 gives a treatment rate outside 0 to 1');
      const seed = cli(home, 'seed');
      expect(seed.status).toBe(1);
      expect(seed.stderr).toContain("required option '--customers <n>' not specified");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
