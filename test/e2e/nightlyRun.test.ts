import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOutbox } from '../../cli/local/outbox.js';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { documentClient } from '../../functions/adapters/clients.js';
import type { LedgerEntry } from '../../functions/adapters/ledgerStore.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

const RUN_DATE = '2026-11-20';

async function ledger(session: LocalSession): Promise<LedgerEntry[]> {
  const out = await documentClient().send(new ScanCommand({ TableName: session.tables.ledger }));
  return (out.Items ?? []) as LedgerEntry[];
}

describe('a night through the real state machine and handlers', () => {
  let session: LocalSession;
  let home: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ session, home, close } = await openTestSession('e2e'));
    await seedWithExamples(session, { customers: 600, seed: 7, asOf: RUN_DATE });
  });

  afterAll(async () => {
    await close?.();
  });

  it('scores everyone, sends the decided emails with unsubscribe headers, and a re-run sends nothing new', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const first = await runNight({ runDate: RUN_DATE });
    const summary = first.summary;
    expect(summary.customers).toBe(600);
    expect(summary.models).not.toBeNull();
    // Everyone with orders is scored; customers without orders are prospects with nothing to score.
    expect(summary.unscorable).toBe(0);
    expect(summary.scored).toBe(600 - (summary.stages.prospect ?? 0));
    expect(summary.scored).toBeGreaterThan(0);
    expect(Object.values(summary.stages).reduce((a, b) => a + b, 0)).toBe(600);
    expect(first.work.stepFunctions.stateTransitions).toBeGreaterThan(8);

    const entries = await ledger(session);
    const sent = entries.filter((e) => e.status === 'sent');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.length).toBe(summary.send.sent ?? 0);
    // Exactly one ledger entry per customer and night: at most one email each.
    const perCustomer = new Map<string, number>();
    for (const e of entries) perCustomer.set(e.customerId, (perCustomer.get(e.customerId) ?? 0) + 1);
    expect(Math.max(...perCustomer.values())).toBe(1);

    const outbox = join(home, 'outbox', RUN_DATE);
    const files = await writeOutbox(session.services.sesEndpoint, outbox, since);
    expect(files.length).toBe(sent.length);
    const mail = await simpleParser(readFileSync(files[0]!));
    const header = (key: string) =>
      mail.headerLines.find((h) => h.key === key)?.line.replace(/\r?\n\s+/g, ' ');
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(header('list-unsubscribe')).toMatch(
      /^List-Unsubscribe: <http:\/\/127\.0\.0\.1:\d+\/u\?token=[\w.-]+>$/,
    );
    expect(mail.text).toContain('48 Wharf Street'); // the brand's postal address signs the footer
    // The brand names the sender; the address is the deployment's verified identity.
    expect(mail.from?.value).toEqual([{ name: 'Harbor & Pine', address: session.config.SENDER_EMAIL }]);
    expect(mail.html || '').toContain('Unsubscribe');
    const recipients = new Set(sent.map((e) => e.customerId));
    expect(recipients.size).toBe(sent.length);

    const second = await runNight({ runDate: RUN_DATE });
    expect(second.summary.send.sent ?? 0).toBe(sent.length);
    expect(second.work.ses.calls.SendEmailCommand ?? 0).toBe(0);
    const after = await writeOutbox(session.services.sesEndpoint, outbox, since);
    expect(after).toHaveLength(0);
    expect(readdirSync(outbox)).toHaveLength(sent.length);
  });
});
