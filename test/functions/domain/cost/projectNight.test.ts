import { describe, expect, it } from 'vitest';
import { type Prices, US_EAST_1_PRICES } from '../../../../functions/domain/cost/prices.js';
import type { MeasuredProfile } from '../../../../functions/domain/cost/profile.js';
import { type PlanInput, projectNight } from '../../../../functions/domain/cost/projectNight.js';

// Round numbers, so every figure below can be worked out by hand.
const profile: MeasuredProfile = {
  measuredOn: '2026-12-03',
  howMeasured: 'hand-made for the test',
  customers: 10_000,
  segments: 4,
  score: {
    readUnitsPerCustomer: 0.1,
    writeUnitsPerCustomer: 0.02,
    handlerMsPerCustomer: 0.5,
    customersPerSecondPerSegment: 1000,
  },
  send: { readUnitsPerSend: 4, writeUnitsPerSend: 1, handlerMsPerSend: 10, measuredSendShare: 0.03 },
  prepare: { readUnitsPerSampledCustomer: 0.1, handlerMs: 1000 },
  transitions: { perNight: 4, perSegment: 6 },
  customerItemBytes: 1000,
};
const prices: Prices = {
  dynamodbWriteUnit: 1e-6,
  dynamodbReadUnit: 0.1e-6,
  dynamodbStorageGbMonth: 0.3,
  lambdaGbSecond: 1e-5,
  lambdaRequest: 1e-7,
  stepFunctionsTransition: 1e-5,
  sesMessage: 1e-4,
};
const input: PlanInput = {
  customers: 1_000_000,
  sendRate: 10,
  sendShare: 0.01,
  segments: 100,
  mapConcurrency: 50,
  lambdaMemoryMb: 2048,
  scoringSampleSize: 20_000,
  sesEventsPerSend: 2,
  writeUnitsPerSesEvent: 3,
  nightsPerMonth: 30,
  tableReadUnitsPerSecond: 1000,
  tableWriteUnitsPerSecond: 1000,
};

describe('projectNight', () => {
  it('matches a hand-computed night of a million customers', () => {
    const plan = projectNight(profile, input, prices);
    const cost = (item: string) => plan.lines.find((l) => l.item === item);
    expect(plan.sends).toBe(10_000);
    // reads: 1e6 * 0.1 + 1e4 * 4 + 2e4 * 0.1 = 142,000 units
    expect(cost('DynamoDB reads')?.quantity).toBeCloseTo(142_000, 6);
    expect(cost('DynamoDB reads')?.usdPerNight).toBeCloseTo(0.0142, 10);
    // night writes: 1e6 * 0.02 + 1e4 * 1 = 30,000; SES events: 1e4 * 2 * 3 = 60,000
    expect(cost('DynamoDB writes (night)')?.usdPerNight).toBeCloseTo(0.03, 10);
    expect(cost('DynamoDB writes (SES events)')?.usdPerNight).toBeCloseTo(0.06, 10);
    // storage: 1e6 * 1000 B = 1 GB, a 30th of a month at 0.3
    expect(cost('DynamoDB storage (customers)')?.usdPerNight).toBeCloseTo(0.01, 10);
    // prepare: 1 s * 20,000 / 10,000 = 2 s; scoring 1e6 * 0.5 / 1000 = 500 s; sending at 10/s needs one
    // segment at a time, alive for the 1,000 s the rate imposes (more than its 1e4 * 10 / 1000 = 100 s
    // of compute): 500 + 1000 + 2 = 1,502 s * 2 GB
    expect(plan.wallSeconds.prepare).toBeCloseTo(2, 10);
    expect(plan.sendConcurrency).toBe(1);
    expect(cost('Lambda duration')?.quantity).toBeCloseTo(3004, 6);
    // one invocation per segment and stage (10 s per segment, 100 s of sending), prepare, summarize,
    // start, and one per SES event: 3 + 100 + 100 + 20,000
    expect(cost('Lambda requests')?.quantity).toBe(20_203);
    // transitions: 4 + 6 * 100
    expect(cost('Step Functions transitions')?.quantity).toBe(604);
    expect(cost('SES messages')?.usdPerNight).toBeCloseTo(1, 10);
    expect(cost('SES messages')?.email).toBe(true);
    const compute = 0.0142 + 0.03 + 0.06 + 0.01 + 3004 * 1e-5 + 20_203 * 1e-7 + 604 * 1e-5;
    expect(plan.usdPerNight.computeAndStorage).toBeCloseTo(compute, 10);
    expect(plan.usdPerMonth.computeAndStorage).toBeCloseTo(compute * 30, 8);
    expect(plan.computeAndStorageUsdPerMillionCustomers).toBeCloseTo(compute, 10);
    // scoring: 10,000 customers a segment at 1,000/s = 10 s, two waves = 20 s of compute; the
    // table allows 1e6 * 0.1 / 1000 = 100 s of reads, which bounds it.
    expect(plan.wallSeconds.scoringCompute).toBeCloseTo(20, 10);
    expect(plan.wallSeconds.scoringTableBound).toBeCloseTo(100, 10);
    expect(plan.wallSeconds.scoring).toBeCloseTo(100, 10);
    expect(plan.wallSeconds.withoutSesRate).toBeCloseTo(102, 10);
    expect(plan.wallSeconds.sesRate).toBeCloseTo(1000, 10);
    expect(plan.lambdaConcurrency).toBe(50);
    expect(plan.warnings).toEqual([
      'the customers table throughput, not the Lambda compute, bounds the scoring time',
    ]);
  });

  it('re-invokes a segment that needs longer than one Lambda run, and flags the quota and the window', () => {
    const big = projectNight(
      profile,
      { ...input, customers: 2_000_000_000, sendShare: 0.0001, dailyQuota: 100_000, sendWindowHours: 1 },
      prices,
    );
    // 20M customers a segment at 1,000/s = 20,000 s: ceil(20,000 / 840) = 24 invocations per segment.
    expect(big.lines.find((l) => l.item === 'Step Functions transitions')?.quantity).toBe(4 + 600 + 2 * 2300);
    expect(big.warnings).toContain('sends 200000 exceed the SES daily quota 100000');
    expect(big.warnings.some((w) => w.includes('longer than the 1 h window'))).toBe(true);
  });

  it('uses the cited us-east-1 prices', () => {
    expect(US_EAST_1_PRICES.dynamodbWriteUnit * 1e6).toBeCloseTo(0.625, 10);
    expect(US_EAST_1_PRICES.stepFunctionsTransition * 1000).toBeCloseTo(0.025, 10);
  });
});
