import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localContext, runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { startUnsubscribeServer, type UnsubscribeServer } from '../../cli/local/unsubscribeServer.js';
import { documentClient, sesClient } from '../../functions/adapters/clients.js';
import type { ObjectStore } from '../../functions/adapters/s3Objects.js';
import { encodeSendTag } from '../../functions/domain/delivery/sendTag.js';
import { SES_TAG_NAMES } from '../../functions/domain/delivery/sesEvents.js';
import { buildSesEventBridgeEvent } from '../../functions/domain/delivery/simulatedSesEvent.js';
import { logger } from '../../functions/handlers/deps.js';
import { processImportUpload } from '../../functions/handlers/importUpload.js';
import { handler as sesEventsHandler } from '../../functions/handlers/sesEvents.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

// Engineers read logs; customers' addresses and names must never be in them (docs/operations.md,
// "Personal data"). A local night at DEBUG with the handlers' log output captured, plus the
// unsubscribe and preference endpoint, the SES events handler and the error paths: a rejected send,
// a bad import row, bad tokens, an event without a ledger entry, an event of an unknown shape.

// The handlers' logger takes its threshold from POWERTOOLS_LOG_LEVEL when deps.ts is first imported,
// and injectLambdaContext resets it to that on every warm invocation (as cli/localDefaults.ts relies
// on): it must be DEBUG before the imports run.
const previousLevel = vi.hoisted(() => {
  const before = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  return before;
});

const NIGHT = '2026-11-20';

interface Person {
  customerId: string;
  email: string;
  firstName?: string;
  lastName?: string;
}

