import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyPreferenceChange,
  type CustomerPreferences,
  CustomerPreferencesSchema,
  isPaused,
  nightPreferences,
  PREFERENCE_HISTORY_LIMIT,
} from '../../../../functions/domain/preferences/preferences.js';

const AT = new Date('2026-12-03T09:30:00Z');
const consent = { email: true, topics: { offers: true, birthday: false } };

describe('applyPreferenceChange', () => {
  it('records each changed field with its time, source and a per-version change id', () => {
    const r = applyPreferenceChange(
      'c-1',
      undefined,
      { topics: { offers: false, birthday: false }, frequency: 'weekly', pause: true },
      AT,
      'preference-centre:win-back',
      consent.topics,
    )!;
    expect(r.next).toMatchObject({
      version: 1,
      topics: { offers: false },
      frequency: 'weekly',
      pausedUntil: '2027-01-02',
      updatedAt: AT.toISOString(),
    });
    expect(r.entry).toEqual({
      changeId: 'c-1#1',
      at: AT.toISOString(),
      source: 'preference-centre:win-back',
      changes: [
        { field: 'topics.offers', from: true, to: false },
        { field: 'frequency', from: null, to: 'weekly' },
        { field: 'pausedUntil', from: null, to: '2027-01-02' },
      ],
    });
    expect(r.next.history).toEqual([r.entry]);
    expect(CustomerPreferencesSchema.parse(r.next)).toEqual(r.next);
  });

  it('records nothing when the submission confirms what is already so (a form sent twice)', () => {
    const first = applyPreferenceChange('c-1', undefined, { frequency: 'monthly', pause: true }, AT, 's')!;
    const later = new Date(AT.getTime() + 5 * 86_400_000);
    expect(
      applyPreferenceChange(
        'c-1',
        first.next,
        { frequency: 'monthly', pause: true, topics: { offers: true } },
        later,
        's',
        consent.topics,
      ),
    ).toBeUndefined();
  });

  it('keeps an active pause instead of extending it, and resumes when unticked', () => {
    const paused = applyPreferenceChange('c-1', undefined, { pause: true }, AT, 's')!.next;
    const later = new Date('2026-12-20T00:00:00Z');
    expect(applyPreferenceChange('c-1', paused, { pause: true }, later, 's')).toBeUndefined();
    const resumed = applyPreferenceChange('c-1', paused, { pause: false }, later, 's')!;
    expect(resumed.next.pausedUntil).toBeUndefined();
    expect(resumed.next.version).toBe(2);
    expect(resumed.entry.changeId).toBe('c-1#2');
    // A pause that has run out can be taken again, for 30 days from the new day.
    const again = applyPreferenceChange(
      'c-1',
      paused,
      { pause: true },
      new Date('2027-02-01T00:00:00Z'),
      's',
    )!;
    expect(again.next.pausedUntil).toBe('2027-03-03');
  });

  it('"default" frequency removes the customer cap', () => {
    const weekly = applyPreferenceChange('c-1', undefined, { frequency: 'weekly' }, AT, 's')!.next;
    const back = applyPreferenceChange('c-1', weekly, { frequency: 'default' }, AT, 's')!;
    expect(back.next.frequency).toBeUndefined();
    expect(back.entry.changes).toEqual([{ field: 'frequency', from: 'weekly', to: null }]);
  });

  it('keeps the last entries only, with increasing versions (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('weekly', 'monthly', 'default'), { minLength: 1, maxLength: 80 }),
        (seq) => {
          let current: CustomerPreferences | undefined;
          let applied = 0;
          for (const f of seq) {
            const r = applyPreferenceChange('c', current, { frequency: f as 'weekly' }, AT, 's');
            if (r) {
              applied++;
              current = r.next;
            }
          }
          if (!current) return;
          expect(current.version).toBe(applied);
          expect(current.history.length).toBe(Math.min(applied, PREFERENCE_HISTORY_LIMIT));
          expect(current.history.at(-1)?.changeId).toBe(`c#${applied}`);
        },
      ),
    );
  });
});

describe('nightPreferences and isPaused', () => {
  it('without preferences the imported consent and the shop cap apply', () => {
    expect(nightPreferences(consent, undefined, 7)).toEqual({ consent, globalCapDays: 7 });
  });

  it('centre topics override imported ones; the larger cap wins; the pause is passed on', () => {
    const prefs = applyPreferenceChange(
      'c',
      undefined,
      { topics: { offers: false, birthday: true }, frequency: 'monthly', pause: true },
      AT,
      's',
      consent.topics,
    )!.next;
    expect(nightPreferences(consent, prefs, 7)).toEqual({
      consent: { email: true, topics: { offers: false, birthday: true } },
      globalCapDays: 30,
      pausedUntil: '2027-01-02',
    });
    expect(nightPreferences(consent, { ...prefs, frequency: 'weekly' }, 14).globalCapDays).toBe(14);
  });

  it('unreadable stored preferences withhold email', () => {
    expect(nightPreferences(consent, { version: 1 }, 7).consent.email).toBe(false);
    expect(nightPreferences(consent, 'weekly', 7).consent.email).toBe(false);
  });

  it('a pause ends at the start of its end day', () => {
    expect(isPaused({ pausedUntil: '2027-01-02' }, '2027-01-01')).toBe(true);
    expect(isPaused({ pausedUntil: '2027-01-02' }, '2027-01-02')).toBe(false);
    expect(isPaused({}, '2027-01-01')).toBe(false);
    expect(isPaused(undefined, '2027-01-01')).toBe(false);
  });
});
