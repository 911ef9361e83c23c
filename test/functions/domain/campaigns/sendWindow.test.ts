import { describe, expect, it } from 'vitest';
import {
  type CampaignError,
  diffCampaigns,
  formatCampaignError,
  validateCampaignSource,
} from '../../../../functions/domain/campaigns/index.js';
import { campaignYaml, mustValidate } from './fixtures.js';

function errorsOf(text: string): string[] {
  const result = validateCampaignSource(text, 'c.yaml', {});
  if (result.ok) throw new Error('expected validation errors');
  return result.errors.map((e: CampaignError) => formatCampaignError(e));
}

describe('campaign sendWindow', () => {
  it('is optional and kept on the campaign as written (local times)', () => {
    expect(mustValidate(campaignYaml()).sendWindow).toBeUndefined();
    const c = mustValidate(campaignYaml({ sendWindow: '{ start: "09:00", end: "11:00" }' }));
    expect(c.sendWindow).toEqual({ start: '09:00', end: '11:00' });
  });

  it('reports a time that is not HH:MM at its line and column', () => {
    const errors = errorsOf(campaignYaml({ sendWindow: '{ start: "9am", end: "11:00" }' }));
    expect(errors).toEqual([
      'c.yaml:8:22: sendWindow.start: expected a local start time written HH:MM (00:00–23:59), e.g. "09:00", found "9am"',
    ]);
  });

  it('refuses an end that is not after the start, and unknown keys', () => {
    expect(errorsOf(campaignYaml({ sendWindow: '{ start: "22:00", end: "06:00" }' }))).toEqual([
      'c.yaml:8:36: sendWindow.end (06:00) is not after sendWindow.start (22:00); a window lies within one local day',
    ]);
    expect(errorsOf(campaignYaml({ sendWindow: '{ start: "09:00", end: "11:00", zone: UTC }' }))[0]).toMatch(
      /^c\.yaml:8:45: unknown key "zone" in sendWindow \(allowed: start, end\)/,
    );
  });

  it('changes the version and shows in the diff', () => {
    const a = mustValidate(campaignYaml());
    const b = mustValidate(campaignYaml({ sendWindow: '{ start: "09:00", end: "11:00" }' }));
    expect(b.version).not.toBe(a.version);
    expect(diffCampaigns(a, b).map((c) => c.path)).toEqual(['sendWindow']);
  });
});
