import { describe, expect, it } from 'vitest';
import type { NightFigures } from '../../../../functions/domain/measurement/nightFigures.js';
import { buildStageFlow } from '../../../../functions/domain/measurement/stageFlow.js';
import { LIFE_STAGES } from '../../../../functions/domain/types.js';

const at = (a: string, b: string) =>
  [LIFE_STAGES.indexOf(a as never), LIFE_STAGES.indexOf(b as never)] as const;

describe('stage flow', () => {
  const nights: NightFigures[] = [
    { runDate: '2026-03-01', stages: { active: 100, at_risk: 20 }, moves: { 'active>at_risk': 999 } },
    {
      runDate: '2026-03-02',
      stages: { active: 95, at_risk: 25 },
      moves: { 'active>at_risk': 6, 'at_risk>active': 1 },
    },
    {
      runDate: '2026-03-04',
      stages: { active: 90, at_risk: 24, reactivated: 3 },
      moves: { 'vip>at_risk': 2, 'lapsed>reactivated': 3, 'at_risk>lapsed': 4 },
    },
    { runDate: '2026-03-09', stages: {}, moves: { 'active>at_risk': 50 } },
  ];

  it('sums the moves of the nights after `from` up to `to` into the matrix', () => {
    const flow = buildStageFlow(nights, '2026-03-01', '2026-03-05');
    if (!flow) throw new Error('expected a flow');
    const [a, r] = at('active', 'at_risk');
    // The `from` night's own moves happened before it and are not counted; 2026-03-09 is after `to`.
    expect(flow.matrix[a]?.[r]).toBe(6);
    expect(flow.highlights).toEqual({ activeToAtRisk: 8, atRiskBack: 1, reactivated: 3 });
    expect(flow).toMatchObject({ from: '2026-03-01', to: '2026-03-04', nights: 2, missingNights: 1 });
    expect(flow.fromStages).toMatchObject({ active: 100, at_risk: 20, vip: 0 });
    expect(flow.toStages).toMatchObject({ active: 90, reactivated: 3 });
    expect(flow.matrix.flat().reduce((s, n) => s + n, 0)).toBe(6 + 1 + 2 + 3 + 4);
    expect(flow.matrix.every((row, i) => row[i] === 0)).toBe(true);
  });

  it('is null when the range has no night after its first', () => {
    expect(buildStageFlow(nights, '2026-03-05', '2026-03-08')).toBeNull();
    expect(buildStageFlow(nights, '2026-03-09', '2026-03-09')).toBeNull();
    expect(
      buildStageFlow(
        [
          { runDate: '2026-03-02', stages: {} },
          { runDate: '2026-03-03', stages: {} },
        ],
        '2026-03-01',
        '2026-03-03',
      ),
    ).toBeNull();
  });
});
