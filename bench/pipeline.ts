import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exampleCampaignFiles, pushCampaignFiles } from '../cli/local/campaigns.js';
import { type NightResult, runNight } from '../cli/local/runNight.js';
import { openLocalSession } from '../cli/local/session.js';
import { seedPopulation } from '../cli/seed/load.js';
import { documentClient } from '../functions/adapters/clients.js';
import type { MeasuredProfile } from '../functions/domain/cost/profile.js';

export const PROFILE_FILE = fileURLToPath(new URL('./measured-profile.json', import.meta.url));

/**
 * Seeds a population in memory and runs two nights in a row through the real state machine; prints
 * the time split and each night's writes, and regenerates the measured profile `retention plan` uses.
 */
export async function benchPipeline(
  customers = Number(process.env.BENCH_CUSTOMERS ?? 10_000),
): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'retention-bench-'));
  const session = await openLocalSession({ home, persist: false });
  try {
    const runDate = '2026-11-20';
    const seeded = await seedPopulation(documentClient(), session.tables, {
      customers,
      seed: 42,
      asOf: runDate,
      orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
    });
    await pushCampaignFiles(session.campaigns, await exampleCampaignFiles(process.cwd()), 'bench');
    const first = await runNight({ runDate });
    const steady = await runNight({ runDate: '2026-11-21' });
    const line = (k: string, v: string) => process.stdout.write(`  ${k.padEnd(34)} ${v}\n`);
    process.stdout.write(
      `\nnightly pipeline, ${customers.toLocaleString('en')} customers (in-memory dynalite in a child process, SES emulator in-process)\n`,
    );
    line(
      'seed (customers + orders)',
      `${(seeded.ms / 1000).toFixed(1)} s (${seeded.orders.toLocaleString('en')} orders)`,
    );
    for (const [name, night] of [
      ['night 1', first],
      ['night 2 (steady)', steady],
    ] as const) {
      const s = night.summary;
      process.stdout.write(`  ${name}\n`);
      line('  night wall time', `${(night.wallMs / 1000).toFixed(1)} s`);
      for (const [k, v] of Object.entries(night.stateWallMs))
        line(`    ${k} (wall)`, `${(v / 1000).toFixed(1)} s`);
      line(
        '  customers per second (whole night)',
        Math.round(s.customers / (night.wallMs / 1000)).toLocaleString('en'),
      );
      line('  emails sent', `${s.send.sent ?? 0}`);
      line(
        '  DynamoDB RCU / WCU per customer',
        `${(night.work.dynamodb.readCapacityUnits / s.customers).toFixed(3)} / ${(night.work.dynamodb.writeCapacityUnits / s.customers).toFixed(3)}`,
      );
      line('  state transitions', `${night.work.stepFunctions.stateTransitions}`);
    }
    const profile = measuredProfile(first, steady, session.config.TOTAL_SEGMENTS);
    writeFileSync(PROFILE_FILE, `${JSON.stringify(profile, null, 2)}\n`);
    process.stdout.write(`  profile written to bench/measured-profile.json\n`);
  } finally {
    await session.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/** Per-unit operation counts: scoring from the steady night, sending from the first (which sends). */
function measuredProfile(first: NightResult, steady: NightResult, segments: number): MeasuredProfile {
  const customers = steady.summary.customers;
  const sent = first.summary.send.sent ?? 0;
  const work = (night: NightResult, handler: string) => night.workByHandler[handler]?.dynamodb;
  const score = work(steady, 'scoreSegment');
  const send = work(first, 'sendSegment');
  const prepare = work(steady, 'prepareRun');
  const round = (x: number) => Number(x.toPrecision(4));
  const topLevel = steady.work.stepFunctions.topLevelTransitions;
  return {
    measuredOn: new Date().toISOString().slice(0, 10),
    howMeasured:
      `npx tsx bench/pipeline.ts: ${customers} synthetic customers (seed 42), example campaigns, two nights in a row ` +
      `(2026-11-20, 2026-11-21) through the local state machine, ${segments} segments; DynamoDB units from ` +
      'ReturnConsumedCapacity, split by handler; handler time summed over invocations; scoring from the second night, ' +
      'sending from the first',
    customers,
    segments,
    score: {
      readUnitsPerCustomer: round((score?.readCapacityUnits ?? 0) / customers),
      writeUnitsPerCustomer: round((score?.writeCapacityUnits ?? 0) / customers),
      handlerMsPerCustomer: round((steady.phases.scoreSegment ?? 0) / customers),
      customersPerSecondPerSegment: round(
        customers / segments / ((steady.phases.scoreSegment ?? 1) / segments / 1000),
      ),
    },
    send: {
      readUnitsPerSend: round(sent > 0 ? (send?.readCapacityUnits ?? 0) / sent : 0),
      writeUnitsPerSend: round(sent > 0 ? (send?.writeCapacityUnits ?? 0) / sent : 0),
      handlerMsPerSend: round(sent > 0 ? (first.phases.sendSegment ?? 0) / sent : 0),
      measuredSendShare: round(sent / first.summary.customers),
    },
    prepare: {
      readUnitsPerSampledCustomer: round((prepare?.readCapacityUnits ?? 0) / customers),
      handlerMs: round(steady.phases.prepareRun ?? 0),
    },
    transitions: {
      perNight: topLevel,
      perSegment: round((steady.work.stepFunctions.stateTransitions - topLevel) / segments),
    },
    // The first night writes every customer's full item: its write units per customer, in KB.
    customerItemBytes: round(((work(first, 'scoreSegment')?.writeCapacityUnits ?? 0) / customers) * 1024),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchPipeline();
