import { sendMapConcurrency } from '../delivery/sendPacing.js';
import type { Prices } from './prices.js';
import type { MeasuredProfile } from './profile.js';

export interface PlanInput {
  customers: number;
  /** The account's SES max send rate, messages per second. */
  sendRate: number;
  /** Share of the customers emailed tonight (0..1). */
  sendShare: number;
  segments: number;
  mapConcurrency: number;
  lambdaMemoryMb: number;
  scoringSampleSize: number;
  /** SES events per message that reach the event handler (send, delivery, open, click, ...). */
  sesEventsPerSend: number;
  writeUnitsPerSesEvent: number;
  nightsPerMonth: number;
  /** The table's sustained read/write units per second (on-demand warm throughput or quota). */
  tableReadUnitsPerSecond: number;
  tableWriteUnitsPerSecond: number;
  /** Optional limits the send-pacing warning checks: SES daily quota and the send window. */
  dailyQuota?: number | undefined;
  sendWindowHours?: number | undefined;
}

/** One line of the cost table: a quantity, its unit price and what it costs per night. */
export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  usdPerNight: number;
  /** Email (SES messages) is reported apart from compute and storage. */
  email: boolean;
}

export interface NightPlan {
  input: PlanInput;
  sends: number;
  lines: CostLine[];
  usdPerNight: { computeAndStorage: number; email: number; total: number };
  usdPerMonth: { computeAndStorage: number; email: number; total: number };
  computeAndStorageUsdPerMillionCustomers: number;
  wallSeconds: {
    prepare: number;
    scoring: number;
    /** What the compute needs to score, and what the table's throughput allows; scoring is the larger. */
    scoringCompute: number;
    scoringTableBound: number;
    /** Apart: the time the SES rate imposes on the sends. */
    sesRate: number;
    /** Everything except the SES-rate time. */
    withoutSesRate: number;
  };
  lambdaConcurrency: number;
  /** Send segments at once (the send Map's concurrency for this rate); each is billed while it waits for its share. */
  sendConcurrency: number;
  warnings: string[];
}

const LAMBDA_BUDGET_SECONDS = 14 * 60;

