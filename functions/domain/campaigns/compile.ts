// Compiling validated campaigns into fast matchers, schedule checks and cached templates.
import type { Template } from 'liquidjs';
import type { IsoDate } from '../types.js';
import { addDays, weekdayOf } from './dates.js';
import { compileRule, type Matcher, type Problem, parseRule } from './rules.js';
import type { AudienceRule, Campaign, CampaignSegment } from './schema.js';
import { checkTemplate, parseTemplate, type TemplatePart } from './templates.js';
import type { AudienceSubject } from './vocabulary.js';

export interface CompiledSegment {
  segment: CampaignSegment;
  match: Matcher;
}

export interface ParsedTemplates {
  subject: Template[];
  preheader: Template[] | null;
  html: Template[];
  text: Template[];
  /** Custom attribute names the templates read. */
  attributes: string[];
}

export interface CompiledCampaign {
  campaign: Campaign;
  segments: CompiledSegment[];
  /** Parsed templates per segment id, filled on first render. */
  templates: Map<string, ParsedTemplates>;
}

function compileAudience(rule: AudienceRule, where: string): Matcher {
  const problems: Problem[] = [];
  const node = parseRule(rule, [], problems);
  if (!node) throw new Error(`${where}: invalid audience rule: ${problems.map((p) => p.message).join('; ')}`);
  return compileRule(node);
}

/** Compiles every segment rule to a closure. Throws on a rule that does not validate. */
export function compileCampaign(campaign: Campaign): CompiledCampaign {
  return {
    campaign,
    segments: campaign.segments.map((segment) => ({
      segment,
      match: compileAudience(segment.audience, `campaign ${campaign.id} segment ${segment.id}`),
    })),
    templates: new Map(),
  };
}

const ruleCache = new WeakMap<object, Matcher>();

/** Evaluates one audience rule (compiled once per rule object and cached). */
export function evaluateRule(rule: AudienceRule, subject: AudienceSubject): boolean {
  let matcher = ruleCache.get(rule);
  if (!matcher) {
    matcher = compileAudience(rule, 'rule');
    ruleCache.set(rule, matcher);
  }
  return matcher(subject);
}

/** Active, and the run date is within [start, end] (inclusive) and on one of the days of week (UTC). */
export function isLive(campaign: Campaign | CompiledCampaign, runDate: IsoDate): boolean {
  const c = 'campaign' in campaign ? campaign.campaign : campaign;
  if (c.status !== 'active') return false;
  if (runDate < c.schedule.start) return false;
  if (c.schedule.end !== undefined && runDate > c.schedule.end) return false;
  if (c.schedule.daysOfWeek && !c.schedule.daysOfWeek.includes(weekdayOf(runDate))) return false;
  return true;
}

/** The first segment whose audience matches, or null. */
export function matchSegment(compiled: CompiledCampaign, subject: AudienceSubject): CampaignSegment | null {
  for (const s of compiled.segments) if (s.match(subject)) return s.segment;
  return null;
}

/** The offer expiry for a send on `runDate`: the fixed date, or run date + N days; null without expiry. */
export function offerExpiresOn(expires: string | undefined, runDate: IsoDate): IsoDate | null {
  if (expires === undefined) return null;
  const m = /^(\d+) days? after send$/.exec(expires);
  return m ? addDays(runDate, Number(m[1])) : expires;
}

/** Parsed templates of a segment, cached on the compiled campaign. */
export function segmentTemplates(compiled: CompiledCampaign, segmentId: string): ParsedTemplates {
  const cached = compiled.templates.get(segmentId);
  if (cached) return cached;
  const segment = compiled.campaign.segments.find((s) => s.id === segmentId);
  if (!segment) throw new Error(`campaign ${compiled.campaign.id} has no segment "${segmentId}"`);
  const attributes = new Set<string>();
  const parse = (source: string, part: TemplatePart): Template[] => {
    const { problems, facts } = checkTemplate(source, part);
    if (problems.length > 0) {
      throw new Error(
        `campaign ${compiled.campaign.id} segment ${segmentId} ${part}: ${problems[0]!.message}`,
      );
    }
    for (const a of facts.attributes) attributes.add(a);
    return parseTemplate(source, part);
  };
  const offer = segment.offer;
  const parsed: ParsedTemplates = {
    subject: parse(offer.subject, 'subject'),
    preheader: offer.preheader === undefined ? null : parse(offer.preheader, 'preheader'),
    html: parse(offer.html, 'html'),
    text: parse(offer.text, 'text'),
    attributes: [...attributes],
  };
  compiled.templates.set(segmentId, parsed);
  return parsed;
}
