import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatCustomerView,
  loadCustomerView,
  maskEmailKeepDomain,
  UnknownCustomerError,
} from '../../cli/local/customerShow.js';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { documentClient } from '../../functions/adapters/clients.js';
import { CustomerStore } from '../../functions/adapters/customerStore.js';
import type { LedgerEntry } from '../../functions/adapters/ledgerStore.js';
import { customerSubject, SuppressionStore } from '../../functions/adapters/suppressionStore.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

const RUN_DATE = '2026-11-20';

describe('maskEmailKeepDomain', () => {
  it('keeps the first character and the domain, and nothing of an implausible address', () => {
    expect(maskEmailKeepDomain('Jane.Doe@Example.com')).toBe('j***@example.com');
    expect(maskEmailKeepDomain('7x@shop.co.uk')).toBe('7***@shop.co.uk');
    expect(maskEmailKeepDomain('<b>@example.com')).toBe('***@example.com');
    expect(maskEmailKeepDomain('no-at-sign')).toBe('***');
    expect(maskEmailKeepDomain('a@<script>')).toBe('***');
  });
});

describe('retention customer show', () => {
  let session: LocalSession;
  let close: () => Promise<void>;
  let sent: LedgerEntry;

  beforeAll(async () => {
    ({ session, close } = await openTestSession('customer-show'));
    await seedWithExamples(session, { customers: 800, seed: 5, asOf: RUN_DATE });
    await runNight({ runDate: RUN_DATE });
    const scan = await documentClient().send(new ScanCommand({ TableName: session.tables.ledger }));
    const entry = ((scan.Items ?? []) as LedgerEntry[]).find((e) => e.status === 'sent');
    if (!entry) throw new Error('the night sent nothing');
    sent = entry;
  }, 240_000);

  afterAll(async () => {
    await close?.();
  });

  it('shows profile (masked), aggregates, the night, contact history and the ledger entry of the email', async () => {
    const record = (await new CustomerStore(documentClient(), session.tables).get(sent.customerId))!;
    const view = await loadCustomerView(documentClient(), session.tables, sent.customerId, {
      today: '2026-11-25',
      ledgerDays: 30,
      erasureSalt: session.config.ERASURE_SALT,
    });
    expect(view.profile.email).toBe(maskEmailKeepDomain(record.profile.email));
    expect(view.profile.email).toMatch(/^[a-z0-9]?\*\*\*@/);
    const json = JSON.stringify(view);
    expect(json).not.toContain(record.profile.email);
    expect(view.aggregates).toEqual(record.aggregates);
    expect(view.night?.runDate).toBe(RUN_DATE);
    expect(view.night?.decision).toMatchObject({ outcome: 'send', campaignId: sent.campaignId });
    expect(view.contact.lastByCampaign[sent.campaignId]).toBe(RUN_DATE);
    expect(view.suppression).toBeNull();
    expect(view.ledger).toMatchObject({ from: '2026-10-27', to: '2026-11-25' });
    expect(view.ledger.entries).toEqual([
      expect.objectContaining({
        runDate: RUN_DATE,
        campaignId: sent.campaignId,
        segmentId: sent.segmentId,
        status: 'sent',
        messageId: sent.messageId,
      }),
    ]);

    const text = formatCustomerView(view);
    expect(text).not.toContain(record.profile.email);
    expect(text).toContain(`Customer ${sent.customerId}`);
    expect(text).toContain(`<${view.profile.email}>`);
    for (const heading of [
      'Profile',
      'Purchases',
      `Last night (${RUN_DATE})`,
      'Contact history',
      'Ledger 2026-10-27 … 2026-11-25',
    ]) {
      expect(text).toContain(`\n${heading}\n`);
    }
    expect(text).toMatch(new RegExp(`decision +send: ${sent.campaignId} v\\d+, segment ${sent.segmentId}`));
    expect(text).toMatch(
      new RegExp(`${RUN_DATE} +${sent.campaignId} v\\d+ +${sent.segmentId} +sent +message `),
    );
  });

  it('the ledger window reaches the last night, a last contact is found outside it, a suppression is shown', async () => {
    const before = await loadCustomerView(documentClient(), session.tables, sent.customerId, {
      today: '2026-11-10',
      ledgerDays: 5,
      erasureSalt: session.config.ERASURE_SALT,
    });
    // The window is anchored on the customer's last night when that is later than "today".
    expect(before.ledger).toMatchObject({ from: '2026-11-16', to: RUN_DATE });
    expect(before.ledger.entries).toHaveLength(1);
    await new SuppressionStore(documentClient(), session.tables, session.config.ERASURE_SALT).suppress(
      customerSubject(sent.customerId),
      'unsubscribed',
      'test',
      new Date(),
    );
    const after = await loadCustomerView(documentClient(), session.tables, sent.customerId, {
      today: '2026-11-25',
      ledgerDays: 1,
      erasureSalt: session.config.ERASURE_SALT,
    });
    expect(after.suppression).toBe('unsubscribed');
    // Outside the window, but the campaign's last contact still finds the entry.
    expect(after.ledger.entries.map((e) => e.runDate)).toEqual([RUN_DATE]);
    expect(formatCustomerView(after)).toMatch(/suppressed +unsubscribed/);
  });

  it('an unknown id is a clear error', async () => {
    await expect(
      loadCustomerView(documentClient(), session.tables, 'nobody-42', {
        today: RUN_DATE,
        ledgerDays: 30,
        erasureSalt: session.config.ERASURE_SALT,
      }),
    ).rejects.toThrow(UnknownCustomerError);
  });

  it('from the command line: unknown id, exit 1 and the reason', () => {
    const home = mkdtempSync(join(tmpdir(), 'retention-customer-cli-'));
    try {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'cli/main.ts', 'customer', 'show', 'nobody-42', '--json'],
        {
          encoding: 'utf8',
          env: { ...process.env, RETENTION_HOME: home },
        },
      );
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('unknown customer "nobody-42"');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
