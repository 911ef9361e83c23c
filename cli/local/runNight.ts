import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import {
  bump,
  emptyWorkCounts,
  mergeWorkCounts,
  resetWorkCounts,
  type WorkCounts,
  workCounts,
} from '../../functions/adapters/workCounters.js';
import type { RunSummary } from '../../functions/domain/night/summary.js';
import { SIMULATED_NIGHT_START_UTC } from '../../functions/handlers/clock.js';
import { handlerEntry } from '../../infra/constructs/handlerFunction.js';
import { resolveLocalDefinition } from './definition.js';

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface NightResult {
  summary: RunSummary;
  work: WorkCounts & {
    stepFunctions: { stateTransitions: number; topLevelTransitions: number; mapIterations: number };
  };
  /** The same work split by handler (the stages run one after another, never side by side). */
  workByHandler: Record<string, WorkCounts>;
  wallMs: number;
  /** Handler time summed over invocations (concurrent segments add up). */
  phases: Record<string, number>;
  /** Wall time of each top-level state of the state machine. */
  stateWallMs: Record<string, number>;
  /**
   * Every failed state attempt, retried or not, as the execution history on AWS lists it; and how
   * many handler invocations outlived their Lambda timeout (the interpreter gave up on them with
   * States.Timeout while they ran on, as a timed-out task's Lambda does on AWS).
   */
  failures: { state: string; error: string; cause: string; atMs: number }[];
  invocationsPastTimeout: number;
}

/**
 * How the local night keeps time for its send waves:
 * - `simulated` (default): the night starts at `startAt` (default 02:00 UTC on the run date, the
 *   nightly schedule's time) and moves on with real time; the WaitForWindow states are skipped and
 *   each wave is sent at once, every email stamped with its scheduled moment;
 * - `system`: the real clock; the WaitForWindow states really wait until each window opens.
 */
export type LocalClock = { mode: 'simulated'; startAt?: number } | { mode: 'system' };

export interface RunNightOptions {
  runDate: string;
  clock?: LocalClock;
  onProgress?: (event: { state: string; type: string }) => void;
  /** Test hook: wraps a handler (e.g. to inject a crash); production code never sets it. */
  wrapHandler?: (name: string, handler: LambdaHandler) => LambdaHandler;
}

/** A Lambda context for a locally run handler, with a deadline `timeoutMs` from now (its timeout). */
export function localContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Runs one night through the state machine definition the CDK app synthesizes, with every Lambda
 * task bound to the very handler module CDK bundles. The embedded services must be running.
 */
export async function runNight(options: RunNightOptions): Promise<NightResult> {
  const started = Date.now();
  const { definition, taskHandlers, timeouts } = resolveLocalDefinition();
  const modules = new Map<string, LambdaHandler>();
  for (const name of new Set(Object.values(taskHandlers))) {
    const mod = (await import(handlerEntry(name))) as { handler: LambdaHandler };
    modules.set(name, options.wrapHandler ? options.wrapHandler(name, mod.handler) : mod.handler);
  }
  resetWorkCounts();
  const phases: Record<string, number> = {};
  // The night's stages run one after another (Prepare, the scoring Map, the sending Map,
  // Summarize), so the work done while invocations of one handler are in flight is that handler's:
  // a snapshot when the first one starts and a difference when the last one ends.
  const workByHandler: Record<string, WorkCounts> = {};
  const inFlight = new Map<string, { count: number; before: WorkCounts }>();
  const enter = (name: string) => {
    const open = inFlight.get(name);
    if (open) open.count++;
    else inFlight.set(name, { count: 1, before: mergeWorkCounts(emptyWorkCounts(), workCounts) });
  };
  const leave = (name: string) => {
    const open = inFlight.get(name);
    if (!open || --open.count > 0) return;
    inFlight.delete(name);
    workByHandler[name] = addWork(workByHandler[name] ?? emptyWorkCounts(), workCounts, open.before);
  };
  let invocationsPastTimeout = 0;
  const localHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [stateName, handlerName] of Object.entries(taskHandlers)) {
    const handler = modules.get(handlerName)!;
    localHandlers[stateName] = async (input: unknown) => {
      bump(workCounts.lambda.invocations, handlerName);
      const t0 = Date.now();
      const timeoutMs = timeouts[handlerName] ?? 900_000;
      enter(handlerName);
      try {
        return await handler(input, localContext(handlerName, timeoutMs));
      } finally {
        leave(handlerName);
        const ms = Date.now() - t0;
        phases[handlerName] = (phases[handlerName] ?? 0) + ms;
        if (ms > timeoutMs) invocationsPastTimeout++;
      }
    };
  }
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: false, checkPaths: true },
  });
  // The clock is configuration the handlers read (SEND_CLOCK, SIMULATED_*), as on AWS; the Wait
  // states are the interpreter's: skipped under the simulated clock, really waited otherwise.
  const clock = options.clock ?? { mode: 'simulated' };
  const restoreClock = setClockEnv(clock, options.runDate);
  const execution = machine.run(
    { runDate: options.runDate },
    {
      overrides: {
        taskResourceLocalHandlers: localHandlers as never,
        retryIntervalOverrides: retryOverrides(definition),
        ...(clock.mode === 'simulated' ? { waitTimeOverrides: waitOverrides(definition) } : {}),
      },
      context: { Execution: { Id: `local-${options.runDate}`, Name: `nightly-${options.runDate}` } } as never,
    },
  );
  let stateTransitions = 0;
  let topLevelTransitions = 0;
  const topLevel = new Set(Object.keys((definition.States ?? {}) as Record<string, unknown>));
  const entered = new Map<string, number>();
  const stateWallMs: Record<string, number> = {};
  let mapIterations = 0;
  const failures: NightResult['failures'] = [];
  const counting = (async () => {
    for await (const event of execution.eventLogs) {
      const e = event as { type: string; timestamp: number; state?: { name?: string } };
      if (e.type === 'StateEntered') stateTransitions++;
      if (e.type === 'StateEntered' && e.state?.name && topLevel.has(e.state.name)) topLevelTransitions++;
      // Wall time of the top-level states (the Map iterations run concurrently inside them).
      const name = e.state?.name;
      if (name && topLevel.has(name)) {
        if (e.type === 'StateEntered') entered.set(name, e.timestamp);
        if (e.type === 'StateExited' && entered.has(name)) {
          stateWallMs[name] = (stateWallMs[name] ?? 0) + (e.timestamp - (entered.get(name) ?? e.timestamp));
        }
      }
      if (e.type === 'MapIterationStarted') mapIterations++;
      if (e.type === 'StateFailed' && e.state?.name) {
        const info = event as { Error?: string; Cause?: unknown };
        failures.push({
          state: e.state.name,
          error: String(info.Error ?? 'unknown'),
          cause: typeof info.Cause === 'string' ? info.Cause : JSON.stringify(info.Cause ?? ''),
          atMs: e.timestamp - started,
        });
      }
      if (e.state?.name) options.onProgress?.({ state: e.state.name, type: e.type });
    }
  })();
  let summary: RunSummary;
  try {
    summary = (await execution.result) as unknown as RunSummary;
  } finally {
    restoreClock();
  }
  await counting.catch(() => undefined);
  const work = mergeWorkCounts(emptyWorkCounts(), workCounts);
  return {
    summary,
    work: { ...work, stepFunctions: { stateTransitions, topLevelTransitions, mapIterations } },
    workByHandler,
    wallMs: Date.now() - started,
    phases,
    stateWallMs,
    failures,
    invocationsPastTimeout,
  };
}

