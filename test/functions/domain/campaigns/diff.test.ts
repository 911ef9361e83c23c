import { describe, expect, it } from 'vitest';
import { diffCampaigns } from '../../../../functions/domain/campaigns/index.js';
import { campaignYaml, mustValidate } from './fixtures.js';

const segs = (a: string, b: string) => `  - id: ${a}
    audience: { lifeStage: vip }
    offer: { subject: Hi, html: h, text: t }
  - id: ${b}
    audience: { lifeStage: new }
    offer: { subject: Hi, html: h, text: t }
`;

describe('diffCampaigns', () => {
  it('is empty for the same campaign', () => {
    expect(diffCampaigns(mustValidate(campaignYaml()), mustValidate(campaignYaml()))).toEqual([]);
  });

  it('lists field, segment and order changes in plain words', () => {
    const a = mustValidate(campaignYaml({}, segs('one', 'two')));
    const b = mustValidate(
      campaignYaml(
        { priority: '20', consentTopic: 'offers' },
        segs('two', 'three').replace('subject: Hi', 'subject: Hello'),
      ),
    );
    expect(diffCampaigns(a, b).map((c) => c.description)).toEqual([
      'priority: 10 → 20',
      'consentTopic: set to "offers"',
      'segment "one" removed',
      'segments.two.audience: {"lifeStage":"new"} → {"lifeStage":"vip"}',
      'segments.two.offer.subject: "Hi" → "Hello"',
      'segment "three" added',
    ]);
    const reordered = mustValidate(
      campaignYaml({}, segs('two', 'one').replace('vip', 'X').replace('new', 'vip').replace('X', 'new')),
    );
    expect(diffCampaigns(a, reordered).map((c) => c.description)).toContain(
      'segment order: one, two → two, one (the first matching segment wins)',
    );
  });
});
