import { describe, expect, it } from 'vitest';
import { formatWaves, planWaves } from '../../../../functions/domain/delivery/sendWaves.js';

const MORNING = { start: '09:00', end: '11:00' };
const readyAt = Date.parse('2026-12-03T02:00:00Z');

describe('planWaves', () => {
  it('groups customers by the UTC instants their local window opens and closes, in opening order', () => {
    const plan = planWaves(
      [
        { timeZone: 'Europe/Berlin', window: MORNING },
        { timeZone: 'America/New_York', window: MORNING },
        { timeZone: 'Europe/Paris', window: MORNING },
        { timeZone: undefined, window: MORNING },
        { timeZone: 'Not/AZone', window: MORNING },
        { timeZone: 'America/Toronto', window: { start: '10:00', end: '11:00' } },
      ],
      'Europe/London',
      readyAt,
    );
    expect(plan.waves.map((w) => [w.waveId, w.emails, w.zones, w.local])).toEqual([
      ['2026-12-03T08:00Z/2026-12-03T10:00Z', 2, ['Europe/Berlin', 'Europe/Paris'], '09:00–11:00 at +01:00'],
      ['2026-12-03T09:00Z/2026-12-03T11:00Z', 2, ['Europe/London'], '09:00–11:00 at +00:00'],
      ['2026-12-03T14:00Z/2026-12-03T16:00Z', 1, ['America/New_York'], '09:00–11:00 at -05:00'],
      ['2026-12-03T15:00Z/2026-12-03T16:00Z', 1, ['America/Toronto'], '10:00–11:00 at -05:00'],
    ]);
    expect(plan.waveOf).toEqual([
      '2026-12-03T08:00Z/2026-12-03T10:00Z',
      '2026-12-03T14:00Z/2026-12-03T16:00Z',
      '2026-12-03T08:00Z/2026-12-03T10:00Z',
      '2026-12-03T09:00Z/2026-12-03T11:00Z',
      '2026-12-03T09:00Z/2026-12-03T11:00Z',
      '2026-12-03T15:00Z/2026-12-03T16:00Z',
    ]);
  });

  it("uses each zone's offset on the send day itself (Berlin on the morning after its autumn change)", () => {
    // Ready during Berlin's 25-hour day: the morning of 25 October is +01:00 (winter time).
    const plan = planWaves(
      [
        { timeZone: 'Europe/Berlin', window: MORNING },
        { timeZone: 'Europe/London', window: MORNING },
        { timeZone: 'Africa/Lagos', window: MORNING },
      ],
      'UTC',
      Date.parse('2026-10-25T00:30:00Z'),
    );
    expect(plan.waves.map((w) => [w.waveId, w.zones])).toEqual([
      ['2026-10-25T08:00Z/2026-10-25T10:00Z', ['Africa/Lagos', 'Europe/Berlin']],
      ['2026-10-25T09:00Z/2026-10-25T11:00Z', ['Europe/London']],
    ]);
  });

  it('shows waves in the summary with UTC and local times and emails per wave', () => {
    const plan = planWaves(
      [
        { timeZone: 'Asia/Tokyo', window: MORNING },
        { timeZone: 'Asia/Tokyo', window: MORNING },
      ],
      'UTC',
      readyAt,
    );
    expect(formatWaves(plan.waves)).toEqual([
      'send waves: 1',
      '  2026-12-04T00:00Z–02:00Z  local 09:00–11:00 at +09:00  2 emails  (Asia/Tokyo)',
    ]);
    expect(formatWaves([])).toEqual(['send waves: none (no emails decided)']);
  });
});