describe('no personal data in any log line', () => {
  let session: LocalSession;
  let server: UnsubscribeServer;
  let close: () => Promise<void>;
  const people: Person[] = [];
  const lines: string[] = [];
  let rejected = 0;

  const capture = (chunk: unknown) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  };

  beforeAll(async () => {
    server = await startUnsubscribeServer({ port: 0 });
    ({ session, close } = await openTestSession('pii', {
      UNSUBSCRIBE_BASE_URL: server.url,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    }));
    await seedWithExamples(session, { customers: 400, seed: 23, asOf: NIGHT });
    const out = await documentClient().send(new ScanCommand({ TableName: session.tables.customers }));
    for (const c of out.Items ?? []) {
      const p = c.profile as { email: string; firstName?: string; lastName?: string };
      people.push({ customerId: String(c.customerId), ...p });
    }

    // Everything from here on is captured: the Powertools logger (JSON lines on stdout and
    // stderr) and anything that writes to the console.
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, m).mockImplementation(
        (...args: unknown[]) => void capture(args.map(String).join(' ')),
      );
    }

    // A rejected send that quotes the recipient, as SES does for an unverified address.
    const ses = sesClient();
    (ses.middlewareStack.add as (m: unknown, o: object) => void)(
      (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: unknown) => {
          const input = (args as { input: { Destination?: { ToAddresses?: string[] } } }).input;
          if (context.commandName === 'SendEmailCommand' && rejected < 3) {
            rejected += 1;
            throw Object.assign(
              new Error(
                `Email address is not verified. The following identities failed the check in region US-EAST-1: ${input.Destination?.ToAddresses?.join(', ')}`,
              ),
              { name: 'MessageRejected', $fault: 'client', $metadata: { httpStatusCode: 400 } },
            );
          }
          return next(args);
        },
      { step: 'initialize', name: 'testRejectSome' },
    );
    try {
      await runNight({ runDate: NIGHT });
    } finally {
      ses.middlewareStack.remove('testRejectSome');
    }
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    if (previousLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = previousLevel;
    await server?.close();
    await close?.();
  });

  async function sentEntries(): Promise<Record<string, unknown>[]> {
    const out = await documentClient().send(new ScanCommand({ TableName: session.tables.ledger }));
    return (out.Items ?? []).filter((e) => e.status === 'sent' && e.messageId);
  }

  it('the night, with sends SES rejected, logs at DEBUG', async () => {
    expect(rejected).toBe(3);
    const failed = (
      await documentClient().send(new ScanCommand({ TableName: session.tables.ledger }))
    ).Items?.filter((e) => e.status === 'failed');
    expect(failed?.length).toBeGreaterThanOrEqual(3);
    // The stored reason keeps the service's words, with the address masked (the ledger keeps ids only).
    for (const e of failed ?? []) expect(String(e.reason)).not.toMatch(/[^*\s]@/);
    expect(lines.some((l) => l.includes('"send failed"'))).toBe(true);
    // Capture works and the threshold is DEBUG: every level the handlers log at is in the capture.
    expect(logger.getLevelName()).toBe('DEBUG');
    expect(lines.some((l) => l.includes('"message":"run prepared"') && l.includes('"level":"INFO"'))).toBe(
      true,
    );
  });

  it('the unsubscribe endpoint and preference centre, with good and bad tokens', async () => {
    const { loadUnsubscribeKeys } = await import('../../functions/adapters/unsubscribeKeys.js');
    const { signUnsubscribeToken } = await import('../../functions/domain/delivery/unsubscribeToken.js');
    const ring = await loadUnsubscribeKeys(session.config);
    const [a, b] = (await sentEntries()) as { customerId: string; campaignId: string }[];
    const link = (customerId: string, campaignId: string) =>
      `${server.url}?token=${signUnsubscribeToken(ring, { customerId, campaignId, issuedAt: NIGHT })}`;
    const page = await fetch(link(a!.customerId, a!.campaignId));
    expect(page.status).toBe(200);
    const saved = await fetch(link(a!.customerId, a!.campaignId), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'action=save&topic_offers=on&frequency=monthly',
    });
    expect([200, 400]).toContain(saved.status);
    const oneClick = await fetch(link(b!.customerId, b!.campaignId), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    // A customer id no one has, a forged MAC, garbage.
    expect((await fetch(link('no-such-customer', 'x'))).status).toBe(404);
    const token = new URL(link(a!.customerId, a!.campaignId)).searchParams.get('token')!;
    expect((await fetch(`${server.url}?token=${token.slice(0, -2)}AA`)).status).toBe(403);
    expect((await fetch(`${server.url}?token=${encodeURIComponent(people[0]!.email)}`)).status).toBe(400);
    expect(lines.some((l) => l.includes('"unsubscribed"'))).toBe(true);
    expect(lines.some((l) => l.includes('"unsubscribe request refused"'))).toBe(true);
  });

  it('the SES events handler: bounces, complaints, opens, an unmatched and an unknown event', async () => {
    const entries = (await sentEntries()).slice(2, 6) as {
      sendKey: string;
      customerId: string;
      runDate: string;
      campaignId: string;
      segmentId: string;
      messageId: string;
      finishedAt: string;
    }[];
    const emailOf = new Map(people.map((p) => [p.customerId, p.email]));
    const from = `${session.config.SENDER_NAME} <${session.config.SENDER_EMAIL}>`;
    const types = ['bounce', 'complaint', 'open', 'click'] as const;
    for (const [i, e] of entries.entries()) {
      await sesEventsHandler(
        buildSesEventBridgeEvent({
          type: types[i % types.length]!,
          messageId: e.messageId,
          recipient: emailOf.get(e.customerId)!,
          from,
          tags: {
            [SES_TAG_NAMES.runDate]: e.runDate,
            [SES_TAG_NAMES.campaignId]: e.campaignId,
            [SES_TAG_NAMES.segmentId]: e.segmentId,
            [SES_TAG_NAMES.sendId]: encodeSendTag(e.sendKey)!,
          },
          sentAt: e.finishedAt,
        }),
        localContext('sesEvents', 30_000),
      );
    }
    // An event for a message the ledger does not know, and one of a shape it does not know.
    await sesEventsHandler(
      buildSesEventBridgeEvent({
        type: 'bounce',
        messageId: 'unknown-message',
        recipient: people[1]!.email,
        from,
        tags: {},
        sentAt: new Date().toISOString(),
      }),
      localContext('sesEvents', 30_000),
    );
    await sesEventsHandler(
      {
        source: 'aws.ses',
        'detail-type': 'Email Bounced',
        detail: { mail: { destination: [people[2]!.email] } },
      },
      localContext('sesEvents', 30_000),
    );
    expect(lines.some((l) => l.includes('"SES event applied"'))).toBe(true);
    expect(lines.some((l) => l.includes('without a matching ledger entry'))).toBe(true);
    expect(lines.some((l) => l.includes('parked'))).toBe(true);
  });

  it('an import file with a bad row that holds a real address', async () => {
    const p = people[3]!;
    const objects = new Map<string, string>([
      [
        'imports/customers/bad.csv',
        'customer_id,email,first_name,last_name,country,language,time_zone,signup_date,email_consent\n' +
          `${p.customerId},${p.email},${p.firstName ?? 'X'},${p.lastName ?? 'Y'},GB,en,Mars/Base,2024-01-02,maybe\n`,
      ],
    ]);
    const store: ObjectStore = {
      getText: async (key) => objects.get(key),
      putText: async (key, body) => void objects.set(key, body),
      putJson: async (key, value) => void objects.set(key, JSON.stringify(value)),
    };
    const status = await processImportUpload(store, 'imports/customers/bad.csv', session.customers, {
      retentionDays: session.config.ORDER_RETENTION_DAYS,
      now: () => new Date(),
    });
    expect(status?.status).toBe('rejected');
    // The status object, which an operator reads next to the file, names line and field, not the value.
    expect(status?.problems.join('\n')).not.toContain(p.email);
  });

  it('in all of it, no seeded address, first name or last name, and no masked address either', () => {
    // The capture works: the handlers' structured lines (DEBUG and up) are here to be searched.
    const structured = lines.filter((l) => l.startsWith('{') && l.includes('"level"'));
    expect(structured.length).toBeGreaterThan(10);
    const text = lines.join('\n');
    const leaks: string[] = [];
    for (const p of people) {
      if (text.toLowerCase().includes(p.email.toLowerCase())) leaks.push(`${p.customerId}: email`);
      for (const name of [p.firstName, p.lastName]) {
        if (!name || name.length < 3) continue;
        const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        if (new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u').test(text)) {
          leaks.push(`${p.customerId}: name ${name}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    // Logs name people by customer id; even a masked address (j***@e***.com) is not needed.
    expect(lines.filter((l) => /\*\*\*@/.test(l))).toEqual([]);
  });
});
