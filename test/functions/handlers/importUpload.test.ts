import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSession, openLocalSession } from '../../../cli/local/session.js';
import type { ObjectStore } from '../../../functions/adapters/s3Objects.js';
import { processImportUpload } from '../../../functions/handlers/importUpload.js';

/** An in-memory stand-in for S3 only; DynamoDB is the real embedded one. */
class MemoryObjects implements ObjectStore {
  readonly objects = new Map<string, string>();
  async getText(key: string) {
    return this.objects.get(key);
  }
  async putText(key: string, body: string) {
    this.objects.set(key, body);
  }
  async putJson(key: string, value: unknown) {
    this.objects.set(key, JSON.stringify(value));
  }
}

describe('importUpload handler logic', () => {
  let session: LocalSession;
  let home: string;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'retention-import-upload-'));
    session = await openLocalSession({ home, persist: false });
  });
  afterAll(async () => {
    await session?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('imports a customers file dropped in the bucket and writes the status next to it', async () => {
    const s3 = new MemoryObjects();
    s3.objects.set(
      'imports/customers/2026-11.csv',
      'customer_id,email,country,language,time_zone,signup_date,email_consent\nu1,u1@example.com,FR,fr,Europe/Paris,2026-01-02,true\n',
    );
    const status = await processImportUpload(s3, 'imports/customers/2026-11.csv', session.customers, {
      retentionDays: 100,
      now: () => new Date('2026-11-22T00:00:00Z'),
    });
    expect(status).toMatchObject({ status: 'imported', rows: 1, written: 1, problems: [] });
    expect(JSON.parse(s3.objects.get('imports/customers/2026-11.csv.status.json') ?? '{}')).toMatchObject({
      status: 'imported',
    });
    expect((await session.customers.get('u1'))?.profile.country).toBe('FR');
  });

  it('rejects a bad orders file whole, with file:line problems in the status object', async () => {
    const s3 = new MemoryObjects();
    s3.objects.set(
      'imports/orders/bad.csv',
      'order_id,customer_id,date,amount\nx1,u1,2026-02-30,5\nx2,u1,2026-03-01,abc\n',
    );
    const status = await processImportUpload(s3, 'imports/orders/bad.csv', session.customers, {
      retentionDays: 100,
      now: () => new Date(),
    });
    expect(status?.status).toBe('rejected');
    expect(status?.problems).toEqual([
      expect.stringMatching(/^imports\/orders\/bad\.csv:2: date: /),
      expect.stringMatching(/^imports\/orders\/bad\.csv:3: amount: /),
    ]);
    expect((await session.customers.get('u1'))?.aggregates.orderCount).toBe(0);
  });

  it('ignores status objects and keys outside the import prefixes', async () => {
    const s3 = new MemoryObjects();
    s3.objects.set('imports/orders/x.csv.status.json', '{}');
    expect(
      await processImportUpload(s3, 'imports/orders/x.csv.status.json', session.customers, {
        retentionDays: 1,
        now: () => new Date(),
      }),
    ).toBeUndefined();
    expect(
      await processImportUpload(s3, 'other/x.csv', session.customers, {
        retentionDays: 1,
        now: () => new Date(),
      }),
    ).toBeUndefined();
  });
});
