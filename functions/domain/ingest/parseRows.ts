import { parse } from 'csv-parse/sync';
import type { z } from 'zod';

export type ImportFormat = 'csv' | 'jsonl';

export interface RowProblem {
  line: number;
  message: string;
}

export interface ParsedRow<T> {
  line: number;
  value: T;
}

export type ParseResult<T> = { ok: true; rows: ParsedRow<T>[] } | { ok: false; problems: RowProblem[] };

export function formatFromName(fileName: string): ImportFormat {
  return /\.(jsonl|ndjson)$/i.test(fileName) ? 'jsonl' : 'csv';
}

/**
 * Limits on one import file. The whole file is validated before the first write, so it is held in
 * memory: past these, split the file. A field or record larger than a few KB is not customer data.
 */
export const IMPORT_LIMITS = {
  /** Data rows (lines) per file. */
  maxRows: 1_000_000,
  /** Characters per CSV record or JSON Lines line. */
  maxRecordChars: 64 * 1024,
} as const;

/** 1-based line and column of a string offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/** Problems of the file as a whole (encoding, size), found before any row is parsed. */
function fileProblem(text: string): RowProblem | undefined {
  // Bytes that are not UTF-8 arrive as U+FFFD: both the CLI (readFile 'utf8') and the S3 reader
  // (transformToString) decode that way. Importing them would store "M\uFFFDller" for "Müller".
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0) {
    const at = lineColumn(text, bad);
    return {
      line: at.line,
      message: `column ${at.column}: the file is not UTF-8 text (bytes that are not UTF-8, or U+FFFD); save it as UTF-8 (Latin-1 and Windows-1252 are not accepted)`,
    };
  }
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    if (++lines > IMPORT_LIMITS.maxRows + 1) {
      return {
        line: IMPORT_LIMITS.maxRows + 2,
        message: `the file has more than ${IMPORT_LIMITS.maxRows.toLocaleString('en')} rows; split it into several files`,
      };
    }
  }
  return undefined;
}

/**
 * Parses and validates a whole import file. Every bad row is reported with its line number and
 * the field at fault; the caller writes nothing unless the whole file is valid.
 */
export function parseRows<S extends z.ZodType>(
  text: string,
  format: ImportFormat,
  schema: S,
  requiredColumns: readonly string[],
): ParseResult<z.output<S>> {
  const problems: RowProblem[] = [];
  const rows: ParsedRow<z.output<S>>[] = [];
  const raw: { line: number; record: unknown }[] = [];
  const refused = fileProblem(text);
  if (refused) return { ok: false, problems: [refused] };
  if (format === 'csv') {
    let records: { record: Record<string, string>; info: { lines: number } }[];
    try {
      records = parse(text, {
        columns: true,
        info: true,
        skip_empty_lines: true,
        trim: true,
        bom: true,
        max_record_size: IMPORT_LIMITS.maxRecordChars,
      }) as typeof records;
    } catch (error) {
      const e = error as { message: string; lines?: number };
      return {
        ok: false,
        problems: [{ line: e.lines ?? 1, message: e.message.replace(/ on line \d+$/, '') }],
      };
    }
    const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
    const columns = header.split(',').map((c) => c.trim());
    const missing = requiredColumns.filter((c) => !columns.includes(c));
    if (missing.length > 0) {
      return {
        ok: false,
        problems: [
          {
            line: 1,
            message: `missing column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')} (found: ${columns.join(', ')})`,
          },
        ],
      };
    }
    for (const r of records) raw.push({ line: r.info.lines, record: r.record });
  } else {
    const lines = text.split(/\r?\n/);
    lines.forEach((l, i) => {
      if (l.trim() === '') return;
      if (l.length > IMPORT_LIMITS.maxRecordChars) {
        problems.push({
          line: i + 1,
          message: `the line has ${l.length} characters, more than the limit of ${IMPORT_LIMITS.maxRecordChars}`,
        });
        return;
      }
      try {
        const value = JSON.parse(l) as unknown;
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          problems.push({ line: i + 1, message: 'expected a JSON object' });
        } else {
          raw.push({ line: i + 1, record: value });
        }
      } catch (error) {
        problems.push({ line: i + 1, message: `not valid JSON: ${(error as Error).message}` });
      }
    });
  }
  for (const { line, record } of raw) {
    const result = schema.safeParse(record);
    if (result.success) {
      rows.push({ line, value: result.data });
    } else {
      const reported = new Set<string>();
      for (const issue of result.error.issues) {
        const field = issue.path.length > 0 ? issue.path.join('.') : 'row';
        // One problem per field: a date that is not YYYY-MM-DD is not also "not a real date".
        if (reported.has(field)) continue;
        reported.add(field);
        const found =
          issue.path.length > 0 ? (record as Record<string, unknown>)[String(issue.path[0])] : undefined;
        problems.push({
          line,
          message: `${field}: ${issueMessage(issue)}${found !== undefined && found !== '' ? ` (found ${showFound(found)})` : ''}`,
        });
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems: problems.sort((a, b) => a.line - b.line) };
  if (rows.length === 0) return { ok: false, problems: [{ line: 1, message: 'the file has no data rows' }] };
  return { ok: true, rows };
}

/** JSON.stringify shows Infinity and NaN (from JSON Lines like `1e400`) as null. */
const showFound = (v: unknown): string =>
  typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v);

/**
 * zod says "Invalid input" when no branch of a union matched (amounts, booleans, attributes take a
 * number or a string): the message of the branch that got furthest says why, else the types allowed.
 */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue.message;
  const branches = issue.errors.flat();
  const specific = branches.find((b) => b.code !== 'invalid_type' && b.code !== 'invalid_union');
  if (specific) return issueMessage(specific);
  const expected = [
    ...new Set(branches.map((b) => (b.code === 'invalid_type' ? String(b.expected) : undefined))),
  ].filter((e): e is string => e !== undefined);
  return expected.length > 0 ? `expected ${expected.join(' or ')}` : issue.message;
}
