// Counts the billable work a night does (DynamoDB capacity units and calls, SES calls), so the
// cost of a night on AWS can be projected from what a local run actually did.

export interface WorkCounts {
  dynamodb: {
    calls: Record<string, number>;
    readCapacityUnits: number;
    writeCapacityUnits: number;
    itemsRead: number;
    itemsWritten: number;
    conditionalCheckFailures: number;
    /** Requests the SDK sent again (throttling, 5xx, a dropped connection) beyond the first attempt. */
    sdkRetries: number;
    /**
     * Segment progress records read back older than the reading invocation's own last save (an
     * embedded-database fault; DynamoDB's consistent reads never do this), saved over. See RunStore.
     */
    staleProgressRecords: number;
  };
  ses: { calls: Record<string, number>; recipients: number; throttled: number };
  lambda: { invocations: Record<string, number> };
}

export function emptyWorkCounts(): WorkCounts {
  return {
    dynamodb: {
      calls: {},
      readCapacityUnits: 0,
      writeCapacityUnits: 0,
      itemsRead: 0,
      itemsWritten: 0,
      conditionalCheckFailures: 0,
      sdkRetries: 0,
      staleProgressRecords: 0,
    },
    ses: { calls: {}, recipients: 0, throttled: 0 },
    lambda: { invocations: {} },
  };
}

/** Process-wide counters: one Lambda execution environment, or the whole local runtime. */
export const workCounts: WorkCounts = emptyWorkCounts();

export function resetWorkCounts(): void {
  Object.assign(workCounts, emptyWorkCounts());
}

export function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

export function mergeWorkCounts(into: WorkCounts, from: WorkCounts): WorkCounts {
  for (const [k, v] of Object.entries(from.dynamodb.calls)) bump(into.dynamodb.calls, k, v);
  into.dynamodb.readCapacityUnits += from.dynamodb.readCapacityUnits;
  into.dynamodb.writeCapacityUnits += from.dynamodb.writeCapacityUnits;
  into.dynamodb.itemsRead += from.dynamodb.itemsRead;
  into.dynamodb.itemsWritten += from.dynamodb.itemsWritten;
  into.dynamodb.conditionalCheckFailures += from.dynamodb.conditionalCheckFailures;
  into.dynamodb.sdkRetries += from.dynamodb.sdkRetries;
  into.dynamodb.staleProgressRecords += from.dynamodb.staleProgressRecords;
  for (const [k, v] of Object.entries(from.ses.calls)) bump(into.ses.calls, k, v);
  into.ses.recipients += from.ses.recipients;
  into.ses.throttled += from.ses.throttled;
  for (const [k, v] of Object.entries(from.lambda.invocations)) bump(into.lambda.invocations, k, v);
  return into;
}
