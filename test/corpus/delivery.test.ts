import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSession } from '../../cli/local/session.js';
import { documentClient } from '../../functions/adapters/clients.js';
import { loadUnsubscribeKeys } from '../../functions/adapters/unsubscribeKeys.js';
import { encodeSendTag } from '../../functions/domain/delivery/sendTag.js';
import { SES_TAG_NAMES } from '../../functions/domain/delivery/sesEvents.js';
import { buildSesEventBridgeEvent } from '../../functions/domain/delivery/simulatedSesEvent.js';
import { signUnsubscribeToken } from '../../functions/domain/delivery/unsubscribeToken.js';
import { importCustomers } from '../../functions/domain/ingest/importService.js';
import { todayUtc } from '../../functions/domain/night/dates.js';
import { processSesEvents } from '../../functions/handlers/sesEvents.js';
import { unsubscribe } from '../../functions/handlers/unsubscribe.js';
import { openTestSession } from '../support/localWorld.js';
import { expectTablesUnchanged, snapshotDiff, snapshotTables } from '../support/tableSnapshot.js';
import { type DeliveryContext, SES_EVENT_CASES, UNSUBSCRIBE_CASES } from './deliveryCases.js';

// Hostile SES events go through the deployed event handler, hostile unsubscribe and preference
// requests through the deployed Function URL handler, on the embedded DynamoDB. An SES input that is
// not a genuine event is parked whole (one PARKED item, nothing else written); a request that is not
// genuine is refused with its status and a page that says why, and changes nothing; a replay of a
// genuine one changes nothing the second time.

const RUN_DATE = '2026-11-20';
const SEND_KEY = `${RUN_DATE}#corpus-valid#c1`;
const MESSAGE_ID = '0100019a-corpus-c1-ses';
let world: Awaited<ReturnType<typeof openTestSession>>;
let session: LocalSession;
let ctx: DeliveryContext;

/** The handler answers the structured form (never a bare string). */
async function call(event: LambdaFunctionURLEvent): Promise<{ statusCode?: number; body?: string }> {
  return (await unsubscribe(event)) as { statusCode?: number; body?: string };
}

function urlEvent(r: ReturnType<(typeof UNSUBSCRIBE_CASES)[number]['build']>): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    rawPath: '/',
    rawQueryString: r.query ?? '',
    headers: { host: 'unsubscribe.example', ...r.headers },
    body: r.body,
    isBase64Encoded: r.base64 ?? false,
    requestContext: { domainName: 'unsubscribe.example', http: { method: r.method } },
  } as unknown as LambdaFunctionURLEvent;
}

beforeAll(async () => {
  world = await openTestSession('corpus-delivery');
  session = world.session;
  const file = join(import.meta.dirname, 'imports', 'base-customers.csv');
  expect(await importCustomers(file, await readFile(file, 'utf8'), session.customers)).toMatchObject({
    ok: true,
  });
  await documentClient().send(
    new PutCommand({
      TableName: session.tables.ledger,
      Item: {
        sendKey: SEND_KEY,
        runShard: `${RUN_DATE}#0`,
        runDate: RUN_DATE,
        segment: 0,
        campaignId: 'corpus-valid',
        campaignVersion: 1,
        segmentId: 'everyone',
        customerId: 'c1',
        status: 'sent',
        messageId: MESSAGE_ID,
        createdAt: `${RUN_DATE}T01:00:00.000Z`,
        finishedAt: `${RUN_DATE}T02:00:01.000Z`,
        expiresAt: 1_900_000_000,
      },
    }),
  );
  const event = (type: 'bounce' | 'open') =>
    buildSesEventBridgeEvent({
      type,
      messageId: MESSAGE_ID,
      recipient: 'ann@example.com',
      from: 'Shop <offers@shop.example.com>',
      tags: {
        [SES_TAG_NAMES.runDate]: RUN_DATE,
        [SES_TAG_NAMES.campaignId]: 'corpus-valid',
        [SES_TAG_NAMES.segmentId]: 'everyone',
        [SES_TAG_NAMES.sendId]: encodeSendTag(SEND_KEY)!,
      },
      sentAt: `${RUN_DATE}T02:00:01.000Z`,
    });
  const ring = await loadUnsubscribeKeys(session.config);
  const payload = { customerId: 'c1', campaignId: 'corpus-valid', issuedAt: todayUtc(new Date()) };
  ctx = {
    bounce: event('bounce'),
    open: event('open'),
    token: signUnsubscribeToken(ring, payload),
    forgedToken: signUnsubscribeToken(
      { activeKeyId: ring.activeKeyId, keys: { [ring.activeKeyId]: randomBytes(32) } },
      payload,
    ),
    foreignToken: signUnsubscribeToken(
      { activeKeyId: 'foreign', keys: { foreign: randomBytes(32) } },
      payload,
    ),
  };
});
afterAll(async () => {
  await world?.close();
});

