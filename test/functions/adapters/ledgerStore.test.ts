import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { LedgerStore } from '../../../functions/adapters/ledgerStore.js';
import type { TableNames } from '../../../functions/adapters/tableNames.js';

// LedgerStore.transition checks the domain's transition table before it writes anything.

const tables: TableNames = {
  customers: 'c',
  orders: 'o',
  config: 'cfg',
  ledger: 'ledger',
  suppression: 's',
};

function recordingStore() {
  const sent: { input: Record<string, unknown> }[] = [];
  const db = { send: async (command: { input: Record<string, unknown> }) => void sent.push(command) };
  return { store: new LedgerStore(db as unknown as DynamoDBDocumentClient, tables), sent };
}

describe('LedgerStore.transition', () => {
  it('refuses a transition the ledger does not allow, before any request', async () => {
    const { store, sent } = recordingStore();
    await expect(store.transition('2026-11-20#winback-30#C1', 'sent', 'queued')).rejects.toThrow(
      /illegal ledger transition sent → queued/,
    );
    await expect(store.transition('2026-11-20#winback-30#C1', 'ambiguous', 'queued')).rejects.toThrow();
    await expect(store.transition('2026-11-20#winback-30#C1', 'held_out', 'sent')).rejects.toThrow();
    expect(sent).toEqual([]);
  });

  it('writes an allowed one conditionally on the status read', async () => {
    const { store, sent } = recordingStore();
    expect(await store.transition('2026-11-20#winback-30#C1', 'claimed', 'ambiguous', { reason: 'r' })).toBe(
      true,
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]?.input).toMatchObject({
      TableName: 'ledger',
      Key: { sendKey: '2026-11-20#winback-30#C1' },
      ConditionExpression: '#s = :from',
      ExpressionAttributeValues: { ':from': 'claimed', ':to': 'ambiguous', ':reason': 'r' },
    });
  });
});
