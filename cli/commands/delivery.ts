import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { Command } from 'commander';
import { documentClient } from '../../functions/adapters/clients.js';
import type { LedgerEntry } from '../../functions/adapters/ledgerStore.js';
import { LedgerStore } from '../../functions/adapters/ledgerStore.js';
import type { TableNames } from '../../functions/adapters/tableNames.js';
import { maskEmail } from '../../functions/domain/delivery/emailAddress.js';
import { encodeSendTag } from '../../functions/domain/delivery/sendTag.js';
import { SES_TAG_NAMES } from '../../functions/domain/delivery/sesEvents.js';
import {
  buildSesEventBridgeEvent,
  SIMULATED_EVENT_TYPES,
  type SimulatedEventType,
} from '../../functions/domain/delivery/simulatedSesEvent.js';
import type { SesEventsResult } from '../../functions/handlers/sesEvents.js';
import { openLocalSession } from '../local/session.js';
import { startUnsubscribeServer } from '../local/unsubscribeServer.js';

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new Error(`expected a TCP port, got "${value}"`);
  return n;
}

function parseDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new Error(`expected a date as YYYY-MM-DD, got "${value}"`);
  }
  return value;
}

/** The sent (or ambiguous) ledger entry a simulated event is about. */
export async function findSentEntry(
  tables: TableNames,
  by: { sendKey?: string; customerId?: string; campaignId?: string; runDate?: string },
): Promise<LedgerEntry | undefined> {
  const db = documentClient();
  const usable = (e: LedgerEntry) => e.status === 'sent' || e.status === 'ambiguous';
  if (by.sendKey) {
    const entry = await new LedgerStore(db, tables).get(by.sendKey);
    return entry && usable(entry) ? entry : undefined;
  }
  const names: Record<string, string> = { '#c': 'customerId' };
  const values: Record<string, unknown> = { ':c': by.customerId };
  const filters = ['#c = :c'];
  if (by.campaignId) {
    names['#k'] = 'campaignId';
    values[':k'] = by.campaignId;
    filters.push('#k = :k');
  }
  if (by.runDate) {
    names['#d'] = 'runDate';
    values[':d'] = by.runDate;
    filters.push('#d = :d');
  }
  const found: LedgerEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new ScanCommand({
        TableName: tables.ledger,
        FilterExpression: filters.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ExclusiveStartKey: startKey,
      }),
    );
    found.push(...((out.Items ?? []) as LedgerEntry[]).filter(usable));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  found.sort((a, b) => b.runDate.localeCompare(a.runDate));
  return found[0];
}

function localContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'sesEvents',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sesEvents',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/sesEvents',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function registerDeliveryCommands(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve the unsubscribe endpoint and preference centre (the same Lambda handler) on 127.0.0.1, where the local outbox emails link to',
    )
    .option(
      '--port <port>',
      'TCP port (the emails point to UNSUBSCRIBE_BASE_URL=http://127.0.0.1:<port>/u)',
      parsePort,
      8787,
    )
    .action(async (opts: { port: number }) => {
      const session = await openLocalSession({
        overrides: { UNSUBSCRIBE_BASE_URL: `http://127.0.0.1:${opts.port}/u` },
      });
      let server: Awaited<ReturnType<typeof startUnsubscribeServer>>;
      try {
        server = await startUnsubscribeServer({ port: opts.port });
      } catch (error) {
        await session.close();
        throw error;
      }
      process.stderr.write(
        `unsubscribe endpoint and preference centre on ${server.url} (open a List-Unsubscribe link from .retention/outbox/); Ctrl-C stops\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      await session.close();
    });

  const events = program
    .command('events')
    .description('SES delivery feedback (bounces, complaints, opens, clicks)');
  events
    .command('simulate')
    .description(
      'Feed a realistic SES EventBridge event for a sent email through the SES events handler, on the local database',
    )
    .argument('<type>', `one of ${SIMULATED_EVENT_TYPES.join(', ')}`)
    .option('--send-key <key>', 'the ledger entry, e.g. 2026-11-20#winback-30#C000123')
    .option('--customer <id>', 'the customer (latest sent email, narrowed by --campaign / --date)')
    .option('--campaign <id>', 'campaign id (with --customer)')
    .option('--date <date>', 'run date (with --customer)', parseDate)
    .option('--transient', 'bounce: a transient (soft) bounce, which does not suppress')
    .option('--link <url>', 'click: the link clicked')
    .option('--print', 'also print the EventBridge payload')
    .action(
      async (
        type: string,
        opts: {
          sendKey?: string;
          customer?: string;
          campaign?: string;
          date?: string;
          transient?: boolean;
          link?: string;
          print?: boolean;
        },
      ) => {
        if (!SIMULATED_EVENT_TYPES.includes(type as SimulatedEventType)) {
          throw new Error(
            `unknown event type "${type}": expected one of ${SIMULATED_EVENT_TYPES.join(', ')}`,
          );
        }
        if (!opts.sendKey === !opts.customer) throw new Error('give exactly one of --send-key or --customer');
        const session = await openLocalSession();
        try {
          const entry = await findSentEntry(session.tables, {
            ...(opts.sendKey ? { sendKey: opts.sendKey } : {}),
            ...(opts.customer ? { customerId: opts.customer } : {}),
            ...(opts.campaign ? { campaignId: opts.campaign } : {}),
            ...(opts.date ? { runDate: opts.date } : {}),
          });
          if (!entry) throw new Error('no sent email found in the local ledger for that selection');
          const customer = await session.customers.get(entry.customerId);
          if (!customer) throw new Error(`customer ${entry.customerId} not found`);
          const sendTag = encodeSendTag(entry.sendKey);
          const payload = buildSesEventBridgeEvent({
            type: type as SimulatedEventType,
            messageId: entry.messageId ?? `local-${entry.sendKey}`,
            recipient: customer.profile.email,
            from: `${session.config.SENDER_NAME} <${session.config.SENDER_EMAIL}>`,
            tags: {
              [SES_TAG_NAMES.runDate]: entry.runDate,
              [SES_TAG_NAMES.campaignId]: entry.campaignId,
              [SES_TAG_NAMES.segmentId]: entry.segmentId,
              ...(sendTag ? { [SES_TAG_NAMES.sendId]: sendTag } : {}),
            },
            sentAt: entry.finishedAt ?? entry.createdAt,
            at: new Date().toISOString(),
            ...(opts.transient ? { transient: true } : {}),
            ...(opts.link ? { link: opts.link } : {}),
          });
          if (opts.print) process.stdout.write(`${JSON.stringify(payload, null, 2)}\n`);
          const { handler, LedgerOutcomePending } = await import('../../functions/handlers/sesEvents.js');
          let result: SesEventsResult;
          try {
            result = (await handler(payload, localContext())) as SesEventsResult;
          } catch (error) {
            if (!(error instanceof LedgerOutcomePending)) throw error;
            // On AWS, Lambda retries the event; locally nothing does. One line, no stack trace.
            const status = error.pending[0]?.status ?? 'queued';
            process.stderr.write(
              `ledger entry ${entry.sendKey} has no send outcome recorded yet (${status}): suppression and ` +
                'counters applied, the entry left unchanged (on AWS the event would be retried); simulate ' +
                'again once the send stage has recorded it\n',
            );
            process.exitCode = 1;
            return;
          }
          process.stdout.write(
            `${JSON.stringify({ sendKey: entry.sendKey, to: maskEmail(customer.profile.email), type, result })}\n`,
          );
        } finally {
          await session.close();
        }
      },
    );
}
