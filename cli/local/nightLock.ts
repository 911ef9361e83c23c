import { randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { writeIf } from '../../functions/adapters/tableNames.js';
import { isAlive } from './sharedDatabase.js';

// On AWS a night is one Step Functions execution named `nightly-YYYY-MM-DD`: a second start of the
// same name does not run the night a second time. Locally each `retention run` interprets the
// state machine itself, so this item in the config table plays the execution name's part: one
// process runs a night at a time, and a second `retention run` of that night waits for the first
// and then re-runs it the way a retried execution would (its handlers find the work done: no email
// twice, no second count). A holder that died (same machine, pid gone) is taken over atomically by
// a conditional write on its token.

export interface NightHolder {
  pid: number;
  token: string;
  startedAt: string;
  command: string;
}

export interface NightLockOptions {
  db: DynamoDBDocumentClient;
  table: string;
  runDate: string;
  command?: string;
  /** Told once when another process holds the night and this one waits. */
  onWait?: (holder: NightHolder) => void;
  /** Give up waiting after this long (a night takes minutes; default one hour). */
  timeoutMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  alive?: (pid: number) => boolean;
}

const key = (runDate: string) => ({ pk: 'LOCAL#EXECUTION', sk: `nightly-${runDate}` });

/** Holds the night until `release()`; waits while another live process holds it. */
export async function holdNight(options: NightLockOptions): Promise<{ release(): Promise<void> }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const alive = options.alive ?? isAlive;
  const deadline = now() + (options.timeoutMs ?? 3_600_000);
  const me: NightHolder = {
    pid: process.pid,
    token: randomUUID(),
    startedAt: new Date(now()).toISOString(),
    command: options.command ?? `retention run --date ${options.runDate}`,
  };
  let told = false;
  for (;;) {
    const put = (condition: string, values?: Record<string, unknown>) =>
      writeIf(() =>
        options.db.send(
          new PutCommand({
            TableName: options.table,
            Item: { ...key(options.runDate), holder: me },
            ConditionExpression: condition,
            ...(values
              ? { ExpressionAttributeValues: values, ExpressionAttributeNames: { '#t': 'token' } }
              : {}),
          }),
        ),
      );
    if (await put('attribute_not_exists(pk)')) break;
    const out = await options.db.send(
      new GetCommand({ TableName: options.table, Key: key(options.runDate), ConsistentRead: true }),
    );
    const holder = out.Item?.holder as NightHolder | undefined;
    if (holder && !alive(holder.pid)) {
      if (await put('holder.#t = :t', { ':t': holder.token })) break;
      continue;
    }
    if (holder && !told) {
      told = true;
      options.onWait?.(holder);
    }
    if (now() > deadline) {
      throw new Error(
        `the night of ${options.runDate} is still being run by pid ${holder?.pid ?? '?'} (${holder?.command ?? '?'}, started ${holder?.startedAt ?? '?'})`,
      );
    }
    await sleep(options.pollMs ?? 500);
  }
  return {
    async release() {
      await writeIf(() =>
        options.db.send(
          new DeleteCommand({
            TableName: options.table,
            Key: key(options.runDate),
            ConditionExpression: 'holder.#t = :t',
            ExpressionAttributeNames: { '#t': 'token' },
            ExpressionAttributeValues: { ':t': me.token },
          }),
        ),
      );
    },
  };
}
