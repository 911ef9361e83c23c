import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushCampaignFiles } from '../../../cli/local/campaigns.js';
import type { LocalSession } from '../../../cli/local/session.js';
import { campaignConsentTopic } from '../../../functions/adapters/campaignTopic.js';
import { documentClient } from '../../../functions/adapters/clients.js';
import type { CustomerRecord } from '../../../functions/adapters/customerStore.js';
import { PreferenceStore, UnreadablePreferencesError } from '../../../functions/adapters/preferenceStore.js';
import { emptyAggregates } from '../../../functions/domain/ingest/aggregates.js';
import { applyPreferenceChange } from '../../../functions/domain/preferences/preferences.js';
import { openTestSession } from '../../support/localWorld.js';

// PreferenceStore against dynalite through the real DynamoDB client.

function customer(customerId: string): CustomerRecord {
  return {
    customerId,
    profile: {
      customerId,
      email: `${customerId}@example.com`,
      country: 'DE',
      language: 'de',
      timeZone: 'Europe/Berlin',
      signupDate: '2024-01-01',
      consent: { email: true, topics: { offers: true } },
      attributes: {},
    },
    aggregates: emptyAggregates('EUR'),
    aggVersion: 0,
    recentOrderIds: [],
    contact: { lastByCampaign: {} },
  };
}

const AT = new Date('2026-12-03T09:00:00Z');
let world: Awaited<ReturnType<typeof openTestSession>>;
let session: LocalSession;
let store: PreferenceStore;
beforeAll(async () => {
  world = await openTestSession('preference-store');
  session = world.session;
  store = new PreferenceStore(documentClient(), session.tables);
});
afterAll(async () => {
  await world?.close();
});

describe('PreferenceStore on dynalite', () => {
  it('stores the change and its history entry on the customer, beside the profile', async () => {
    await session.customers.bulkPut([customer('p-1')]);
    const r = await store.update(
      'p-1',
      { topics: { offers: false }, frequency: 'monthly' },
      AT,
      'preference-centre:win-back',
    );
    expect(r.outcome).toBe('changed');
    const stored = await session.customers.get('p-1');
    expect(stored?.preferences).toEqual({
      version: 1,
      topics: { offers: false },
      frequency: 'monthly',
      updatedAt: AT.toISOString(),
      history: [
        {
          changeId: 'p-1#1',
          at: AT.toISOString(),
          source: 'preference-centre:win-back',
          changes: [
            { field: 'topics.offers', from: true, to: false },
            { field: 'frequency', from: null, to: 'monthly' },
          ],
        },
      ],
    });
    // The imported profile is untouched, and a profile re-import does not undo the choice.
    expect(stored?.profile.consent.topics.offers).toBe(true);
    await session.customers.upsertProfile(customer('p-1').profile);
    expect((await session.customers.get('p-1'))?.preferences?.frequency).toBe('monthly');
  });

  it('the same submission again changes nothing and writes nothing', async () => {
    const before = await session.customers.get('p-1');
    const r = await store.update('p-1', { topics: { offers: false }, frequency: 'monthly' }, new Date(), 'x');
    expect(r.outcome).toBe('unchanged');
    expect((await session.customers.get('p-1'))?.preferences).toEqual(before?.preferences);
  });

  it('a write computed from a stale version is refused, so concurrent changes both survive', async () => {
    await session.customers.bulkPut([customer('p-2')]);
    const stale = applyPreferenceChange('p-2', undefined, { pause: true }, AT, 'a')!.next;
    expect(await store.save('p-2', 0, stale)).toBe(true);
    // Another submission computed from "nothing stored" must not overwrite the first.
    const other = applyPreferenceChange('p-2', undefined, { frequency: 'weekly' }, AT, 'b')!.next;
    expect(await store.save('p-2', 0, other)).toBe(false);
    expect(await store.save('p-2', 5, other)).toBe(false);
    // Both submitted at once through update(): each re-reads after losing the race; both land.
    await Promise.all([
      store.update('p-2', { frequency: 'weekly' }, AT, 'b'),
      store.update('p-2', { topics: { birthday: true } }, AT, 'c'),
    ]);
    const prefs = (await session.customers.get('p-2'))?.preferences;
    expect(prefs).toMatchObject({
      version: 3,
      frequency: 'weekly',
      topics: { birthday: true },
      pausedUntil: '2027-01-02',
    });
    expect(prefs?.history.map((h) => h.changeId)).toEqual(['p-2#1', 'p-2#2', 'p-2#3']);
  });

  it('never creates a customer: an unknown id is missing and leaves no item', async () => {
    expect(await store.update('nobody', { pause: true }, AT, 's')).toEqual({ outcome: 'missing' });
    expect(
      await store.save(
        'nobody',
        0,
        applyPreferenceChange('nobody', undefined, { pause: true }, AT, 's')!.next,
      ),
    ).toBe(false);
    expect(await session.customers.get('nobody')).toBeUndefined();
  });

  it('refuses to read stored preferences that do not parse', async () => {
    await session.customers.bulkPut([{ ...customer('p-3'), preferences: { version: 'x' } as never }]);
    await expect(store.load('p-3')).rejects.toBeInstanceOf(UnreadablePreferencesError);
  });

  it("reads the consent topic of a campaign's active version", async () => {
    const source = (topic: string) =>
      `id: topic-probe\nname: Topic probe\nowner: t@example.com\nstatus: active\nschedule: { start: 2025-01-01 }\npriority: 1\nholdoutPercent: 0\nfrequencyCapDays: 3\nconsentTopic: ${topic}\nsegments:\n  - id: all\n    audience: { orderCount: { gte: 0 } }\n    offer: { subject: Hi, html: "<p>Hi</p>", text: Hi }\n`;
    const file = join(world.home, 'topic-probe.yaml');
    writeFileSync(file, source('birthday'));
    const pushed = await pushCampaignFiles(session.campaigns, [file], 'test');
    expect(
      pushed.every((p) => p.ok),
      JSON.stringify(pushed),
    ).toBe(true);
    expect(await campaignConsentTopic(session.campaigns, 'topic-probe')).toBe('birthday');
    expect(await campaignConsentTopic(session.campaigns, 'no-such-campaign')).toBeUndefined();
  });
});
