import { describe, expect, it } from 'vitest';
import { renderPreferencePage } from '../../../../functions/domain/preferences/preferencePage.js';

const base = {
  token: 'abc.k1.mac',
  topics: [
    { id: 'offers', label: 'Offers and discounts', on: true },
    { id: 'birthday', label: 'Birthday wishes', on: false },
  ],
  thisTopic: { id: 'offers', label: 'Offers and discounts' },
  unsubscribedAll: false,
  noEmailConsent: false,
};

describe('renderPreferencePage', () => {
  it('one form posting to the token, every control labelled, no script or external resource', () => {
    const html = renderPreferencePage(base);
    expect(html.match(/<form[^>]*>/g)).toEqual(['<form method="post" action="?token=abc.k1.mac">']);
    expect(html).toContain('<input type="hidden" name="token" value="abc.k1.mac">');
    const ids = [...html.matchAll(/<input type="(?:checkbox|radio)" id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toEqual([
      'topic_offers',
      'topic_birthday',
      'frequency-default',
      'frequency-weekly',
      'frequency-monthly',
      'pause',
    ]);
    for (const id of ids) expect(html).toContain(`<label for="${id}">`);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).not.toMatch(/<script|<link|src=|url\(|@import/i);
    expect(html).toMatch(/id="topic_offers" name="topic_offers" value="on" checked/);
    expect(html).toMatch(/id="topic_birthday" name="topic_birthday" value="on">/);
    expect(html).toContain('value="default" checked');
    expect(html).toContain('Unsubscribe from Offers and discounts');
    // Enter submits the first button: it must save, not unsubscribe.
    expect(/<button[^>]*value="([^"]+)"/.exec(html)?.[1]).toBe('save');
  });

  it('shows the stored frequency and pause, and the state of the customer', () => {
    const html = renderPreferencePage({
      ...base,
      frequency: 'monthly',
      pausedUntil: '2027-01-02',
      unsubscribedAll: true,
    });
    expect(html).toContain('value="monthly" checked');
    expect(html).not.toContain('value="default" checked');
    expect(html).toMatch(/id="pause" name="pause" value="on" checked/);
    expect(html).toContain('Paused until 2027-01-02');
    expect(html).toContain('You are unsubscribed from all our emails');
  });

  it('escapes everything it shows', () => {
    const evil = '"><script>alert(1)</script>';
    const html = renderPreferencePage({
      ...base,
      token: evil,
      topics: [{ id: 'offers', label: evil, on: false }],
      thisTopic: { id: 'offers', label: evil },
      notice: evil,
      problems: [evil],
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});
