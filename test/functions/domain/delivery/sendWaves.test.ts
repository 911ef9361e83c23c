import { describe, expect, it } from 'vitest';
import {
  formatWaves,
  overlappingWaves,
  parseWaveId,
  planWaves,
  waveAssigner,
  waveCountKey,
  wavesFromCounts,
} from '../../../../functions/domain/delivery/sendWaves.js';

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

describe('waves from the score counters', () => {
  it('stamps each email through waveAssigner and plans the same waves from the summed counters', () => {
    const assign = waveAssigner('UTC', readyAt);
    const members = [
      { timeZone: 'Europe/Berlin', window: MORNING },
      { timeZone: 'Europe/Paris', window: MORNING },
      { timeZone: 'America/New_York', window: MORNING },
      { timeZone: 'Asia/Tokyo', window: MORNING },
      { timeZone: undefined, window: MORNING },
    ];
    const counts: Record<string, number> = { 'send:sent': 4, customers: 9 };
    for (const m of members) {
      const key = waveCountKey(assign(m));
      counts[key] = (counts[key] ?? 0) + 1;
    }
    expect(wavesFromCounts(counts)).toEqual(planWaves(members, 'UTC', readyAt).waves);
    expect(waveCountKey(assign(members[0]!))).toBe(
      'wave:2026-12-03T08:00Z/2026-12-03T10:00Z|Europe/Berlin|09:00–11:00 at +01:00',
    );
  });

  it('refuses a malformed counter instead of planning a wrong wave', () => {
    expect(() => wavesFromCounts({ 'wave:2026-12-03T08:00Z|Europe/Berlin|x': 1 })).toThrow(
      /wave\|zone\|local/,
    );
    expect(() => wavesFromCounts({ 'wave:2026-12-03T08:00Z/2026-12-03T10:00Z|Europe/Berlin': 1 })).toThrow();
    expect(
      wavesFromCounts({ 'wave:2026-12-03T08:00Z/2026-12-03T10:00Z|UTC|09:00–11:00 at +00:00': 0 }),
    ).toEqual([]);
  });

  it('parses wave ids back to their UTC window', () => {
    expect(parseWaveId('2026-12-03T14:00Z/2026-12-03T16:00Z')).toEqual({
      opensAt: Date.parse('2026-12-03T14:00:00Z'),
      closesAt: Date.parse('2026-12-03T16:00:00Z'),
    });
    expect(parseWaveId('2026-12-03T16:00Z/2026-12-03T14:00Z')).toBeUndefined();
    expect(parseWaveId('2026-12-03T14:00Z')).toBeUndefined();
    expect(parseWaveId('2026-13-03T14:00Z/2026-13-03T16:00Z')).toBeUndefined();
  });

  it('counts the waves sending at the same time as a wave (they share the send rate)', () => {
    const w = (opens: string, closes: string) => ({
      opensAt: `2026-12-03T${opens}:00.000Z`,
      closesAt: `2026-12-03T${closes}:00.000Z`,
    });
    const waves = [w('08:00', '10:00'), w('09:00', '11:00'), w('10:00', '12:00'), w('14:00', '16:00')];
    expect(waves.map((x) => overlappingWaves(waves, x))).toEqual([2, 3, 2, 1]);
  });

  it('shows what each wave sent and missed once the night has sent', () => {
    const [wave] = planWaves([{ timeZone: 'Europe/London', window: MORNING }], 'UTC', readyAt).waves;
    expect(formatWaves([{ ...wave!, sent: 0, windowMissed: 1 }])).toEqual([
      'send waves: 1',
      '  2026-12-03T09:00Z–11:00Z  local 09:00–11:00 at +00:00  1 email: 0 sent, 1 window missed  (Europe/London)',
    ]);
    expect(formatWaves([{ ...wave!, sent: 1, windowMissed: 0 }])[1]).toContain('1 email: 1 sent  (');
  });
});
