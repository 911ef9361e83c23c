import {
  DistributedMap,
  type IChainable,
  JsonPath,
  Map as MapState,
  StateMachineType,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

export interface SendWavesMapProps {
  /** Where the planned waves are (`{ waveId, opensAt, closesAt, emails }` each, opensAt ISO UTC). */
  wavesPath: string;
  /** The run's scan segments (`{ runDate, segment, totalSegments }` each). */
  segmentsPath: string;
  /** Segments sent at once within a wave (an inline Map: at most 40). */
  maxConcurrency: number;
  /** Sends one segment of one wave; its input is `{ runDate, segment, totalSegments, wave }`. */
  sendSegment: IChainable;
}

/**
 * The local-time waves: one child execution per wave (a Distributed Map, so each wave has its own
 * execution history and a night of many waves and segments stays far from the 25,000-event limit),
 * all started together, each waiting (a Wait state, no Lambda running) until its window opens in
 * UTC, then sending every segment of that wave. JSONPath only, no variables: the local interpreter
 * runs it as it is (a Distributed Map runs like an inline one there), with the waits overridden by
 * the simulated clock.
 */
export function sendWavesMap(scope: Construct, props: SendWavesMapProps): DistributedMap {
  const waves = new DistributedMap(scope, 'SendWaves', {
    stateName: 'SendWaves',
    itemsPath: props.wavesPath,
    itemSelector: {
      wave: JsonPath.stringAt('$$.Map.Item.Value'),
      segments: JsonPath.listAt(props.segmentsPath),
    },
    // No MaxConcurrency: every wave waits for its own opening; a slow earlier wave must not hold
    // back a later one.
    mapExecutionType: StateMachineType.STANDARD,
    resultPath: JsonPath.DISCARD,
    label: 'SendWaves',
  });
  const waitForWindow = new Wait(scope, 'WaitForWindow', {
    stateName: 'WaitForWindow',
    time: WaitTime.timestampPath('$.wave.opensAt'),
  });
  const segments = new MapState(scope, 'SendWaveSegments', {
    stateName: 'SendWaveSegments',
    itemsPath: '$.segments',
    itemSelector: {
      runDate: JsonPath.stringAt('$$.Map.Item.Value.runDate'),
      segment: JsonPath.numberAt('$$.Map.Item.Value.segment'),
      totalSegments: JsonPath.numberAt('$$.Map.Item.Value.totalSegments'),
      wave: JsonPath.objectAt('$.wave'),
    },
    maxConcurrency: Math.min(props.maxConcurrency, 40),
    resultPath: JsonPath.DISCARD,
  });
  segments.itemProcessor(props.sendSegment);
  waves.itemProcessor(waitForWindow.next(segments));
  return waves;
}
