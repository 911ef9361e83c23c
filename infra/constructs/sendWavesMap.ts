import { type IChainable, JsonPath, Map as MapState, Wait, WaitTime } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

export interface SendWavesMapProps {
  /** Where the planned waves are (`{ waveId, opensAt, closesAt, emails }` each, opensAt ISO UTC). */
  wavesPath: string;
  /** The run's scan segments (`{ runDate, segment, totalSegments }` each). */
  segmentsPath: string;
  /** Segments sent at once within a wave. */
  maxConcurrency: number;
  /** Sends one segment of one wave; its input is `{ runDate, segment, totalSegments, wave }`. */
  sendSegment: IChainable;
}

/**
 * The local-time waves: one Map iteration per wave, all started together, each waiting (a Wait
 * state, no Lambda running) until its window opens in UTC, then sending every segment of that wave.
 * JSONPath only, no variables: the local interpreter runs it as it is, with the waits overridden
 * by the simulated clock.
 */
export function sendWavesMap(scope: Construct, props: SendWavesMapProps): MapState {
  const waves = new MapState(scope, 'SendWaves', {
    stateName: 'SendWaves',
    itemsPath: props.wavesPath,
    itemSelector: {
      wave: JsonPath.stringAt('$$.Map.Item.Value'),
      segments: JsonPath.listAt(props.segmentsPath),
    },
    // Every wave waits for its own opening; a slow earlier wave must not hold back a later one.
    maxConcurrency: 0,
    resultPath: JsonPath.DISCARD,
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
    maxConcurrency: props.maxConcurrency,
  });
  segments.itemProcessor(props.sendSegment);
  waves.itemProcessor(waitForWindow.next(segments));
  return waves;
}