/** `into` plus what was done between `before` and `now`. */
function addWork(into: WorkCounts, now: WorkCounts, before: WorkCounts): WorkCounts {
  const delta = mergeWorkCounts(emptyWorkCounts(), now);
  const d = delta.dynamodb;
  for (const [k, v] of Object.entries(before.dynamodb.calls)) bump(d.calls, k, -v);
  d.readCapacityUnits -= before.dynamodb.readCapacityUnits;
  d.writeCapacityUnits -= before.dynamodb.writeCapacityUnits;
  d.itemsRead -= before.dynamodb.itemsRead;
  d.itemsWritten -= before.dynamodb.itemsWritten;
  d.conditionalCheckFailures -= before.dynamodb.conditionalCheckFailures;
  d.sdkRetries -= before.dynamodb.sdkRetries;
  d.staleProgressRecords -= before.dynamodb.staleProgressRecords;
  for (const [k, v] of Object.entries(before.ses.calls)) bump(delta.ses.calls, k, -v);
  delta.ses.recipients -= before.ses.recipients;
  delta.ses.throttled -= before.ses.throttled;
  for (const [k, v] of Object.entries(before.lambda.invocations)) bump(delta.lambda.invocations, k, -v);
  return mergeWorkCounts(into, delta);
}

const CLOCK_ENV = ['SEND_CLOCK', 'SIMULATED_NOW', 'SIMULATED_SINCE_MS'] as const;

/** Sets the clock configuration for one night; returns how to put the previous one back. */
function setClockEnv(clock: LocalClock, runDate: string): () => void {
  const before = Object.fromEntries(CLOCK_ENV.map((k) => [k, process.env[k]]));
  for (const k of CLOCK_ENV) delete process.env[k];
  process.env.SEND_CLOCK = clock.mode;
  if (clock.mode === 'simulated') {
    process.env.SIMULATED_NOW = new Date(
      clock.startAt ?? Date.parse(`${runDate}T${SIMULATED_NIGHT_START_UTC}:00Z`),
    ).toISOString();
    process.env.SIMULATED_SINCE_MS = String(Date.now());
  }
  return () => {
    for (const k of CLOCK_ENV) {
      const v = before[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Every Wait state of the definition, skipped (the simulated clock jumps to the window instead). */
function waitOverrides(definition: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  const visit = (machine: Record<string, unknown>) => {
    for (const [name, state] of Object.entries(
      (machine.States ?? {}) as Record<string, Record<string, unknown>>,
    )) {
      if (state.Type === 'Wait') out[name] = 0;
      const processor = state.ItemProcessor as Record<string, unknown> | undefined;
      if (processor) visit(processor);
    }
  };
  visit(definition);
  return out;
}

/** Local retries wait a few milliseconds instead of AWS's seconds; the retry policy itself is unchanged. */
function retryOverrides(definition: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  const visit = (machine: Record<string, unknown>) => {
    for (const [name, state] of Object.entries(
      (machine.States ?? {}) as Record<string, Record<string, unknown>>,
    )) {
      if (state.Retry) out[name] = 10;
      const processor = state.ItemProcessor as Record<string, unknown> | undefined;
      if (processor) visit(processor);
    }
  };
  visit(definition);
  return out;
}
