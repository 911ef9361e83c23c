import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import { Random } from '../seed/random.js';

/**
 * Fault injection for `retention chaos` and the chaos tests. It lives under cli/ on purpose: no
 * Lambda handler imports it (test/infra/chaosIsolation.test.ts bundles every handler and checks),
 * it reads no environment variable, and it is switched on only by a caller holding the SDK clients
 * of the local runtime. The faults enter through the same doors real ones do: SDK v3 middleware on
 * the very clients the handlers use, and the local runtime's `wrapHandler` hook around each task.
 */

export const FAULT_KINDS = [
  'ses-throttle',
  'ses-5xx',
  'ses-timeout',
  'ses-reset',
  'crash-score',
  'crash-send',
  'crash-after-send',
  'dynamo-unprocessed',
  'dynamo-throttle',
  'dynamo-lost-response',
  'lambda-timeout',
  'ses-events-duplicate',
  'ses-events-reorder',
  'clock-skew',
  'ses-events-timeout',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * What each rate means, and the rate `all` uses: a probability per SES SendEmail call, per DynamoDB
 * call (throttle), per batch call (unprocessed), per DynamoDB write (lost response), per task invocation (timeout), per SES event
 * (duplicate), per night (crashes, reorder, clock skew).
 */
export const DEFAULT_RATES: Readonly<Record<FaultKind, number>> = {
  'ses-throttle': 0.05,
  'ses-5xx': 0.03,
  'ses-timeout': 0.01,
  'ses-reset': 0.01,
  'crash-score': 1,
  'crash-send': 1,
  'crash-after-send': 1,
  'dynamo-unprocessed': 0.1,
  'dynamo-throttle': 0.005,
  'dynamo-lost-response': 0.01,
  'lambda-timeout': 0.05,
  'ses-events-duplicate': 0.3,
  'ses-events-reorder': 1,
  'clock-skew': 1,
  'ses-events-timeout': 0.05,
};

/**
 * Not in `all`: the SES events handler timing out between its seen-event marker and its counter
 * increment loses that increment (a known limit without transactions, functions/adapters/sendStats.ts),
 * which the statistics invariant then reports. `--faults all,ses-events-timeout` shows it.
 */
const NOT_IN_ALL: readonly FaultKind[] = ['ses-events-timeout', 'dynamo-lost-response'];

/**
 * Lost responses of the SES statistics' ADD increments, counted apart in `injected`: the SDK sends
 * the ADD again and it counts twice. Without transactions (dynalite has none) no read can tell
 * whether the first attempt landed, so this is the one write the fault can still skew.
 */
export const LOST_STATS_INCREMENT = 'dynamo-lost-response (statistics increment)';

export type FaultPlan = Partial<Record<FaultKind, number>>;

/**
 * Parses `--faults`: `all`, `none`, or a comma-separated list of `kind` (its default rate) or
 * `kind=rate` with 0 ≤ rate ≤ 1. Errors name the item and say what is expected.
 */
export function parseFaultList(text: string): FaultPlan {
  const trimmed = text.trim();
  if (trimmed === 'none' || trimmed === '') return {};
  const plan: FaultPlan = {};
  for (const raw of trimmed.split(',')) {
    const item = raw.trim();
    if (item === 'all') {
      for (const kind of FAULT_KINDS) if (!NOT_IN_ALL.includes(kind)) plan[kind] = DEFAULT_RATES[kind];
      continue;
    }
    const [name, rateText, extra] = item.split('=');
    if (extra !== undefined) throw new Error(`--faults: "${item}": expected kind or kind=rate`);
    if (!(FAULT_KINDS as readonly string[]).includes(name ?? '')) {
      throw new Error(
        `--faults: unknown fault "${name}": expected all, none or one of ${FAULT_KINDS.join(', ')}`,
      );
    }
    const kind = name as FaultKind;
    if (rateText === undefined) {
      plan[kind] = DEFAULT_RATES[kind];
      continue;
    }
    const rate = Number(rateText);
    if (rateText.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
      throw new Error(`--faults: "${item}": the rate must be a number from 0 to 1`);
    }
    plan[kind] = rate;
  }
  return plan;
}

type Args = { input: unknown };
type Next = (args: Args) => Promise<{ output: unknown; response?: unknown }>;
type Middleware = (next: Next, context: { commandName?: string }) => (args: Args) => Promise<unknown>;
interface Stack {
  middlewareStack: unknown;
}
interface MiddlewareStack {
  add(mw: Middleware, options: { step: string; name: string; priority?: string }): void;
  remove(name: string): boolean;
}
/** The SDK's stack typed for one middleware that handles every command of the client alike. */
const stackOf = (client: Stack) => client.middlewareStack as MiddlewareStack;

/** What SES accepted, as SES itself knows it: the source of the SES events the harness publishes. */
export interface AcceptedMessage {
  messageId: string;
  to: string;
  tags: Record<string, string>;
  at: string;
}

interface Invocation {
  killed: boolean;
  /** SDK calls left before the task's timeout strikes (undefined: it does not time out). */
  callsLeft?: number;
  kind?: FaultKind;
  kill?: () => void;
}

export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

const WRITE_COMMANDS: ReadonlySet<string> = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
]);

