import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stringify } from 'csv-stringify';
import { decisionPages } from '../../functions/adapters/decisionReader.js';
import { RunStore } from '../../functions/adapters/runStore.js';
import type { TableNames } from '../../functions/adapters/tableNames.js';
import { wavesFromCounts } from '../../functions/domain/delivery/sendWaves.js';
import {
  DECISION_COLUMNS,
  type DecisionRow,
  decisionCells,
} from '../../functions/domain/measurement/decisions.js';
import type { IsoDate } from '../../functions/domain/types.js';

/** The night's decisions, page by page; a clear error when that night never ran here. */
export async function nightDecisions(
  db: DynamoDBDocumentClient,
  tables: TableNames,
  runDate: IsoDate,
): Promise<AsyncGenerator<DecisionRow[]>> {
  const runs = new RunStore(db, tables);
  const record = await runs.get(runDate);
  if (!record)
    throw new Error(`no night was run on ${runDate}: run \`retention run --date ${runDate}\` first`);
  // The emails to send are filed under their send wave: the waves come from the score segments'
  // counters, as the night planned them.
  const totals: Record<string, number> = {};
  for (const p of await runs.listProgress(runDate, 'score'))
    for (const [k, v] of Object.entries(p.counts)) totals[k] = (totals[k] ?? 0) + v;
  const waveIds = wavesFromCounts(totals).map((w) => w.waveId);
  return decisionPages(db, tables, runDate, record.totalSegments, waveIds);
}

async function* rowsOf(pages: AsyncIterable<DecisionRow[]>): AsyncGenerator<string[]> {
  for await (const page of pages) for (const row of page) yield decisionCells(row);
}

/**
 * Streams rows as CSV with a header into `out` without ending it (stdout must stay open). Cells a
 * spreadsheet would run as a formula get a leading apostrophe (csv-stringify's escape_formulas).
 * Returns the number of rows written. Backpressure holds: memory stays at a few pages.
 */
export async function writeCsv(
  columns: readonly string[],
  rows: AsyncIterable<string[]>,
  out: Writable,
): Promise<number> {
  let n = 0;
  const counted = async function* (source: AsyncIterable<string[]>) {
    for await (const row of source) {
      n++;
      yield row;
    }
  };
  await pipeline(
    Readable.from(counted(rows)),
    stringify({ header: true, columns: [...columns], escape_formulas: true }),
    async (csv: AsyncIterable<Buffer | string>) => {
      // Backpressure by hand: pipeline() would end `out`, and stdout must not be ended.
      for await (const chunk of csv) if (!out.write(chunk)) await once(out, 'drain');
    },
  );
  return n;
}

/** The decisions as CSV: `customer_id,campaign_id,segment_id,group,status`. */
export function writeDecisionsCsv(pages: AsyncIterable<DecisionRow[]>, out: Writable): Promise<number> {
  return writeCsv(DECISION_COLUMNS, rowsOf(pages), out);
}

/**
 * Writes to `file` through a temporary file renamed at the end, so a failed export leaves no
 * half-written file behind (and an earlier export of the same name untouched).
 */
export async function writeFileAtomically(
  file: string,
  write: (out: Writable) => Promise<number>,
): Promise<number> {
  const partial = `${file}.partial-${process.pid}`;
  const out = createWriteStream(partial, { flags: 'wx' });
  try {
    await once(out, 'open');
    const n = await write(out);
    out.end();
    await once(out, 'finish');
    await rename(partial, file);
    return n;
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    throw error;
  }
}
