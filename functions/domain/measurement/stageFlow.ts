// The life-stage flow between two dates, summed from the nights' move counters (docs/goals.md).
import { daysBetween } from '../night/dates.js';
import { type IsoDate, LIFE_STAGES, type LifeStage } from '../types.js';
import type { NightFigures } from './nightFigures.js';
import type { StageFlowReport } from './reportContract.js';

/** Stages a marketer counts as "still buying". */
const ALIVE: readonly LifeStage[] = ['new', 'active', 'vip', 'reactivated'];

function stageCounts(stages: Record<string, number> | undefined): Record<LifeStage, number> {
  return Object.fromEntries(LIFE_STAGES.map((s) => [s, stages?.[s] ?? 0])) as Record<LifeStage, number>;
}

/**
 * Moves recorded on the nights after `from` up to and including `to`; null when no night in that
 * range has move counters. `from` and `to` in the result are the nights actually found at the ends.
 */
export function buildStageFlow(
  nights: readonly NightFigures[],
  from: IsoDate,
  to: IsoDate,
): StageFlowReport | null {
  const inRange = nights
    .filter((n) => n.runDate >= from && n.runDate <= to)
    .sort((a, b) => a.runDate.localeCompare(b.runDate));
  const first = inRange[0];
  const last = inRange[inRange.length - 1];
  if (!first || !last) return null;
  const counted = inRange.filter((n) => n.runDate > first.runDate && n.moves !== undefined);
  if (counted.length === 0) return null;
  const index = new Map(LIFE_STAGES.map((s, i) => [s, i]));
  const matrix = LIFE_STAGES.map(() => LIFE_STAGES.map(() => 0));
  for (const night of counted) {
    for (const [key, n] of Object.entries(night.moves ?? {})) {
      const [a, b] = key.split('>') as [LifeStage, LifeStage];
      const i = index.get(a);
      const j = index.get(b);
      const row = i === undefined ? undefined : matrix[i];
      if (row === undefined || j === undefined) continue;
      row[j] = (row[j] ?? 0) + n;
    }
  }
  const cell = (a: LifeStage, b: LifeStage) => matrix[index.get(a) ?? 0]?.[index.get(b) ?? 0] ?? 0;
  const sum = (as: readonly LifeStage[], bs: readonly LifeStage[]) =>
    as.reduce((t, a) => t + bs.reduce((u, b) => u + (a === b ? 0 : cell(a, b)), 0), 0);
  return {
    from: first.runDate,
    to: last.runDate,
    stages: [...LIFE_STAGES],
    matrix,
    highlights: {
      activeToAtRisk: sum(ALIVE, ['at_risk']),
      atRiskBack: sum(['at_risk'], ALIVE),
      reactivated: sum(LIFE_STAGES, ['reactivated']),
    },
    fromStages: stageCounts(first.stages),
    toStages: stageCounts(last.stages),
    nights: counted.length,
    missingNights: daysBetween(first.runDate, last.runDate) - counted.length,
  };
}
