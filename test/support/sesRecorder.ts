import type { SendEmailCommandInput, SendEmailCommandOutput } from '@aws-sdk/client-sesv2';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, sesClient } from '../../functions/adapters/clients.js';
import { CustomerStore } from '../../functions/adapters/customerStore.js';
import { type LedgerEntry, LedgerStore, ledgerKey, runShard } from '../../functions/adapters/ledgerStore.js';
import type { TableNames } from '../../functions/adapters/tableNames.js';

export interface RecordedSend {
  /** performance.timeOrigin + performance.now() when the SendEmail call started (ms). */
  at: number;
  to: string;
  input: SendEmailCommandInput;
  messageId?: string | undefined;
}

/**
 * Records every SendEmail call the shared SES client makes (the stage's own client), with the time it
 * was started: the moment the pacer let it go. `after` runs once SES answered (test hooks such as a
 * simulated bounce). Returns a function that removes the middleware.
 */
export function recordSends(into: RecordedSend[], after?: (send: RecordedSend) => Promise<void>): () => void {
  const ses = sesClient();
  const name = `recordSends${Math.random().toString(36).slice(2)}`;
  ses.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendEmailCommand') return next(args);
      const input = args.input as SendEmailCommandInput;
      const send: RecordedSend = {
        at: performance.timeOrigin + performance.now(),
        to: input.Destination?.ToAddresses?.[0] ?? '',
        input,
      };
      into.push(send);
      const out = await next(args);
      send.messageId = (out.output as SendEmailCommandOutput).MessageId;
      if (after) await after(send);
      return out;
    },
    { step: 'initialize', name },
  );
  return () => {
    ses.middlewareStack.remove(name);
  };
}

export async function scanLedger(tables: TableNames): Promise<LedgerEntry[]> {
  const items: LedgerEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await documentClient().send(
      new ScanCommand({ TableName: tables.ledger, ExclusiveStartKey: startKey }),
    );
    items.push(...((out.Items ?? []) as LedgerEntry[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * Clones the night's sent decisions into `n` queued ledger entries for fresh customers (own id and
 * address), spread round-robin over `segments` (as bench/sending.ts does), so the send stage has
 * enough to send without seeding a bigger population.
 */
export async function cloneQueued(
  tables: TableNames,
  runDate: string,
  n: number,
  segments: readonly number[],
  waveId: string,
): Promise<LedgerEntry[]> {
  const db = documentClient();
  const sent = (await scanLedger(tables)).filter((e) => e.status === 'sent' && e.runDate === runDate);
  if (sent.length === 0) throw new Error('the night sent nothing to clone');
  const customers = new CustomerStore(db, tables);
  const originals = await customers.batchGet([...new Set(sent.map((e) => e.customerId))]);
  const clones: Parameters<CustomerStore['bulkPut']>[0][number][] = [];
  const queued: LedgerEntry[] = [];
  for (let i = 0; i < n; i++) {
    const base = sent[i % sent.length] as LedgerEntry;
    const original = originals.get(base.customerId);
    if (!original) throw new Error(`no customer ${base.customerId}`);
    const customerId = `${base.customerId}-clone${i}`;
    const segment = segments[i % segments.length] as number;
    clones.push({
      ...original,
      customerId,
      profile: { ...original.profile, customerId, email: `clone.${i}@example.com` },
    });
    const { messageId: _m, finishedAt: _f, reason: _r, ...rest } = base;
    queued.push({
      ...rest,
      sendKey: ledgerKey(runDate, base.campaignId, customerId),
      runShard: runShard(runDate, segment, waveId),
      wave: waveId,
      segment,
      customerId,
      status: 'queued',
    });
  }
  await new LedgerStore(db, tables).putOutcomes(queued);
  await customers.bulkPut(clones);
  return queued;
}
