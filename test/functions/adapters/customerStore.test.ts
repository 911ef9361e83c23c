import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSession } from '../../../cli/local/session.js';
import type {
  ContactHistory,
  CustomerRecord,
  NightState,
} from '../../../functions/adapters/customerStore.js';
import { templateContext } from '../../../functions/domain/campaigns/templates.js';
import { emptyAggregates } from '../../../functions/domain/ingest/aggregates.js';
import { openTestSession } from '../../support/localWorld.js';

const N1 = '2026-03-01';
const N2 = '2026-03-02';
const N3 = '2026-03-03';

function customer(customerId: string, contact: ContactHistory): CustomerRecord {
  return {
    customerId,
    profile: {
      customerId,
      email: `${customerId}@example.com`,
      country: 'DE',
      language: 'de',
      timeZone: 'Europe/Berlin',
      signupDate: '2024-01-01',
      consent: { email: true, topics: {} },
      attributes: {},
    },
    aggregates: emptyAggregates('EUR'),
    aggVersion: 0,
    recentOrderIds: [],
    contact,
  };
}

function nightOf(runDate: string): NightState {
  return {
    runDate,
    lifeStage: 'new',
    scores: null,
    signals: [],
    signalState: { runDate, lifeStage: null, clvTier: null, pAlive: null, fired: [] },
    decision: { outcome: 'send', campaignId: 'win-back', campaignVersion: 1, segmentId: 's' },
  } as NightState;
}

// One set of embedded services for the file: the tests use customer ids of their own.
let world: Awaited<ReturnType<typeof openTestSession>>;
let session: LocalSession;
beforeAll(async () => {
  world = await openTestSession('customer-store');
  session = world.session;
});
afterAll(async () => {
  await world?.close();
});

