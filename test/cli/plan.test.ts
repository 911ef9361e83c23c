import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { formatPlan, registerPlanCommand } from '../../cli/commands/plan.js';
import { US_EAST_1_PRICES } from '../../functions/domain/cost/prices.js';
import { MeasuredProfileSchema } from '../../functions/domain/cost/profile.js';
import { projectNight } from '../../functions/domain/cost/projectNight.js';

describe('the measured profile in the repository', () => {
  it('is valid, dated, and projects a printable plan for 10 million customers', () => {
    const profile = MeasuredProfileSchema.parse(
      JSON.parse(readFileSync(new URL('../../bench/measured-profile.json', import.meta.url), 'utf8')),
    );
    expect(profile.measuredOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The steady night it was measured on stays within the write target.
    expect(profile.score.writeUnitsPerCustomer).toBeLessThanOrEqual(0.2);
    const plan = projectNight(
      profile,
      {
        customers: 10_000_000,
        sendRate: 14,
        sendShare: 0,
        segments: 256,
        mapConcurrency: 256,
        lambdaMemoryMb: 1024,
        scoringSampleSize: 200_000,
        sesEventsPerSend: 2,
        writeUnitsPerSesEvent: 3,
        nightsPerMonth: 30,
        tableReadUnitsPerSecond: 12_000,
        tableWriteUnitsPerSecond: 4_000,
      },
      US_EAST_1_PRICES,
    );
    const text = formatPlan(plan, profile.measuredOn);
    expect(text).toContain('DynamoDB writes (night)');
    expect(text).toContain('time the SES rate imposes');
  });
});

describe('retention plan', () => {
  const run = async (...args: string[]) => {
    const program = new Command().exitOverride();
    registerPlanCommand(program);
    let out = '';
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => {
      out += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'retention', 'plan', ...args]);
    } finally {
      process.stdout.write = write;
    }
    return out;
  };

  it('names the option that is wrong and why', async () => {
    await expect(run('--customers', '1000', '--send-share', '2')).rejects.toThrow(/--send-share: .*1/);
    await expect(run('--customers', 'many')).rejects.toThrow(/--customers: /);
  });

  it('prints JSON with the prices date, the profile date and the quota warning', async () => {
    const plan = JSON.parse(
      await run('--customers', '10000000', '--send-share', '0.05', '--daily-quota', '100000', '--json'),
    ) as { pricesAsOf: string; profile: { measuredOn: string }; warnings: string[]; sends: number };
    expect(plan.sends).toBe(500_000);
    expect(plan.pricesAsOf).toMatch(/2025/);
    expect(plan.profile.measuredOn).toMatch(/^\d{4}-/);
    expect(plan.warnings).toContain('sends 500000 exceed the SES daily quota 100000');
  });
});
