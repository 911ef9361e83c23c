import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { documentClient } from '../../functions/adapters/clients.js';

/** Every table's items, canonical: keys sorted, sets as sorted arrays, items sorted by their JSON. */
export type TableSnapshot = Record<string, string[]>;

function canonical(value: unknown): unknown {
  if (value instanceof Set) return { $set: [...value].map(canonical).sort() };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * Scans every table of the embedded DynamoDB (all of them, as ListTables names them: a table added
 * later is covered without touching this helper) through the real SDK client, with consistent reads.
 */
export async function snapshotTables(): Promise<TableSnapshot> {
  const db = documentClient();
  const names: string[] = [];
  let startTable: string | undefined;
  do {
    const out = await db.send(new ListTablesCommand({ ExclusiveStartTableName: startTable }));
    names.push(...(out.TableNames ?? []));
    startTable = out.LastEvaluatedTableName;
  } while (startTable);
  const snapshot: TableSnapshot = {};
  for (const name of names.sort()) {
    const items: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await db.send(
        new ScanCommand({ TableName: name, ExclusiveStartKey: startKey, ConsistentRead: true }),
      );
      for (const item of out.Items ?? []) items.push(JSON.stringify(canonical(item)));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    snapshot[name] = items.sort();
  }
  return snapshot;
}

/** What changed between two snapshots, per table: items added and removed (a change is both). */
export function snapshotDiff(
  before: TableSnapshot,
  after: TableSnapshot,
): Record<string, { added: string[]; removed: string[] }> {
  const diff: Record<string, { added: string[]; removed: string[] }> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const b = new Set(before[table] ?? []);
    const a = new Set(after[table] ?? []);
    const added = [...a].filter((i) => !b.has(i));
    const removed = [...b].filter((i) => !a.has(i));
    if (added.length > 0 || removed.length > 0) diff[table] = { added, removed };
  }
  return diff;
}

/** Asserts that `act` leaves every table exactly as it was; returns what `act` returned. */
export async function expectTablesUnchanged<T>(act: () => Promise<T>): Promise<T> {
  const before = await snapshotTables();
  const result = await act();
  expect(snapshotDiff(before, await snapshotTables())).toEqual({});
  return result;
}
