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

/**
 * Assigns each member the first window that has not closed at `readyAt` (the moment sending can
 * start, after the night's scoring) and groups equal windows. Waves come out in opening order.
 */
export function planWaves(members: readonly WaveMember[], defaultZone: string, readyAt: number): WavePlan {
  const byId = new Map<string, SendWave & { offsets: Set<string>; zoneSet: Set<string> }>();
  const cache = new Map<string, { waveId: string; opensAt: number; closesAt: number; offset: string }>();
  const waveOf = members.map((m) => {
    const zone = m.timeZone !== undefined && isTimeZone(m.timeZone) ? m.timeZone : defaultZone;
    const cacheKey = `${zone} ${m.window.start} ${m.window.end}`;
    let slot = cache.get(cacheKey);
    if (!slot) {
      const w = nextWindow(zone, m.window, readyAt);
      slot = {
        waveId: waveIdOf(w.opensAt),
        opensAt: w.opensAt,
        closesAt: w.closesAt,
        offset: `${m.window.start}–${m.window.end} at ${formatOffset(w.utcOffsetMinutes)}`,
      };
      cache.set(cacheKey, slot);
    }
    const id = `${slot.waveId}/${waveIdOf(slot.closesAt)}`;
    let wave = byId.get(id);
    if (!wave) {
      wave = {
        waveId: id,
        opensAt: new Date(slot.opensAt).toISOString(),
        closesAt: new Date(slot.closesAt).toISOString(),
        local: '',
        zones: [],
        emails: 0,
        offsets: new Set(),
        zoneSet: new Set(),
      };
      byId.set(id, wave);
    }
    wave.emails += 1;
    wave.offsets.add(slot.offset);
    wave.zoneSet.add(zone);
    return id;
  });
  const waves = [...byId.values()]
    .map(({ offsets, zoneSet, ...wave }) => ({
      ...wave,
      local: [...offsets].sort().join(', '),
      zones: [...zoneSet].sort(),
    }))
    .sort((a, b) => a.opensAt.localeCompare(b.opensAt) || a.closesAt.localeCompare(b.closesAt));
  return { waves, waveOf };
}

/** The run summary's lines for the waves: UTC and local times and emails per wave. */
export function formatWaves(waves: readonly SendWave[]): string[] {
  if (waves.length === 0) return ['send waves: none (no emails decided)'];
  return [
    `send waves: ${waves.length}`,
    ...waves.map(
      (w) =>
        `  ${w.opensAt.slice(0, 16)}Z–${w.closesAt.slice(11, 16)}Z  local ${w.local}  ${w.emails} email${w.emails === 1 ? '' : 's'}  (${w.zones.join(', ')})`,
    ),
  ];
}
