import { describe, expect, it } from 'vitest';
import { parsePreferenceForm } from '../../../../functions/domain/preferences/preferenceForm.js';

const topics = [
  { id: 'offers', label: 'Offers and discounts' },
  { id: 'birthday', label: 'Birthday wishes' },
];
const form = (fields: Record<string, string>) => new Map(Object.entries(fields));

describe('parsePreferenceForm', () => {
  it('a save states every shown topic: ticked on, missing off', () => {
    expect(
      parsePreferenceForm(
        form({ action: 'save', topic_offers: 'on', frequency: 'monthly', token: 't' }),
        topics,
      ),
    ).toEqual({
      ok: true,
      request: {
        kind: 'save',
        change: { topics: { offers: true, birthday: false }, pause: false, frequency: 'monthly' },
      },
    });
    expect(parsePreferenceForm(form({ action: 'save', pause: 'on' }), topics)).toEqual({
      ok: true,
      request: { kind: 'save', change: { topics: { offers: false, birthday: false }, pause: true } },
    });
  });

  it('the unsubscribe buttons need no other field', () => {
    expect(parsePreferenceForm(form({ action: 'unsubscribe_topic', frequency: 'weekly' }), topics)).toEqual({
      ok: true,
      request: { kind: 'unsubscribe_topic' },
    });
    expect(parsePreferenceForm(form({ action: 'unsubscribe_all' }), topics).ok).toBe(true);
  });

  it.each([
    [{ action: 'save', topic_sports: 'on' }, 'field topic_sports: unknown topic "sports"'],
    [{ action: 'save', admin: '1' }, 'field admin: not a field of this form'],
    [{ action: 'save', frequency: 'daily' }, 'field frequency: must be default, weekly or monthly'],
    [{ action: 'save', pause: 'yes' }, 'field pause: must be on when ticked'],
    [{ action: 'save', topic_offers: 'true' }, 'field topic_offers: must be on when ticked'],
    [{ action: 'delete' }, 'field action: must be save, unsubscribe_topic or unsubscribe_all'],
    [{}, 'field action: must be save, unsubscribe_topic or unsubscribe_all'],
  ])('refuses %j: %s', (fields, problem) => {
    expect(parsePreferenceForm(form(fields), topics)).toEqual({ ok: false, problems: [problem] });
  });
});
