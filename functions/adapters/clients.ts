import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { bump, workCounts } from './workCounters.js';

// Endpoints come from the standard AWS_ENDPOINT_URL_* variables, so the same clients talk to
// DynamoDB/SES on AWS and to the embedded services locally.

interface ConsumedCapacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const WRITE_COMMANDS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
]);

function addCapacity(command: string, capacity: ConsumedCapacity | ConsumedCapacity[] | undefined): void {
  if (capacity === undefined) return;
  for (const c of Array.isArray(capacity) ? capacity : [capacity]) {
    const units = c.CapacityUnits ?? 0;
    if (WRITE_COMMANDS.has(command)) workCounts.dynamodb.writeCapacityUnits += units;
    else workCounts.dynamodb.readCapacityUnits += units;
  }
}

/**
 * The SDK's logger middleware runs the sensitive-data filter over every request and response (for
 * DynamoDB, a walk of every attribute value) even when no logger is configured, only to hand the
 * result to a no-op logger. Nothing here gives the SDK a logger, so the middleware only costs CPU:
 * about a third of the client-side cost of reading a page of customers.
 */
function dropSdkLogging(client: { middlewareStack: { remove(name: string): boolean } }): void {
  client.middlewareStack.remove('loggerMiddleware');
}

/**
 * The SDK's retry middleware records its attempts on the output and on the error. A retried
 * conditional write whose first attempt did land fails its own condition, so retries are counted:
 * they explain conditional failures nobody else caused.
 */
function countRetries(outcome: unknown): void {
  const attempts = (outcome as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts;
  if (attempts !== undefined && attempts > 1) workCounts.dynamodb.sdkRetries += attempts - 1;
}

let dynamo: DynamoDBDocumentClient | undefined;
let ses: SESv2Client | undefined;

export function documentClient(): DynamoDBDocumentClient {
  if (dynamo) return dynamo;
  const base = new DynamoDBClient({ maxAttempts: 8 });
  dropSdkLogging(base);
  base.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      bump(workCounts.dynamodb.calls, command);
      const input = args.input as Record<string, unknown>;
      if (input && typeof input === 'object' && !('ReturnConsumedCapacity' in input)) {
        input.ReturnConsumedCapacity = 'TOTAL';
      }
      try {
        const result = await next(args);
        countRetries(result.output);
        const output = result.output as {
          ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[];
          Items?: unknown[];
          Item?: unknown;
          Responses?: Record<string, unknown[]>;
        };
        addCapacity(command, output.ConsumedCapacity);
        if (output.Items) workCounts.dynamodb.itemsRead += output.Items.length;
        if (output.Item) workCounts.dynamodb.itemsRead += 1;
        if (output.Responses) {
          for (const items of Object.values(output.Responses)) workCounts.dynamodb.itemsRead += items.length;
        }
        if (command === 'BatchWriteItemCommand') {
          const requests = (input.RequestItems ?? {}) as Record<string, unknown[]>;
          for (const r of Object.values(requests)) workCounts.dynamodb.itemsWritten += r.length;
        } else if (WRITE_COMMANDS.has(command)) {
          workCounts.dynamodb.itemsWritten += 1;
        }
        return result;
      } catch (error) {
        countRetries(error);
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
          workCounts.dynamodb.conditionalCheckFailures += 1;
          // A failed condition still consumes write capacity on AWS.
          workCounts.dynamodb.writeCapacityUnits += 1;
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'retentionWorkCounter' },
  );
  dynamo = DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return dynamo;
}

export function sesClient(): SESv2Client {
  if (ses) return ses;
  ses = new SESv2Client({ maxAttempts: 1 });
  dropSdkLogging(ses);
  ses.middlewareStack.add(
    (next, context) => async (args) => {
      bump(workCounts.ses.calls, context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'retentionSesCounter' },
  );
  return ses;
}

/** Drops cached clients (the local runtime calls this after changing endpoints). */
export function resetClients(): void {
  dynamo?.destroy();
  ses?.destroy();
  dynamo = undefined;
  ses = undefined;
}
