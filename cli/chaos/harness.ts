import { FAULT_KINDS, type FaultPlan, LOST_STATS_INCREMENT } from './faults.js';
import {
  checkInvariants,
  countDuplicates,
  type InvariantReport,
  statisticsOverEvents,
} from './invariants.js';
import { runWorld, type WorldObservation, type WorldOptions } from './world.js';

export interface ChaosOptions extends Omit<WorldOptions, 'faults'> {
  faults: FaultPlan;
}

export interface ChaosReport {
  ok: boolean;
  customers: number;
  nights: number;
  seed: number;
  faults: FaultPlan;
  /** Faults injected per kind (crashes, timeouts and batches count once each; UnprocessedItems per item). */
  injected: Record<string, number>;
  restarts: number;
  reruns: number;
  emails: number;
  duplicates: number;
  sent: number;
  ambiguous: number;
  failed: number;
  skipped: number;
  attemptsPerNight: number[];
  /** SES statistics increments above the events published (counted twice); see LOST_STATS_INCREMENT. */
  statisticsOverEvents: number;
  invariants: InvariantReport;
  wallMs: { reference: number; chaos: number };
}

/**
 * `retention chaos`: a fault-free reference world and a world under the faults, same seed, same
 * nights, one after the other (the SDK clients of the local runtime are process-wide), then every
 * invariant checked on what the chaos world stored.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { afterRun: _testHook, ...rest } = options;
  const reference = await runWorld({ ...rest, faults: {}, log: (l) => options.log?.(`reference: ${l}`) });
  const world = await runWorld({ ...options, log: (l) => options.log?.(`chaos: ${l}`) });
  return report(options, world, reference);
}

export function report(
  options: ChaosOptions,
  world: WorldObservation,
  reference: WorldObservation,
): ChaosReport {
  const invariants = checkInvariants(world, reference);
  const sum = (k: string) => world.nights.reduce((n, x) => n + (x.summary.send[k] ?? 0), 0);
  const injected: Record<string, number> = {};
  for (const kind of FAULT_KINDS)
    if (options.faults[kind] !== undefined) injected[kind] = world.injected[kind] ?? 0;
  if (options.faults['dynamo-lost-response'] !== undefined)
    injected[LOST_STATS_INCREMENT] = world.injected[LOST_STATS_INCREMENT] ?? 0;
  return {
    ok: Object.values(invariants).every((r) => r.ok),
    customers: options.customers,
    nights: options.nights,
    seed: options.seed,
    faults: options.faults,
    injected,
    restarts: world.restarts,
    reruns: world.reruns,
    emails: world.nights.reduce((n, x) => n + x.emails.length, 0),
    duplicates: countDuplicates(world),
    sent: sum('sent'),
    ambiguous: sum('ambiguous'),
    failed: sum('failed'),
    skipped: sum('skipped'),
    attemptsPerNight: world.nights.map((n) => n.attempts),
    statisticsOverEvents: statisticsOverEvents(world),
    invariants,
    wallMs: { reference: reference.wallMs, chaos: world.wallMs },
  };
}
