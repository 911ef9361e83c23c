import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config.js';

const base = {
  CUSTOMERS_TABLE: 'c',
  ORDERS_TABLE: 'o',
  CONFIG_TABLE: 'cfg',
  LEDGER_TABLE: 'l',
  SUPPRESSION_TABLE: 's',
  SENDER_EMAIL: 'shop@example.com',
  POSTAL_ADDRESS: '1 Example Street, 12345 Example City',
  UNSUBSCRIBE_BASE_URL: 'https://example.com/u',
};

describe('program default send window and zone', () => {
  it('defaults to 09:00–11:00 in UTC and reads HH:MM-HH:MM and an IANA zone', () => {
    expect(loadConfig(base)).toMatchObject({
      SEND_WINDOW: { start: '09:00', end: '11:00' },
      DEFAULT_TIME_ZONE: 'UTC',
    });
    const c = loadConfig({ ...base, SEND_WINDOW: '08:30 - 10:00', DEFAULT_TIME_ZONE: 'Europe/Berlin' });
    expect(c.SEND_WINDOW).toEqual({ start: '08:30', end: '10:00' });
    expect(c.DEFAULT_TIME_ZONE).toBe('Europe/Berlin');
  });

  it('refuses a window that is not HH:MM-HH:MM within a day, and an unknown zone, saying which setting', () => {
    expect(() => loadConfig({ ...base, SEND_WINDOW: '22:00-06:00' })).toThrow(
      /SEND_WINDOW: "22:00-06:00": end 06:00 is not after start 22:00/,
    );
    expect(() => loadConfig({ ...base, SEND_WINDOW: '9-11' })).toThrow(
      /SEND_WINDOW: "9-11": start "9" is not a time/,
    );
    expect(() => loadConfig({ ...base, DEFAULT_TIME_ZONE: 'Mars/Olympus' })).toThrow(
      /DEFAULT_TIME_ZONE: not a known IANA time zone/,
    );
  });
});
