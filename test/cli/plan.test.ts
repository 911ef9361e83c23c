import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatPlan } from '../../cli/commands/plan.js';
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
