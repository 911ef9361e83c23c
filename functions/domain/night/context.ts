import { type CompiledCampaign, compileCampaign } from '../campaigns/compile.js';
import type { CompiledEmail } from '../campaigns/compileEmail.js';
import { type RenderedOffer, renderOffer } from '../campaigns/render.js';
import type { Footer, TemplateScores, TemplateSubject } from '../campaigns/templates.js';
import { type CompiledEmails, formatCampaignError, validateCampaignSource } from '../campaigns/validate.js';
import type { CustomerProfile, IsoDate, LifeStage } from '../types.js';
import type { RunPlan } from './plan.js';

export interface StoredCampaignVersion {
  campaignId: string;
  version: number;
  fileName: string;
  source: string;
  templates: Record<string, string>;
  /** MJML segments compiled at push time (segment id → HTML and text). */
  compiled?: Record<string, { html: string; text: string }> | undefined;
}

export interface LoadedCampaign {
  compiled: CompiledCampaign;
  version: number;
}

export interface NightContext {
  plan: RunPlan;
  campaigns: Map<string, LoadedCampaign>;
  /** Compiled campaigns in a stable order, for the decision. */
  compiled: CompiledCampaign[];
  versionOf: Map<CompiledCampaign, number>;
  /** Campaign versions that failed validation tonight (they are skipped, never half-applied). */
  problems: string[];
}

/** The compiled HTML stored with a version, in the form validation takes (no MJML runs tonight). */
export function storedCompiledEmails(compiled: StoredCampaignVersion['compiled']): CompiledEmails {
  const out: Record<string, CompiledEmail> = {};
  for (const [segmentId, c] of Object.entries(compiled ?? {}))
    out[segmentId] = { ok: true, html: c.html, text: c.text, ownDocument: false };
  return out;
}

/** Validates and compiles the night's campaign versions with the same code the CLI and upload use. */
export function compileNight(plan: RunPlan, versions: readonly StoredCampaignVersion[]): NightContext {
  const campaigns = new Map<string, LoadedCampaign>();
  const versionOf = new Map<CompiledCampaign, number>();
  const problems: string[] = [];
  for (const v of [...versions].sort((a, b) => a.campaignId.localeCompare(b.campaignId))) {
    const result = validateCampaignSource(v.source, v.fileName, {
      readTemplateFile: (path) => v.templates[path],
      compiledEmails: storedCompiledEmails(v.compiled),
    });
    if (!result.ok) {
      problems.push(...result.errors.map(formatCampaignError));
      continue;
    }
    const compiled = compileCampaign(result.campaign);
    campaigns.set(v.campaignId, { compiled, version: v.version });
    versionOf.set(compiled, v.version);
  }
  return { plan, campaigns, compiled: [...campaigns.values()].map((c) => c.compiled), versionOf, problems };
}

/** Renders the email of a queued decision from the customer's stored night (the same data the rule saw). */
export function renderDecidedEmail(
  ctx: NightContext,
  campaign: LoadedCampaign,
  entry: { segmentId: string; runDate: IsoDate },
  customer: {
    profile: CustomerProfile;
    aggregates: TemplateSubject['aggregates'];
    night?: { scores?: TemplateScores | null; lifeStage?: LifeStage | null } | undefined;
  },
  footer: Footer,
): RenderedOffer {
  const night = customer.night;
  return renderOffer(
    campaign.compiled,
    entry.segmentId,
    {
      profile: customer.profile,
      aggregates: customer.aggregates,
      scores: night?.scores ?? null,
      lifeStage: night?.lifeStage ?? null,
      runDate: entry.runDate,
    },
    footer,
    { runDate: ctx.plan.runDate },
  );
}
