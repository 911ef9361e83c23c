// RFM quintile scores (1-5) over the current population and the R/F segment map.
import { z } from 'zod';
import type { RfmGroup, RfmScores } from '../types.js';
import { quantileSorted, sortedFinite } from './quantile.js';

export interface RfmInput {
  /** Days since the last order (smaller is better: scored in reverse). */
  daysSinceLastOrder: number;
  /** Purchase days (or the model's frequency: any count that grows with loyalty). */
  frequency: number;
  /** Total spent (or mean spend). */
  monetary: number;
}

const quintiles = z.array(z.number().finite()).length(4);

/** 20/40/60/80 % quantiles of each dimension; plain JSON, store once per night and reuse. */
export const RfmBreakpointsSchema = z.object({
  recency: quintiles,
  frequency: quintiles,
  monetary: quintiles,
  population: z.number().int().nonnegative(),
});
export type RfmBreakpoints = z.infer<typeof RfmBreakpointsSchema>;

const QS = [0.2, 0.4, 0.6, 0.8] as const;

/** Quintile breakpoints over a population (or a sample of it). Throws on an empty population. */
export function rfmBreakpoints(population: ArrayLike<RfmInput> | Iterable<RfmInput>): RfmBreakpoints {
  const list = Array.from(population as Iterable<RfmInput>);
  if (list.length === 0) throw new Error('rfmBreakpoints: empty population');
  const r = sortedFinite(
    list.map((p) => p.daysSinceLastOrder),
    'daysSinceLastOrder',
  );
  const f = sortedFinite(
    list.map((p) => p.frequency),
    'frequency',
  );
  const m = sortedFinite(
    list.map((p) => p.monetary),
    'monetary',
  );
  return {
    recency: QS.map((q) => quantileSorted(r, q)),
    frequency: QS.map((q) => quantileSorted(f, q)),
    monetary: QS.map((q) => quantileSorted(m, q)),
    population: list.length,
  };
}

/** 1 + number of breakpoints strictly below v (a value equal to a breakpoint stays in the lower bucket). */
function bucket(bps: readonly number[], v: number): number {
  let s = 1;
  for (const b of bps) if (v > b) s++;
  return s;
}

/**
 * R/F segment map (R = recency score, F = frequency score). Rows are R = 5..1, columns F = 1..5.
 * The widely used R/F regex map (champions 5[4-5], loyal [3-4][4-5], potential loyalists [4-5][2-3],
 * new 51, promising 41, need attention 33, about to sleep 3[1-2], at risk [1-2][3-4],
 * can't lose [1-2]5, hibernating [1-2][1-2]), with "Lost" carved out as R = 1, F <= 2.
 */
export const RF_SEGMENT_MAP: Readonly<Record<string, RfmGroup>> = (() => {
  const map: Record<string, RfmGroup> = {};
  for (let r = 1; r <= 5; r++) {
    for (let f = 1; f <= 5; f++) {
      let g: RfmGroup;
      if (r === 5 && f >= 4) g = 'Champions';
      else if ((r === 3 || r === 4) && f >= 4) g = 'Loyal';
      else if (r >= 4 && (f === 2 || f === 3)) g = 'Potential Loyalist';
      else if (r === 5 && f === 1) g = 'New';
      else if (r === 4 && f === 1) g = 'Promising';
      else if (r === 3 && f === 3) g = 'Need Attention';
      else if (r === 3 && f <= 2) g = 'About To Sleep';
      else if (r <= 2 && (f === 3 || f === 4)) g = 'At Risk';
      else if (r <= 2 && f === 5) g = "Can't Lose Them";
      else if (r === 2) g = 'Hibernating';
      else g = 'Lost';
      map[`${r}${f}`] = g;
    }
  }
  return map;
})();

export function rfmGroup(r: number, f: number): RfmGroup {
  const g = RF_SEGMENT_MAP[`${r}${f}`];
  if (!g) throw new Error(`RFM scores out of range: r=${r} f=${f}`);
  return g;
}

/** Quintile scores (recency reversed: recent = 5) and the named group. Throws on non-finite input. */
export function rfmScores(bp: RfmBreakpoints, input: RfmInput): RfmScores {
  const { daysSinceLastOrder: d, frequency, monetary } = input;
  if (!Number.isFinite(d) || !Number.isFinite(frequency) || !Number.isFinite(monetary))
    throw new Error('rfmScores: inputs must be finite numbers');
  const r = 6 - bucket(bp.recency, d);
  const f = bucket(bp.frequency, frequency);
  const m = bucket(bp.monetary, monetary);
  return { r, f, m, group: rfmGroup(r, f) };
}