const errorWith = (message: string, fields: Record<string, unknown>) =>
  Object.assign(new Error(message), fields);

/**
 * One injector per world. Counts what it injected per kind; `enabled` is off while the harness
 * observes the world (its own reads are not the system under test).
 */
export class FaultInjector {
  readonly injected: Record<string, number> = {};
  readonly accepted: AcceptedMessage[] = [];
  enabled = false;
  /** The process is "dead": every call fails until the harness restarts it. */
  dead = false;
  inFlight = 0;
  private readonly random: Random;
  /** Its own stream: switching the lost-response fault on or off leaves every other draw as it was. */
  private readonly lostResponseRandom: Random;
  private readonly invocations = new AsyncLocalStorage<Invocation>();
  private nightTargets: { customerWrite?: number; sendBefore?: number; sendAfter?: number } = {};
  private customerWrites = 0;
  private sendCalls = 0;

  constructor(
    readonly plan: FaultPlan,
    seed: number,
    private readonly customersTable: string,
  ) {
    this.random = new Random(seed ^ 0x5eed);
    this.lostResponseRandom = new Random(seed ^ 0x1057);
  }

  rate(kind: FaultKind): number {
    return this.plan[kind] ?? 0;
  }

  /** A probability draw; the draw is taken whatever the rate so that one fault's rate does not shift another's. */
  chance(kind: FaultKind): boolean {
    const x = this.random.next();
    return x < this.rate(kind);
  }

