import { App, Stack } from 'aws-cdk-lib';
import { type CfnStateMachine, DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine as LocalStateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { sendWavesMap } from '../../infra/constructs/sendWavesMap.js';

/** The ASL the fragment synthesizes, with a Pass standing in for the per-segment send loop. */
function waveDefinition(): Record<string, unknown> {
  const stack = new Stack(new App(), 'Waves');
  const map = sendWavesMap(stack, {
    wavesPath: '$.waves',
    segmentsPath: '$.run.segments',
    maxConcurrency: 2,
    sendSegment: new Pass(stack, 'SendSegment'),
  });
  const sm = new StateMachine(stack, 'Machine', { definitionBody: DefinitionBody.fromChainable(map) });
  return JSON.parse(stack.resolve((sm.node.defaultChild as CfnStateMachine).definitionString) as string);
}

const waves = [
  {
    waveId: '2026-12-03T08:00Z/2026-12-03T10:00Z',
    opensAt: '2026-12-03T08:00:00Z',
    closesAt: '2026-12-03T10:00:00Z',
    emails: 3,
  },
  {
    waveId: '2026-12-03T14:00Z/2026-12-03T16:00Z',
    opensAt: '2026-12-03T14:00:00Z',
    closesAt: '2026-12-03T16:00:00Z',
    emails: 1,
  },
];
const segments = [0, 1].map((segment) => ({ runDate: '2026-12-03', segment, totalSegments: 2 }));

describe('sendWavesMap', () => {
  it('is JSONPath ASL: a Map over waves, a Wait on the opening timestamp, then a Map over segments', () => {
    const def = waveDefinition();
    const outer = (def['States'] as Record<string, Record<string, unknown>>)['SendWaves']!;
    expect(outer['Type']).toBe('Map');
    // Absent means unbounded: every wave waits for its own opening.
    expect(outer['MaxConcurrency'] ?? 0).toBe(0);
    const inner = outer['ItemProcessor'] as {
      ProcessorConfig: Record<string, string>;
      StartAt: string;
      States: Record<string, Record<string, unknown>>;
    };
    // One child execution per wave: its own history, so many waves and segments stay within limits.
    expect(inner.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(inner.States['SendWaveSegments']).toMatchObject({ Type: 'Map', MaxConcurrency: 2 });
    expect(inner.StartAt).toBe('WaitForWindow');
    expect(inner.States['WaitForWindow']).toMatchObject({ Type: 'Wait', TimestampPath: '$.wave.opensAt' });
    expect(JSON.stringify(def)).not.toMatch(/JSONata|Assign|ItemReader/);
  });

  it("runs in the local interpreter: each segment of each wave gets its wave, after that wave's Wait", async () => {
    const machine = new LocalStateMachine(waveDefinition() as never, {
      validationOptions: { checkArn: false },
    });
    const execution = machine.run(
      { waves, run: { segments } },
      { overrides: { waitTimeOverrides: { WaitForWindow: 0 } } },
    );
    const order: string[] = [];
    const logging = (async () => {
      for await (const event of execution.eventLogs) {
        const e = event as { type: string; state?: { name?: string; input?: unknown } };
        if (
          e.type === 'StateEntered' &&
          (e.state?.name === 'WaitForWindow' || e.state?.name === 'SendSegment')
        ) {
          const input = e.state.input as { wave: { waveId: string }; segment?: number };
          order.push(
            `${e.state.name} ${input.wave.waveId.slice(11, 16)}${input.segment === undefined ? '' : ` #${input.segment}`}`,
          );
        }
      }
    })();
    const output = (await execution.result) as unknown as { waves: unknown };
    await logging;
    expect(output.waves).toEqual(waves);
    expect(order.filter((o) => o.startsWith('SendSegment')).sort()).toEqual([
      'SendSegment 08:00 #0',
      'SendSegment 08:00 #1',
      'SendSegment 14:00 #0',
      'SendSegment 14:00 #1',
    ]);
    for (const wave of ['08:00', '14:00']) {
      const waited = order.indexOf(`WaitForWindow ${wave}`);
      expect(waited).toBeGreaterThanOrEqual(0);
      expect(order.findIndex((o) => o.startsWith(`SendSegment ${wave}`))).toBeGreaterThan(waited);
    }
  });
});
