// Option parsers shared by the CLI commands (commander calls them with the raw text).

export function parseDate(value: string): string {
  const date = new Date(`${value}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(date.getTime()) ||
    date.toISOString().slice(0, 10) !== value
  ) {
    throw new Error(`expected a date as YYYY-MM-DD, got "${value}"`);
  }
  return value;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive whole number, got "${value}"`);
  return n;
}

/** An ISO 8601 instant with a zone (`2026-12-03T12:00:00Z`, `2026-12-03T13:00+01:00`), as epoch ms. */
export function parseInstant(value: string): number {
  const ms = Date.parse(value);
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ||
    Number.isNaN(ms)
  ) {
    throw new Error(
      `expected an instant as YYYY-MM-DDTHH:MM[:SS]Z or with an offset (+01:00), got "${value}"`,
    );
  }
  return ms;
}
