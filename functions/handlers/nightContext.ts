import type { RunRecord } from '../adapters/runStore.js';
import { compileNight, type NightContext } from '../domain/night/context.js';
import type { RunPlan } from '../domain/night/plan.js';
import type { Deps } from './deps.js';

/**
 * A warm Lambda container runs many segment invocations of the same night (the Map's segments and
 * each segment's resumptions). The night's campaign versions are fixed by Prepare's plan and stored
 * versions never change, so the compiled night is kept per run: each invocation reads only the run
 * record, instead of every campaign version plus a YAML parse, validation and template compile.
 */
const compiled = new Map<string, Promise<NightContext>>();
const KEEP = 4;

export async function loadNight(
  d: Deps,
  runDate: string,
): Promise<{ run: RunRecord<RunPlan>; night: NightContext }> {
  const run = await d.runs.get<RunPlan>(runDate);
  if (!run) throw new Error(`no run record for ${runDate}: Prepare must run first`);
  const key = JSON.stringify([d.config.CONFIG_TABLE, runDate, run.createdAt, run.plan.campaigns]);
  let night = compiled.get(key);
  if (!night) {
    night = Promise.all(run.plan.campaigns.map((c) => d.campaigns.version(c.campaignId, c.version))).then(
      (versions) =>
        compileNight(
          run.plan,
          versions.filter((v) => v !== undefined),
        ),
    );
    if (compiled.size >= KEEP) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, night);
    // A failed read is not remembered: the next invocation tries again.
    night.catch(() => compiled.delete(key));
  }
  return { run, night: await night };
}