describe('CustomerStore contact history: recorded at decision time, undone by the send stage', () => {
  const contactOf = async (id: string) => (await session.customers.get(id))?.contact;

  it('saveNight records the campaign and, for a send, the global date; once per night', async () => {
    await session.customers.bulkPut([
      customer('send', { lastByCampaign: { other: '2026-01-01' }, lastRetentionEmailAt: '2026-01-01' }),
      customer('hold', { lastByCampaign: {}, lastRetentionEmailAt: '2026-01-01' }),
      customer('none', { lastByCampaign: {} }),
    ]);
    expect(
      await session.customers.saveNight('send', nightOf(N1), {
        campaignId: 'win-back',
        date: N1,
        global: true,
      }),
    ).toBe(true);
    expect(await contactOf('send')).toEqual({
      lastByCampaign: { other: '2026-01-01', 'win-back': N1 },
      lastRetentionEmailAt: N1,
    });

    expect(
      await session.customers.saveNight('hold', nightOf(N1), {
        campaignId: 'win-back',
        date: N1,
        global: false,
      }),
    ).toBe(true);
    expect(await contactOf('hold')).toEqual({
      lastByCampaign: { 'win-back': N1 },
      lastRetentionEmailAt: '2026-01-01',
    });

    expect(await session.customers.saveNight('none', nightOf(N1))).toBe(true);
    expect(await contactOf('none')).toEqual({ lastByCampaign: {} });

    // The same night again changes nothing, contact included.
    expect(
      await session.customers.saveNight('none', nightOf(N1), {
        campaignId: 'win-back',
        date: N1,
        global: true,
      }),
    ).toBe(false);
    expect(await contactOf('none')).toEqual({ lastByCampaign: {} });
    // A customer that does not exist is not created.
    expect(
      await session.customers.saveNight('ghost', nightOf(N1), {
        campaignId: 'win-back',
        date: N1,
        global: true,
      }),
    ).toBe(false);
    expect(await session.customers.get('ghost')).toBeUndefined();
  });

  it('undoContact restores the dates before the decision', async () => {
    await session.customers.bulkPut([
      customer('u1', {
        lastByCampaign: { 'win-back': '2026-01-10', other: '2026-02-01' },
        lastRetentionEmailAt: '2026-02-01',
      }),
    ]);
    await session.customers.saveNight('u1', nightOf(N1), { campaignId: 'win-back', date: N1, global: true });
    expect(
      await session.customers.undoContact('u1', 'win-back', N1, {
        campaign: '2026-01-10',
        anyCampaign: '2026-02-01',
      }),
    ).toBe(true);
    expect(await contactOf('u1')).toEqual({
      lastByCampaign: { 'win-back': '2026-01-10', other: '2026-02-01' },
      lastRetentionEmailAt: '2026-02-01',
    });
    // Done once: a repeat finds the record gone and changes nothing.
    expect(
      await session.customers.undoContact('u1', 'win-back', N1, {
        campaign: '2026-01-10',
        anyCampaign: '2026-02-01',
      }),
    ).toBe(false);
    expect((await session.customers.get('u1'))?.night?.runDate).toBe(N1);
  });

  it('undoContact removes the dates when there were none', async () => {
    await session.customers.bulkPut([customer('u2', { lastByCampaign: {} })]);
    await session.customers.saveNight('u2', nightOf(N1), { campaignId: 'win-back', date: N1, global: true });
    expect(await session.customers.undoContact('u2', 'win-back', N1, {})).toBe(true);
    expect(await contactOf('u2')).toEqual({ lastByCampaign: {} });

    await session.customers.bulkPut([customer('u3', { lastByCampaign: { other: '2026-02-01' } })]);
    await session.customers.saveNight('u3', nightOf(N1), { campaignId: 'win-back', date: N1, global: true });
    expect(await session.customers.undoContact('u3', 'win-back', N1, undefined)).toBe(true);
    expect(await contactOf('u3')).toEqual({ lastByCampaign: { other: '2026-02-01' } });
  });

  it('undoContact changes nothing when a later night recorded the same campaign again', async () => {
    await session.customers.bulkPut([
      customer('u4', { lastByCampaign: {}, lastRetentionEmailAt: '2026-01-01' }),
    ]);
    await session.customers.saveNight('u4', nightOf(N1), { campaignId: 'win-back', date: N1, global: true });
    await session.customers.saveNight('u4', nightOf(N2), { campaignId: 'win-back', date: N2, global: true });
    expect(await session.customers.undoContact('u4', 'win-back', N1, { anyCampaign: '2026-01-01' })).toBe(
      false,
    );
    expect(await contactOf('u4')).toEqual({ lastByCampaign: { 'win-back': N2 }, lastRetentionEmailAt: N2 });
  });

  it('undoContact keeps a later night’s global date and restores only the campaign', async () => {
    await session.customers.bulkPut([
      customer('u5', { lastByCampaign: { 'win-back': '2026-01-05' }, lastRetentionEmailAt: '2026-01-05' }),
    ]);
    await session.customers.saveNight('u5', nightOf(N1), { campaignId: 'win-back', date: N1, global: true });
    // A later night sends another campaign (global), then N1's email is undone.
    await session.customers.saveNight('u5', nightOf(N3), { campaignId: 'other', date: N3, global: true });
    expect(
      await session.customers.undoContact('u5', 'win-back', N1, {
        campaign: '2026-01-05',
        anyCampaign: '2026-01-05',
      }),
    ).toBe(true);
    expect(await contactOf('u5')).toEqual({
      lastByCampaign: { 'win-back': '2026-01-05', other: N3 },
      lastRetentionEmailAt: N3,
    });
  });

  it('undoContact after a later holdout of another campaign restores both dates', async () => {
    await session.customers.bulkPut([customer('u6', { lastByCampaign: {} })]);
    await session.customers.saveNight('u6', nightOf(N1), { campaignId: 'win-back', date: N1, global: true });
    await session.customers.saveNight('u6', nightOf(N2), { campaignId: 'other', date: N2, global: false });
    expect(await session.customers.undoContact('u6', 'win-back', N1, {})).toBe(true);
    expect(await contactOf('u6')).toEqual({ lastByCampaign: { other: N2 } });
  });

  it('undoContact on a customer that no longer exists returns false and creates nothing', async () => {
    expect(await session.customers.undoContact('gone', 'win-back', N1, {})).toBe(false);
    expect(await session.customers.get('gone')).toBeUndefined();
  });
});