/** The projected cost and wall time of one night and a month: pure arithmetic on measured counts. */
export function projectNight(profile: MeasuredProfile, input: PlanInput, prices: Prices): NightPlan {
  const n = input.customers;
  const sends = Math.round(n * input.sendShare);
  const sampled = Math.min(n, input.scoringSampleSize);
  const gb = input.lambdaMemoryMb / 1024;

  const readUnits =
    n * profile.score.readUnitsPerCustomer +
    sends * profile.send.readUnitsPerSend +
    sampled * profile.prepare.readUnitsPerSampledCustomer;
  const nightWriteUnits = n * profile.score.writeUnitsPerCustomer + sends * profile.send.writeUnitsPerSend;
  const eventWriteUnits = sends * input.sesEventsPerSend * input.writeUnitsPerSesEvent;

  const perSegment = Math.ceil(n / input.segments);
  const waves = Math.ceil(input.segments / input.mapConcurrency);
  const segmentSeconds = perSegment / profile.score.customersPerSecondPerSegment;
  const scoringCompute = waves * segmentSeconds;
  const scoringTableBound = Math.max(
    (n * profile.score.readUnitsPerCustomer) / input.tableReadUnitsPerSecond,
    (n * profile.score.writeUnitsPerCustomer) / input.tableWriteUnitsPerSecond,
  );
  const scoring = Math.max(scoringCompute, scoringTableBound);
  // Prepare reads and fits the sample; the measured run sampled its whole population.
  const prepare = (profile.prepare.handlerMs / 1000) * (sampled / profile.customers);
  const sesRate = sends / input.sendRate;

  // The send segments that run at once are alive for the whole time the SES rate imposes (each waits
  // for its share of the rate), so the send stage is billed the larger of its compute and that.
  const sendConcurrency = sendMapConcurrency(input.segments, input.sendRate);
  const sendLambdaSeconds = Math.max(
    (sends * profile.send.handlerMsPerSend) / 1000,
    sesRate * sendConcurrency,
  );
  const handlerSeconds = (n * profile.score.handlerMsPerCustomer) / 1000 + sendLambdaSeconds + prepare;
  // Each segment's loop re-invokes its Lambda before the 15-minute limit.
  const scoreInvocations = input.segments * Math.max(1, Math.ceil(segmentSeconds / LAMBDA_BUDGET_SECONDS));
  // A segment sends its share of the emails at its share of the rate.
  const sendSecondsPerSegment = (sesRate * sendConcurrency) / input.segments;
  const sendInvocations =
    input.segments * Math.max(1, Math.ceil(sendSecondsPerSegment / LAMBDA_BUDGET_SECONDS));
  const eventInvocations = sends * input.sesEventsPerSend;
  const requests = 3 + scoreInvocations + sendInvocations + eventInvocations;
  const extraInvocations = scoreInvocations + sendInvocations - 2 * input.segments;
  const transitions =
    profile.transitions.perNight + profile.transitions.perSegment * input.segments + 2 * extraInvocations;
  const storageGb = (n * profile.customerItemBytes) / 1e9;

  const line = (
    item: string,
    quantity: number,
    unit: string,
    unitPrice: number,
    email = false,
  ): CostLine => ({
    item,
    quantity,
    unit,
    unitPrice,
    usdPerNight: quantity * unitPrice,
    email,
  });
  const lines = [
    line('DynamoDB reads', readUnits, 'read units', prices.dynamodbReadUnit),
    line('DynamoDB writes (night)', nightWriteUnits, 'write units', prices.dynamodbWriteUnit),
    line('DynamoDB writes (SES events)', eventWriteUnits, 'write units', prices.dynamodbWriteUnit),
    line(
      'DynamoDB storage (customers)',
      storageGb / input.nightsPerMonth,
      'GB-months',
      prices.dynamodbStorageGbMonth,
    ),
    line('Lambda duration', handlerSeconds * gb, 'GB-seconds', prices.lambdaGbSecond),
    line('Lambda requests', requests, 'requests', prices.lambdaRequest),
    line('Step Functions transitions', transitions, 'transitions', prices.stepFunctionsTransition),
    line('SES messages', sends, 'messages', prices.sesMessage, true),
  ];
  const sum = (email: boolean) =>
    lines.filter((l) => l.email === email).reduce((a, l) => a + l.usdPerNight, 0);
  const night = { computeAndStorage: sum(false), email: sum(true), total: sum(false) + sum(true) };
  const month = {
    computeAndStorage: night.computeAndStorage * input.nightsPerMonth,
    email: night.email * input.nightsPerMonth,
    total: night.total * input.nightsPerMonth,
  };

  const warnings: string[] = [];
  if (input.dailyQuota !== undefined && sends > input.dailyQuota)
    warnings.push(`sends ${sends} exceed the SES daily quota ${input.dailyQuota}`);
  if (input.sendWindowHours !== undefined && sesRate > input.sendWindowHours * 3600)
    warnings.push(
      `sending takes ${(sesRate / 3600).toFixed(1)} h at ${input.sendRate}/s, longer than the ${input.sendWindowHours} h window`,
    );
  if (scoringTableBound > scoringCompute)
    warnings.push('the customers table throughput, not the Lambda compute, bounds the scoring time');
  const lambdaConcurrency = Math.min(input.segments, input.mapConcurrency);
  if (lambdaConcurrency > 1000)
    warnings.push('more concurrent Lambdas than the default account quota of 1,000');

  return {
    input,
    sends,
    lines,
    usdPerNight: night,
    usdPerMonth: month,
    computeAndStorageUsdPerMillionCustomers: n > 0 ? night.computeAndStorage / (n / 1e6) : 0,
    wallSeconds: {
      prepare,
      scoring,
      scoringCompute,
      scoringTableBound,
      sesRate,
      withoutSesRate: prepare + scoring,
    },
    lambdaConcurrency,
    sendConcurrency,
    warnings,
  };
}
