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
  if (format === 'csv') {
    let records: { record: Record<string, string>; info: { lines: number } }[];
    try {
      records = parse(text, {
        columns: true,
        info: true,
        skip_empty_lines: true,
        trim: true,
        bom: true,
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
      for (const issue of result.error.issues) {
        const field = issue.path.length > 0 ? issue.path.join('.') : 'row';
        const found =
          issue.path.length > 0 ? (record as Record<string, unknown>)[String(issue.path[0])] : undefined;
        problems.push({
          line,
          message: `${field}: ${issue.message}${found !== undefined && found !== '' ? ` (found ${JSON.stringify(found)})` : ''}`,
        });
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems: problems.sort((a, b) => a.line - b.line) };
  if (rows.length === 0) return { ok: false, problems: [{ line: 1, message: 'the file has no data rows' }] };
  return { ok: true, rows };
}