  int(min: number, max: number): number {
    return this.random.int(min, max);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.random.next() * (i + 1));
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }

  count(kind: FaultKind | 'restart' | 'rerun', n = 1): void {
    this.injected[kind] = (this.injected[kind] ?? 0) + n;
  }

  /**
   * Arms tonight's process deaths: at the N-th customer write in scoring, before the N-th SendEmail
   * (mid-group: the group's intent is saved, the message never left) and after the M-th SendEmail
   * was accepted (between a send and its outcome write). Each strikes at most once a night.
   */
  armNight(): void {
    this.customerWrites = 0;
    this.sendCalls = 0;
    this.nightTargets = {};
    if (this.chance('crash-score')) this.nightTargets.customerWrite = this.int(2, 60);
    // The two send deaths strike apart, in either order, so that the night goes on sending after each.
    const first = this.int(3, 20);
    const second = first + this.int(5, 25);
    const beforeFirst = this.random.chance(0.5);
    if (this.chance('crash-send')) this.nightTargets.sendBefore = beforeFirst ? first : second;
    if (this.chance('crash-after-send')) this.nightTargets.sendAfter = beforeFirst ? second : first;
  }

  /** The night is done: deaths not struck by now do not strike during its SES events. */
  disarmNight(): void {
    this.nightTargets = {};
  }

  private die(kind: FaultKind): never {
    this.dead = true;
    this.count(kind);
    // Tonight's target is spent: after the restart the same night runs on without it.
    if (kind === 'crash-score') delete this.nightTargets.customerWrite;
    if (kind === 'crash-send') delete this.nightTargets.sendBefore;
    if (kind === 'crash-after-send') delete this.nightTargets.sendAfter;
    throw new SimulatedCrash(`process died (${kind})`);
  }

  /** Fails the call when the process is dead or the calling task has timed out. */
  private gate(): void {
    if (!this.enabled) return;
    if (this.dead) throw new SimulatedCrash('process gone');
    const inv = this.invocations.getStore();
    if (!inv) return;
    if (inv.killed) throw errorWith('Task timed out', { name: 'States.Timeout' });
    if (inv.callsLeft !== undefined && --inv.callsLeft <= 0) {
      inv.killed = true;
      this.count(inv.kind ?? 'lambda-timeout');
      inv.kill?.();
      throw errorWith('Task timed out', { name: 'States.Timeout' });
    }
  }

  /** SDK middleware on the SES client the handlers use. */
  installSes(client: Stack): () => void {
    stackOf(client).add(
      (next, context) => async (args) => {
        this.gate();
        if (!this.enabled || context.commandName !== 'SendEmailCommand') return next(args);
        this.sendCalls += 1;
        if (this.sendCalls >= (this.nightTargets.sendBefore ?? Number.POSITIVE_INFINITY))
          this.die('crash-send');
        const throttle = this.chance('ses-throttle');
        const fiveXx = this.chance('ses-5xx');
        const timeout = this.chance('ses-timeout');
        const reset = this.chance('ses-reset');
        const timeoutBefore = this.random.chance(0.5);
        if (throttle) {
          this.count('ses-throttle');
          throw errorWith('Maximum sending rate exceeded.', {
            name: 'TooManyRequestsException',
            $fault: 'client',
            $metadata: { httpStatusCode: 429 },
          });
        }
        if (fiveXx) {
          this.count('ses-5xx');
          throw errorWith('Service unavailable', {
            name: 'ServiceUnavailable',
            $fault: 'server',
            $metadata: { httpStatusCode: 503 },
          });
        }
        // A timeout strikes either before the request reached SES or after SES took it; the client
        // cannot tell which (that is the point).
        if (timeout && timeoutBefore) {
          this.count('ses-timeout');
          throw errorWith('Connection timed out after 5000 ms', { name: 'TimeoutError' });
        }
        const out = await next(args);
        const input = args.input as {
          Destination?: { ToAddresses?: string[] };
          EmailTags?: { Name?: string; Value?: string }[];
        };
        const messageId = (out.output as { MessageId?: string }).MessageId;
        if (messageId) {
          this.accepted.push({
            messageId,
            to: input.Destination?.ToAddresses?.[0] ?? '',
            tags: Object.fromEntries((input.EmailTags ?? []).map((t) => [t.Name ?? '', t.Value ?? ''])),
            at: new Date().toISOString(),
          });
        }
        // At or after the target: the target call itself may have been throttled before reaching SES.
        if (this.sendCalls >= (this.nightTargets.sendAfter ?? Number.POSITIVE_INFINITY))
          this.die('crash-after-send');
        if (timeout) {
          this.count('ses-timeout');
          throw errorWith('Connection timed out after 5000 ms', { name: 'TimeoutError' });
        }
        if (reset) {
          this.count('ses-reset');
          throw errorWith('socket hang up', { name: 'Error', code: 'ECONNRESET' });
        }
        return out;
      },
      { step: 'initialize', name: 'chaosSes' },
    );
    return () => {
      stackOf(client).remove('chaosSes');
    };
  }

  /**
   * SDK middleware on the DynamoDB document client: crashes and timeouts, partial batches (the
   * withheld requests are really not executed, and come back as UnprocessedItems / UnprocessedKeys,
   * as DynamoDB does), and throttling inside the SDK's retry loop (as DynamoDB answers it).
   */
  installDynamo(client: Stack): () => void {
    stackOf(client).add(
      (next, context) => async (args) => {
        this.gate();
        if (!this.enabled) return next(args);
        const command = context.commandName;
        const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown> };
        if (command === 'UpdateItemCommand' && input.TableName === this.customersTable) {
          this.customerWrites += 1;
          if (this.customerWrites >= (this.nightTargets.customerWrite ?? Number.POSITIVE_INFINITY))
            this.die('crash-score');
        }
        if (command === 'BatchWriteItemCommand' || command === 'BatchGetItemCommand') {
          if (this.chance('dynamo-unprocessed')) return this.partialBatch(command, args, next);
        }
        return next(args);
      },
      { step: 'initialize', name: 'chaosDynamo' },
    );
    stackOf(client).add(
      (next) => async (args) => {
        if (this.enabled && !this.dead && this.chance('dynamo-throttle')) {
          this.count('dynamo-throttle');
          throw errorWith('The level of configured provisioned throughput for the table was exceeded.', {
            name: 'ProvisionedThroughputExceededException',
            $fault: 'client',
            $retryable: { throttling: true },
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'deserialize', name: 'chaosDynamoThrottle' },
    );
    // The write reached DynamoDB and was applied, but its response was lost (a reset connection):
    // the SDK sees a network error and sends the same request again, inside its retry loop. A
    // conditional write retried this way fails its own condition; the code must tell that apart
    // from a real conflict (DynamoDB documents that a 500 or a timeout leaves a write's fate unknown).
    stackOf(client).add(
      (next, context) => async (args) => {
        const result = await next(args);
        const lost = this.lostResponseRandom.next() < this.rate('dynamo-lost-response');
        if (this.enabled && !this.dead && lost && WRITE_COMMANDS.has(context.commandName ?? '')) {
          this.count('dynamo-lost-response');
          // The one write this cannot be made safe for without transactions (see NOT_IN_ALL).
          // Below the document client the key is marshalled: { pk: { S: '…' } }.
          const pk = (args.input as { Key?: { pk?: { S?: string } } }).Key?.pk?.S ?? '';
          if (context.commandName === 'UpdateItemCommand' && pk.startsWith('STATS#'))
            this.injected[LOST_STATS_INCREMENT] = (this.injected[LOST_STATS_INCREMENT] ?? 0) + 1;
          throw errorWith('socket hang up', { name: 'Error', code: 'ECONNRESET', $metadata: {} });
        }
        return result;
      },
      { step: 'deserialize', name: 'chaosDynamoLostResponse' },
    );
    return () => {
      stackOf(client).remove('chaosDynamo');
      stackOf(client).remove('chaosDynamoThrottle');
      stackOf(client).remove('chaosDynamoLostResponse');
    };
  }

  private async partialBatch(command: string, args: Args, next: Next): Promise<unknown> {
    const input = args.input as { RequestItems: Record<string, unknown> };
    const kept: Record<string, unknown> = {};
    const withheld: Record<string, unknown> = {};
    let held = 0;
    for (const [table, request] of Object.entries(input.RequestItems)) {
      const list = (command === 'BatchWriteItemCommand' ? request : (request as { Keys: unknown[] }).Keys) as
        | unknown[]
        | undefined;
      if (!list || list.length === 0) continue;
      // Withhold the tail of each table's list (at least one, at most all).
      const cut = this.int(0, list.length - 1);
      held += list.length - cut;
      const keep = list.slice(0, cut);
      const hold = list.slice(cut);
      if (command === 'BatchWriteItemCommand') {
        if (keep.length > 0) kept[table] = keep;
        withheld[table] = hold;
      } else {
        if (keep.length > 0) kept[table] = { ...(request as object), Keys: keep };
        withheld[table] = { ...(request as object), Keys: hold };
      }
    }
    if (held === 0) return next(args);
    this.count('dynamo-unprocessed', held);
    const unprocessedField = command === 'BatchWriteItemCommand' ? 'UnprocessedItems' : 'UnprocessedKeys';
    if (Object.keys(kept).length === 0) {
      return { output: { $metadata: {}, Responses: {}, [unprocessedField]: withheld }, response: {} };
    }
    const result = await next({ ...args, input: { ...input, RequestItems: kept } });
    const output = result.output as Record<string, unknown>;
    const already = (output[unprocessedField] ?? {}) as Record<string, unknown>;
    for (const [table, v] of Object.entries(already)) {
      // DynamoDB itself left some unprocessed too: hand back both.
      const mine = withheld[table];
      if (command === 'BatchWriteItemCommand')
        withheld[table] = [...((mine as unknown[]) ?? []), ...(v as unknown[])];
      else
        withheld[table] = {
          ...(v as object),
          Keys: [...((mine as { Keys?: unknown[] })?.Keys ?? []), ...((v as { Keys: unknown[] }).Keys ?? [])],
        };
    }
    return { ...result, output: { ...output, [unprocessedField]: withheld } };
  }

  /**
   * The local runtime's `wrapHandler`: counts invocations in flight (a dead process takes them all
   * with it), refuses to start one while dead, and lets a task time out: after a few SDK calls the
   * invocation is frozen (every later call of it fails) and the task fails with `States.Timeout`,
   * which the state machine's retry policy handles as on AWS.
   */
  wrapHandler = <E, R>(name: string, handler: (event: E, context: Context) => Promise<R>) => {
    return (event: E, context: Context): Promise<R> => {
      if (this.enabled && this.dead) return Promise.reject(new SimulatedCrash('process gone'));
      const inv: Invocation = { killed: false };
      const timeoutKind: FaultKind = name === 'sesEvents' ? 'ses-events-timeout' : 'lambda-timeout';
      if (this.enabled && this.chance(timeoutKind)) inv.callsLeft = this.int(1, 40);
      inv.kind = timeoutKind;
      this.inFlight += 1;
      return new Promise<R>((resolve, reject) => {
        inv.kill = () => reject(errorWith('Task timed out', { name: 'States.Timeout' }));
        this.invocations
          .run(inv, () => handler(event, context))
          .then(resolve, reject)
          .finally(() => {
            this.inFlight -= 1;
          });
      });
    };
  };

  /** Waits until no invocation of the dead process is still running (none may outlive the crash). */
  async drain(sleep: (ms: number) => Promise<void>): Promise<void> {
    for (let quiet = 0; quiet < 5; quiet = this.inFlight === 0 ? quiet + 1 : 0) await sleep(20);
  }
}