describe('hostile SES events: parked whole, nothing applied', () => {
  it.each(SES_EVENT_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await snapshotTables();
    const result = await processSesEvents(c.build(ctx));
    expect(result).toMatchObject({ events: 0, suppressed: 0, ledgerUpdated: 0, counted: 0 });
    expect(result.parked).toMatch(/^PARKED#\d{4}-\d{2}-\d{2}\//);
    const diff = snapshotDiff(before, await snapshotTables());
    // The one write: the parked input, under the config table, for a person to look at.
    expect(Object.keys(diff)).toEqual([session.tables.config]);
    const change = diff[session.tables.config]!;
    expect(change.removed).toEqual([]);
    expect(change.added).toHaveLength(1);
    const parked = JSON.parse(change.added[0]!) as {
      pk: string;
      reason: string;
      raw: string;
      truncated: boolean;
    };
    expect(parked.pk).toMatch(/^PARKED#/);
    expect(parked.reason).toMatch(c.expect);
    expect(parked.raw.length).toBeLessThanOrEqual(300_000);
  });

  it('an event for another message (forged or misrouted sendId) changes nothing', async () => {
    const forged = structuredClone(ctx.open) as { detail: { mail: { messageId: string } } };
    forged.detail.mail.messageId = '0100019a-someone-else';
    const result = await expectTablesUnchanged(() => processSesEvents(forged));
    expect(result).toMatchObject({ events: 1, unmatched: 1, counted: 0, ledgerUpdated: 0 });
  });

  it('a replayed genuine bounce changes nothing the second time (the first one does)', async () => {
    const before = await snapshotTables();
    expect(await processSesEvents(structuredClone(ctx.bounce))).toMatchObject({ suppressed: 1, counted: 1 });
    expect(Object.keys(snapshotDiff(before, await snapshotTables())).length).toBeGreaterThan(0);
    const again = await expectTablesUnchanged(() => processSesEvents(structuredClone(ctx.bounce)));
    expect(again).toMatchObject({ events: 1, duplicates: 1, suppressed: 0, counted: 0 });
  });
});

describe('hostile unsubscribe and preference requests: refused with why, nothing changed', () => {
  it.each(UNSUBSCRIBE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const response = await expectTablesUnchanged(() => call(urlEvent(c.build(ctx))));
    expect(response.statusCode).toBe(c.status);
    expect(String(response.body)).toMatch(c.expect);
    expect(String(response.body)).not.toMatch(/<script/i);
  });

  it('a replayed genuine one-click unsubscribe changes nothing the second time (the first one does)', async () => {
    const request = { method: 'POST', query: `token=${ctx.token}`, body: 'List-Unsubscribe=One-Click' };
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const before = await snapshotTables();
    expect((await call(urlEvent({ ...request, headers }))).statusCode).toBe(200);
    expect(Object.keys(snapshotDiff(before, await snapshotTables()))).toEqual([session.tables.suppression]);
    const again = await expectTablesUnchanged(() => call(urlEvent({ ...request, headers })));
    expect(again.statusCode).toBe(200);
  });
});