describe('CustomerStore.batchGetForSending: only what eligibility and templates read', () => {
  const full: CustomerRecord = {
    ...customer('C-view', { lastByCampaign: { 'win-back': '2026-01-01' } }),
    profile: {
      customerId: 'C-view',
      email: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      country: 'GB',
      language: 'en-GB',
      timeZone: 'Europe/London',
      birthDate: '1990-12-10',
      signupDate: '2024-01-01',
      consent: { email: true, topics: { offers: true, newsletter: false } },
      attributes: { tier: 'gold', loyaltyMember: true, visits: 7 },
    },
    aggregates: {
      orderCount: 4,
      purchaseDays: 3,
      totalSpent: 212.5,
      firstDaySpent: 40,
      firstOrderDate: '2024-02-01',
      lastOrderDate: '2026-02-14',
      currency: 'GBP',
    },
    night: {
      ...nightOf(N1),
      lifeStage: 'at_risk',
      scores: {
        summary: { frequency: 2, recency: 300, T: 700, monetaryValue: 86.25 },
        pAlive: 0.42,
        expectedPurchases: 0.8,
        expectedAvgValue: 80.1,
        clv: 64.08,
        clvTier: 'high',
        rfm: { r: 2, f: 3, m: 4, group: 'At Risk' },
        lifeStage: 'at_risk',
      },
      signals: [{ type: 'p_alive_below', threshold: 0.5 }],
    },
  };
  const scope = {
    offerCode: 'CODE',
    expiresOn: '2026-03-15',
    campaign: { id: 'win-back', name: 'Win back' },
    segmentId: 's',
    attributes: ['tier', 'missing'],
  };

  it('gives templates the same context as the whole record, and eligibility the whole profile', async () => {
    await session.customers.bulkPut([full]);
    const view = (await session.customers.batchGetForSending(['C-view'])).get('C-view');
    expect(view).toBeDefined();
    expect(view?.profile).toEqual(full.profile);
    const fromView = templateContext(
      {
        profile: view!.profile,
        aggregates: view!.aggregates,
        scores: view!.night?.scores ?? null,
        lifeStage: view!.night?.lifeStage ?? null,
        runDate: N2,
      },
      scope,
    );
    const fromRecord = templateContext(
      {
        profile: full.profile,
        aggregates: full.aggregates,
        scores: full.night?.scores ?? null,
        lifeStage: full.night?.lifeStage ?? null,
        runDate: N2,
      },
      scope,
    );
    expect(fromView).toEqual(fromRecord);
    // Nothing the send stage does not use comes along.
    expect(Object.keys(view!).sort()).toEqual(['aggregates', 'customerId', 'night', 'profile']);
    expect(view!.aggregates).not.toHaveProperty('purchaseDays');
    expect(view!.night).not.toHaveProperty('signals');
    expect(view!.night?.scores).not.toHaveProperty('summary');
    expect(view!.night?.scores?.rfm).toEqual({ group: 'At Risk' });
  });

  it('reads a customer without a night or orders', async () => {
    await session.customers.bulkPut([customer('C-new', { lastByCampaign: {} })]);
    const view = (await session.customers.batchGetForSending(['C-new'])).get('C-new');
    expect(view?.night).toBeUndefined();
    expect(view?.aggregates).toEqual({ orderCount: 0, totalSpent: 0, currency: 'EUR' });
  });
});
