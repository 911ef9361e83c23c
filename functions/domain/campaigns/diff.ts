// Readable differences between two versions of a campaign (for `retention campaigns diff` and push).
import type { Campaign, CampaignSegment } from './schema.js';
import { stableStringify } from './validate.js';

export interface CampaignChange {
  kind: 'added' | 'removed' | 'changed';
  /** e.g. `priority`, `schedule.end`, `segments.high-value.offer.subject`. */
  path: string;
  before?: unknown;
  after?: unknown;
  /** One line in plain words. */
  description: string;
}

const show = (v: unknown): string => {
  if (v === undefined) return '(none)';
  if (typeof v === 'string')
    return v.length > 60 || v.includes('\n') ? `${v.length} characters of text` : JSON.stringify(v);
  return stableStringify(v);
};

function compareValue(changes: CampaignChange[], path: string, before: unknown, after: unknown): void {
  if (stableStringify(before) === stableStringify(after)) return;
  if (before === undefined) {
    changes.push({ kind: 'added', path, after, description: `${path}: set to ${show(after)}` });
  } else if (after === undefined) {
    changes.push({ kind: 'removed', path, before, description: `${path}: removed (was ${show(before)})` });
  } else {
    const long =
      typeof before === 'string' && typeof after === 'string' && (before.length > 60 || after.length > 60);
    changes.push({
      kind: 'changed',
      path,
      before,
      after,
      description: long ? `${path}: text changed` : `${path}: ${show(before)} → ${show(after)}`,
    });
  }
}

const CAMPAIGN_FIELDS = [
  'name',
  'description',
  'owner',
  'status',
  'priority',
  'holdoutPercent',
  'holdoutSalt',
  'frequencyCapDays',
  'consentTopic',
  'sendWindow',
  'attributionWindowDays',
] as const;
const OFFER_FIELDS = [
  'subject',
  'preheader',
  'html',
  'text',
  'htmlFile',
  'textFile',
  'code',
  'expires',
] as const;

function compareSegment(changes: CampaignChange[], a: CampaignSegment, b: CampaignSegment): void {
  const base = `segments.${a.id}`;
  compareValue(changes, `${base}.description`, a.description, b.description);
  compareValue(changes, `${base}.audience`, a.audience, b.audience);
  compareValue(changes, `${base}.valueWeight`, a.valueWeight, b.valueWeight);
  for (const f of OFFER_FIELDS) compareValue(changes, `${base}.offer.${f}`, a.offer[f], b.offer[f]);
}

/** What changed from `a` to `b`, in document order; empty when they are equivalent. */
export function diffCampaigns(a: Campaign, b: Campaign): CampaignChange[] {
  const changes: CampaignChange[] = [];
  compareValue(changes, 'id', a.id, b.id);
  for (const f of CAMPAIGN_FIELDS) compareValue(changes, f, a[f], b[f]);
  compareValue(changes, 'schedule.start', a.schedule.start, b.schedule.start);
  compareValue(changes, 'schedule.end', a.schedule.end, b.schedule.end);
  compareValue(changes, 'schedule.daysOfWeek', a.schedule.daysOfWeek, b.schedule.daysOfWeek);

  const beforeIds = a.segments.map((s) => s.id);
  const afterIds = b.segments.map((s) => s.id);
  for (const s of a.segments) {
    const other = b.segments.find((x) => x.id === s.id);
    if (!other) {
      changes.push({
        kind: 'removed',
        path: `segments.${s.id}`,
        before: s,
        description: `segment "${s.id}" removed`,
      });
    } else compareSegment(changes, s, other);
  }
  for (const s of b.segments) {
    if (!beforeIds.includes(s.id)) {
      changes.push({
        kind: 'added',
        path: `segments.${s.id}`,
        after: s,
        description: `segment "${s.id}" added`,
      });
    }
  }
  const common = (ids: string[], other: string[]) => ids.filter((id) => other.includes(id));
  const orderBefore = common(beforeIds, afterIds);
  const orderAfter = common(afterIds, beforeIds);
  if (orderBefore.join('\n') !== orderAfter.join('\n')) {
    changes.push({
      kind: 'changed',
      path: 'segments',
      before: orderBefore,
      after: orderAfter,
      description: `segment order: ${orderBefore.join(', ')} → ${orderAfter.join(', ')} (the first matching segment wins)`,
    });
  }
  return changes;
}
