// What the goal and the stage flow read from a night's run record: the night's summary counters.
import type { IsoDate } from '../types.js';

/** The parts of a night's run summary (RunSummary) that goals and the stage flow need. */
export interface NightFigures {
  runDate: IsoDate;
  stages: Record<string, number>;
  /** Stage moves of the night, `from>to`; absent on run records from before the counter existed. */
  moves?: Record<string, number> | undefined;
  /** Customers by days since their last order (`0`..`365`); absent on older run records. */
  recency?: Record<string, number> | undefined;
}

export function byRunDate(nights: readonly NightFigures[]): Map<IsoDate, NightFigures> {
  return new Map(nights.map((n) => [n.runDate, n]));
}
