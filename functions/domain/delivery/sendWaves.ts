// Groups the night's decided emails into send waves: all emails whose local window opens and closes
// at the same UTC instants go out together, when that window opens.
import { formatOffset, isTimeZone } from './localTime.js';
import { nextWindow, type SendWindow } from './sendWindow.js';

export interface WaveMember {
  /** The customer's IANA zone; missing or unknown → the program's default zone. */
  timeZone?: string | undefined;
  /** The campaign's window, or the program default. */
  window: SendWindow;
}

export interface SendWave {
  /** Deterministic: the UTC window as an ISO 8601 interval, e.g. `2026-03-08T14:00Z/2026-03-08T16:00Z`. */
  waveId: string;
  opensAt: string;
  closesAt: string;
  /** The local window as written, and the offset(s) it opens at, e.g. `09:00–11:00 at +01:00`. */
  local: string;
  zones: string[];
  emails: number;
}

export interface WavePlan {
  waves: SendWave[];
  /** The wave of each member, by position in the input. */
  waveOf: string[];
}

function waveIdOf(opensAt: number): string {
  return `${new Date(opensAt).toISOString().slice(0, 16)}Z`;
}

/** One email's wave: its UTC window, the zone it was planned in and the local window as written. */
export interface WaveSlot {
  waveId: string;
  opensAt: number;
  closesAt: number;
  /** The zone used: the customer's, or the default when it has none or an unknown one. */
  zone: string;
  /** e.g. `09:00–11:00 at +01:00`. */
  local: string;
}

/**
 * Finds members' waves one at a time (the score stage stamps each queued email as it decides), with
 * the window computation remembered per zone and window: a night has few distinct pairs.
 */
export function waveAssigner(defaultZone: string, readyAt: number): (member: WaveMember) => WaveSlot {
  const cache = new Map<string, WaveSlot>();
  return (m) => {
    const zone = m.timeZone !== undefined && isTimeZone(m.timeZone) ? m.timeZone : defaultZone;
    const cacheKey = `${zone} ${m.window.start} ${m.window.end}`;
    let slot = cache.get(cacheKey);
    if (!slot) {
      const w = nextWindow(zone, m.window, readyAt);
      slot = {
        waveId: `${waveIdOf(w.opensAt)}/${waveIdOf(w.closesAt)}`,
        opensAt: w.opensAt,
        closesAt: w.closesAt,
        zone,
        local: `${m.window.start}–${m.window.end} at ${formatOffset(w.utcOffsetMinutes)}`,
      };
      cache.set(cacheKey, slot);
    }
    return slot;
  };
}

/**
 * Assigns each member the first window that has not closed at `readyAt` (the moment sending can
 * start, after the night's scoring) and groups equal windows. Waves come out in opening order.
 */
export function planWaves(members: readonly WaveMember[], defaultZone: string, readyAt: number): WavePlan {
  const assign = waveAssigner(defaultZone, readyAt);
  const slots = members.map(assign);
  return {
    waves: groupSlots(slots.map((slot) => ({ slot, emails: 1 }))),
    waveOf: slots.map((s) => s.waveId),
  };
}

function groupSlots(
  items: readonly {
    slot: Omit<WaveSlot, 'opensAt' | 'closesAt'> & { opensAt: number | string; closesAt: number | string };
    emails: number;
  }[],
): SendWave[] {
  const byId = new Map<string, SendWave & { offsets: Set<string>; zoneSet: Set<string> }>();
  for (const { slot, emails } of items) {
    let wave = byId.get(slot.waveId);
    if (!wave) {
      wave = {
        waveId: slot.waveId,
        opensAt: new Date(slot.opensAt).toISOString(),
        closesAt: new Date(slot.closesAt).toISOString(),
        local: '',
        zones: [],
        emails: 0,
        offsets: new Set(),
        zoneSet: new Set(),
      };
      byId.set(slot.waveId, wave);
    }
    wave.emails += emails;
    wave.offsets.add(slot.local);
    wave.zoneSet.add(slot.zone);
  }
  return [...byId.values()]
    .map(({ offsets, zoneSet, ...wave }) => ({
      ...wave,
      local: [...offsets].sort().join(', '),
      zones: [...zoneSet].sort(),
    }))
    .sort((a, b) => a.opensAt.localeCompare(b.opensAt) || a.closesAt.localeCompare(b.closesAt));
}

/** The counter a queued email adds to its score segment's counts; the waves are planned from them. */
export const WAVE_COUNT_PREFIX = 'wave:';

export function waveCountKey(slot: Pick<WaveSlot, 'waveId' | 'zone' | 'local'>): string {
  // `|` appears in none of the three: wave ids are ISO instants, zones IANA names, local `HH:MM–HH:MM at ±HH:MM`.
  return `${WAVE_COUNT_PREFIX}${slot.waveId}|${slot.zone}|${slot.local}`;
}

/** The UTC window a wave id names, e.g. `2026-12-03T14:00Z/2026-12-03T16:00Z`; undefined if it is not one. */
export function parseWaveId(waveId: string): { opensAt: number; closesAt: number } | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})Z\/(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})Z$/.exec(waveId);
  if (!match) return undefined;
  const opensAt = Date.parse(`${match[1]}:00Z`);
  const closesAt = Date.parse(`${match[2]}:00Z`);
  return Number.isNaN(opensAt) || Number.isNaN(closesAt) || closesAt <= opensAt
    ? undefined
    : { opensAt, closesAt };
}

/**
 * The night's waves from the score segments' summed counters (`waveCountKey`), in opening order:
 * decided once at scoring, so a re-run of the date plans the same waves. Throws on a malformed key.
 */
export function wavesFromCounts(counts: Readonly<Record<string, number>>): SendWave[] {
  const items: Parameters<typeof groupSlots>[0][number][] = [];
  for (const [key, emails] of Object.entries(counts)) {
    if (!key.startsWith(WAVE_COUNT_PREFIX) || emails <= 0) continue;
    const [waveId = '', zone = '', local = ''] = key.slice(WAVE_COUNT_PREFIX.length).split('|');
    const window = parseWaveId(waveId);
    if (!window || zone === '' || local === '')
      throw new Error(`wave counter "${key}" is not wave|zone|local`);
    items.push({ slot: { waveId, zone, local, ...window }, emails });
  }
  return groupSlots(items);
}

/**
 * How many waves' windows overlap this one's, itself included: overlapping waves send at the same
 * time and share the account's send rate.
 */
export function overlappingWaves(
  waves: readonly Pick<SendWave, 'opensAt' | 'closesAt'>[],
  wave: Pick<SendWave, 'opensAt' | 'closesAt'>,
): number {
  return Math.max(1, waves.filter((w) => w.opensAt < wave.closesAt && wave.opensAt < w.closesAt).length);
}

/**
 * The run summary's lines for the waves: UTC and local times and emails per wave, and once sent,
 * how many went out and how many missed the window.
 */
export function formatWaves(
  waves: readonly (SendWave & { sent?: number; windowMissed?: number })[],
): string[] {
  if (waves.length === 0) return ['send waves: none (no emails decided)'];
  return [
    `send waves: ${waves.length}`,
    ...waves.map((w) => {
      const outcome =
        w.sent === undefined
          ? ''
          : `: ${w.sent} sent${w.windowMissed ? `, ${w.windowMissed} window missed` : ''}`;
      return `  ${w.opensAt.slice(0, 16)}Z–${w.closesAt.slice(11, 16)}Z  local ${w.local}  ${w.emails} email${w.emails === 1 ? '' : 's'}${outcome}  (${w.zones.join(', ')})`;
    }),
  ];
}
