import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../../cli/options.js';
import { loadConfig } from '../../../functions/config.js';
import { nightNow, sendClockFor } from '../../../functions/handlers/clock.js';
import { SendSegmentInput, WaveInput } from '../../../functions/handlers/segmentInput.js';
import { rfc5322Date } from '../../../functions/handlers/sendOne.js';

const wave = {
  waveId: '2026-12-03T14:00Z/2026-12-03T16:00Z',
  opensAt: '2026-12-03T14:00:00.000Z',
  closesAt: '2026-12-03T16:00:00.000Z',
  emails: 3,
  local: '09:00–11:00 at -05:00',
  zones: ['America/New_York'],
  overlapping: 1,
};
const env = {
  CUSTOMERS_TABLE: 'c',
  ORDERS_TABLE: 'o',
  CONFIG_TABLE: 'g',
  LEDGER_TABLE: 'l',
  SUPPRESSION_TABLE: 's',
  SENDER_EMAIL: 'offers@shop.example.com',
  POSTAL_ADDRESS: '1 Example Street, Springfield',
};

describe('the wave a send segment is given', () => {
  it('accepts a planned wave and keeps its extra fields', () => {
    const input = SendSegmentInput.parse({ runDate: '2026-12-03', segment: 1, totalSegments: 4, wave });
    expect(input.wave).toEqual(wave);
  });

  it('refuses a wave whose id does not name its window, saying where', () => {
    const moved = WaveInput.safeParse({ ...wave, closesAt: '2026-12-03T18:00:00.000Z' });
    expect(moved.success).toBe(false);
    expect(moved.error?.issues[0]).toMatchObject({ path: ['waveId'] });
    expect(moved.error?.issues[0]?.message).toMatch(/does not name the window/);
    const garbage = WaveInput.safeParse({ ...wave, waveId: 'tonight' });
    expect(garbage.error?.issues[0]?.message).toMatch(/is not a wave id/);
    expect(SendSegmentInput.safeParse({ runDate: '2026-12-03', segment: 1, totalSegments: 4 }).success).toBe(
      false,
    );
  });
});

describe('the send clock from the configuration', () => {
  it('is the system clock unless the local runtime asks for the simulated one', () => {
    const config = loadConfig(env);
    expect(config.SEND_CLOCK).toBe('system');
    expect(nightNow(config, '2026-12-03', () => 42)()).toBe(42);
  });

  it('simulated: starts at 02:00 UTC on the run date (or SIMULATED_NOW) and moves on with real time', () => {
    const still = loadConfig({ ...env, SEND_CLOCK: 'simulated' });
    expect(nightNow(still, '2026-12-03', () => 5_000)()).toBe(Date.parse('2026-12-03T02:00:00Z'));
    const moving = loadConfig({
      ...env,
      SEND_CLOCK: 'simulated',
      SIMULATED_NOW: '2026-12-03T12:00:00Z',
      SIMULATED_SINCE_MS: '1000',
    });
    expect(nightNow(moving, '2026-12-03', () => 3_500)()).toBe(Date.parse('2026-12-03T12:00:02.500Z'));
  });

  it('simulated: a wait for a window jumps straight to it', async () => {
    const clock = sendClockFor(loadConfig({ ...env, SEND_CLOCK: 'simulated' }), '2026-12-03');
    await clock.waitUntil(Date.parse(wave.opensAt));
    expect(clock.now()).toBeGreaterThanOrEqual(Date.parse(wave.opensAt));
    expect(clock.now()).toBeLessThan(Date.parse(wave.opensAt) + 60_000);
  });

  it('refuses a clock it does not know, naming the setting', () => {
    expect(() => loadConfig({ ...env, SEND_CLOCK: 'fast' })).toThrow(/SEND_CLOCK/);
    expect(() => loadConfig({ ...env, SIMULATED_NOW: 'noon' })).toThrow(/SIMULATED_NOW/);
  });
});

describe('dates', () => {
  it('writes the Date header in RFC 5322 form, in UTC', () => {
    expect(rfc5322Date(new Date('2026-12-03T14:00:01.250Z'))).toBe('Thu, 03 Dec 2026 14:00:01 +0000');
  });

  it('reads --start-at as an instant with a zone, and says what it wants otherwise', () => {
    expect(parseInstant('2026-12-03T12:00:00Z')).toBe(Date.parse('2026-12-03T12:00:00Z'));
    expect(parseInstant('2026-12-03T13:00+01:00')).toBe(Date.parse('2026-12-03T12:00:00Z'));
    expect(() => parseInstant('2026-12-03 12:00')).toThrow(/YYYY-MM-DDTHH:MM/);
    expect(() => parseInstant('2026-12-03T12:00')).toThrow(/offset/);
  });
});
