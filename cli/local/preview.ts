// `retention campaigns preview FILE`: what a campaign file would do tonight on the local data, decided
// with the same code the nightly run uses, next to the other active campaigns. Nothing is stored.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { documentClient } from '../../functions/adapters/clients.js';
import type { CustomerRecord } from '../../functions/adapters/customerStore.js';
import { SuppressionStore } from '../../functions/adapters/suppressionStore.js';
import { unsubscribeBaseUrl } from '../../functions/config.js';
import { type CompiledCampaign, compileCampaign, isLive } from '../../functions/domain/campaigns/compile.js';
import type { LoserReason } from '../../functions/domain/campaigns/decide.js';
import { renderOffer } from '../../functions/domain/campaigns/render.js';
import { formatCampaignError, validateCampaign } from '../../functions/domain/campaigns/validate.js';
import { unsubscribeUrl } from '../../functions/domain/delivery/unsubscribeToken.js';
import { compileNight, type StoredCampaignVersion } from '../../functions/domain/night/context.js';
import {
  type DecidedCustomer,
  decideCustomer,
  withSuppression,
} from '../../functions/domain/night/decideCustomer.js';
import { buildRunPlan } from '../../functions/domain/night/plan.js';
import type { IsoDate } from '../../functions/domain/types.js';
import { readCampaignFile } from './campaigns.js';
import { type PreviewAssets, screenshotEmails } from './emailScreenshots.js';
import { localPaths } from './paths.js';
import type { LocalSession } from './session.js';

/** The version number the previewed file gets in the night context: it is not stored. */
export const PREVIEW_VERSION = 0;

/** What happened to the customers a segment matched; the counts add up to `audience`. */
export interface SegmentPreview {
  segmentId: string;
  /** Customers whose first matching segment of this campaign is this one. */
  audience: number;
  send: number;
  holdout: number;
  globalControl: number;
  /** Chosen another campaign over this one (higher priority, higher value or the tie-break). */
  lostToOtherCampaign: number;
  /** This campaign's frequency cap. */
  frequencyCap: number;
  /** The global cap (any retention email in the last N days). */
  globalCap: number;
  /** No marketing email consent at all. */
  noEmailConsent: number;
  /** No consent for the campaign's consent topic. */
  noTopicConsent: number;
  /** On the suppression list (checked, like the nightly run, for customers about to be sent). */
  suppressed: number;
}

export interface PreviewSample {
  customerId: string;
  segmentId: string;
  outcome: string;
  subject: string;
  htmlPath?: string | undefined;
  textPath?: string | undefined;
  /** Size of the rendered HTML in bytes (Gmail clips over 102 KB). */
  htmlBytes?: number | undefined;
  /** With --screenshots: PNGs at 375 and 1,200 px wide, light and dark. */
  screenshots?: string[] | undefined;
  error?: string | undefined;
}

export interface PreviewReport {
  file: string;
  campaignId: string;
  name: string;
  runDate: IsoDate;
  /** The file's own status; a draft or paused file is previewed as if active. */
  status: string;
  /** Live on the run date by its schedule (start, end, days of week). */
  liveOnDate: boolean;
  notes: string[];
  customers: number;
  scored: number;
  modelProblem?: string | undefined;
  otherCampaigns: { campaignId: string; version: number }[];
  /** Stored active campaigns that do not validate any more (the nightly run skips them too). */
  problems: string[];
  segments: SegmentPreview[];
  total: Omit<SegmentPreview, 'segmentId'>;
  /** Which campaigns won the customers this one lost to them, and how many. */
  lostTo: Record<string, number>;
  samplesDir: string;
  samples: PreviewSample[];
}

export interface PreviewOptions {
  file: string;
  runDate: IsoDate;
  /** Sample emails to render and write (0 for none). */
  sample: number;
  /** Default: `<home>/previews`; samples go to `<outDir>/<campaignId>/`. */
  outDir?: string;
  /** Also take headless Chromium screenshots of every sample. */
  screenshots?: boolean;
}

export type PreviewResult = { ok: true; report: PreviewReport } | { ok: false; errors: string[] };

const emptyCounts = (): Omit<SegmentPreview, 'segmentId'> => ({
  audience: 0,
  send: 0,
  holdout: 0,
  globalControl: 0,
  lostToOtherCampaign: 0,
  frequencyCap: 0,
  globalCap: 0,
  noEmailConsent: 0,
  noTopicConsent: 0,
  suppressed: 0,
});

const LOST_TO_OTHER: ReadonlySet<LoserReason> = new Set(['lower_priority', 'lower_value', 'tie_break']);

async function allCustomers(session: LocalSession): Promise<CustomerRecord[]> {
  const out: CustomerRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await session.customers.scanPage({ segment: 0, totalSegments: 1, limit: 1000, startKey });
    out.push(...page.items);
    startKey = page.lastKey;
  } while (startKey);
  return out.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
}

/** Where the previewed campaign stands in one customer's decision: its segment and what happened. */
function classify(
  decided: DecidedCustomer,
  campaignId: string,
  consentEmail: boolean,
):
  | { segmentId: string; bucket: keyof Omit<SegmentPreview, 'segmentId' | 'audience'>; winner?: string }
  | undefined {
  const d = decided.decision;
  if (d.chosen?.campaignId === campaignId) {
    const bucket =
      d.outcome === 'send' ? 'send' : d.outcome === 'holdout' ? 'holdout' : ('globalControl' as const);
    return { segmentId: d.chosen.segmentId, bucket };
  }
  const lost = d.losers.find((l) => l.campaignId === campaignId);
  if (!lost) return undefined;
  switch (lost.reason) {
    case 'suppressed':
    // A pause from the preference centre is the customer's own suppression, for 30 days.
    case 'paused':
      return { segmentId: lost.segmentId, bucket: 'suppressed' };
    case 'no_consent':
      return { segmentId: lost.segmentId, bucket: consentEmail ? 'noTopicConsent' : 'noEmailConsent' };
    case 'frequency_cap':
      return { segmentId: lost.segmentId, bucket: 'frequencyCap' };
    case 'global_cap':
      return { segmentId: lost.segmentId, bucket: 'globalCap' };
    default:
      if (!LOST_TO_OTHER.has(lost.reason)) throw new Error(`unexpected loser reason ${lost.reason}`);
      return { segmentId: lost.segmentId, bucket: 'lostToOtherCampaign', winner: d.chosen?.campaignId };
  }
}

/** Plain words for the outcome of a sampled customer. */
export const OUTCOME_LABELS: Record<keyof Omit<SegmentPreview, 'segmentId' | 'audience'>, string> = {
  send: 'would be sent',
  holdout: 'holdout',
  globalControl: 'global control group',
  lostToOtherCampaign: 'lost to another campaign',
  frequencyCap: 'frequency cap',
  globalCap: 'global cap',
  noEmailConsent: 'no email consent',
  noTopicConsent: 'no topic consent',
  suppressed: 'suppressed',
};

const commentSafe = (text: string) => text.replace(/--/g, '- -').replace(/[\r\n]+/g, ' ');

/**
 * Previews a campaign file on the local data: scores the whole customer table with a run plan built
 * over it (the same models, breakpoints, signals and decision as the nightly run), with the file as
 * the candidate version of its campaign next to the other active, unpaused campaigns, and renders
 * sample emails with a preview unsubscribe link.
 */
export async function previewCampaign(
  session: LocalSession,
  options: PreviewOptions,
): Promise<PreviewResult> {
  let loaded: Awaited<ReturnType<typeof readCampaignFile>>;
  try {
    loaded = await readCampaignFile(options.file);
  } catch (error) {
    return {
      ok: false,
      errors: [`${options.file}:1:1: cannot read the campaign file: ${(error as Error).message}`],
    };
  }
  const validated = await validateCampaign(loaded.source, options.file, {
    readTemplateFile: (relative) => loaded.templates[relative],
    now: options.runDate,
  });
  if (!validated.ok) return { ok: false, errors: validated.errors.map(formatCampaignError) };
  const campaign = validated.campaign;
  const notes: string[] = [];
  if (campaign.status !== 'active')
    notes.push(`status is ${campaign.status}: previewed as if active (the nightly run would not send it)`);
  const candidate: CompiledCampaign = compileCampaign({ ...campaign, status: 'active' });
  const liveOnDate = isLive(candidate, options.runDate);
  if (!liveOnDate)
    notes.push(`not live on ${options.runDate} by its schedule, so it matches no one that night; try --date`);

  const heads = await session.campaigns.heads();
  const head = heads.find((h) => h.campaignId === campaign.id);
  if (head?.paused)
    notes.push(`${campaign.id} is paused in the database: pushing this file keeps it paused until resumed`);
  const others: StoredCampaignVersion[] = [];
  for (const h of heads) {
    if (h.campaignId === campaign.id || h.paused || h.activeVersion === undefined) continue;
    const v = await session.campaigns.version(h.campaignId, h.activeVersion);
    if (v) others.push(v);
  }

  const customers = await allCustomers(session);
  const config = session.config;
  const plan = buildRunPlan({
    runDate: options.runDate,
    population: customers.map((c) => c.aggregates),
    sampledFraction: 1,
    campaigns: [
      ...others.map((v) => ({ campaignId: v.campaignId, version: v.version })),
      { campaignId: campaign.id, version: PREVIEW_VERSION },
    ],
    settings: {
      horizonDays: config.HORIZON_DAYS,
      clvMonths: config.CLV_MONTHS,
      monthlyDiscount: config.MONTHLY_DISCOUNT,
      globalCapDays: config.GLOBAL_CAP_DAYS,
      globalControlPercent: config.GLOBAL_CONTROL_PERCENT,
      holdoutSalt: config.HOLDOUT_SALT,
    },
  });
  const night = compileNight(plan, others);
  night.campaigns.set(campaign.id, { compiled: candidate, version: PREVIEW_VERSION });
  night.versionOf.set(candidate, PREVIEW_VERSION);
  night.compiled = [...night.compiled, candidate];

  // Decide everyone; like the nightly run, the suppression list is read for would-be sends only.
  let decided = customers.map((customer) => ({ customer, decided: decideCustomer(night, customer) }));
  const sends = decided.filter((d) => d.decided.decision.outcome === 'send');
  const suppression = await new SuppressionStore(
    documentClient(),
    session.tables,
    session.config.ERASURE_SALT,
  ).suppressedAmong(
    sends.map((d) => ({ customerId: d.customer.customerId, email: d.customer.profile.email })),
  );
  decided = decided.map((d) => {
    const reason = suppression.get(d.customer.customerId);
    return reason ? { ...d, decided: withSuppression(night, d.decided, reason) } : d;
  });

  const bySegment = new Map<string, SegmentPreview>(
    campaign.segments.map((s) => [s.id, { segmentId: s.id, ...emptyCounts() }]),
  );
  const total = emptyCounts();
  const lostTo: Record<string, number> = {};
  const audience: {
    customer: CustomerRecord;
    decided: DecidedCustomer;
    segmentId: string;
    outcome: string;
  }[] = [];
  let scored = 0;
  for (const { customer, decided: d } of decided) {
    if (d.night.scores) scored++;
    const c = classify(d, campaign.id, customer.profile.consent.email);
    if (!c) continue;
    const segment = bySegment.get(c.segmentId)!;
    segment.audience++;
    segment[c.bucket]++;
    total.audience++;
    total[c.bucket]++;
    if (c.winner) lostTo[c.winner] = (lostTo[c.winner] ?? 0) + 1;
    audience.push({ customer, decided: d, segmentId: c.segmentId, outcome: OUTCOME_LABELS[c.bucket] });
  }

  const samplesDir = join(options.outDir ?? localPaths(session.services.home).previews, campaign.id);
  await rm(samplesDir, { recursive: true, force: true });
  const samples: PreviewSample[] = [];
  if (options.sample > 0 && audience.length > 0) {
    await mkdir(samplesDir, { recursive: true });
    const footer = {
      unsubscribeUrl: unsubscribeUrl(unsubscribeBaseUrl(config), 'preview'),
      postalAddress: config.POSTAL_ADDRESS,
      senderName: config.SENDER_NAME,
    };
    for (const pick of pickSamples(
      audience,
      campaign.segments.map((s) => s.id),
      options.sample,
    )) {
      const base = { customerId: pick.customer.customerId, segmentId: pick.segmentId, outcome: pick.outcome };
      try {
        const rendered = renderOffer(candidate, pick.segmentId, pick.decided.subject, footer, {
          runDate: options.runDate,
        });
        const stem = join(samplesDir, `${pick.segmentId}-${pick.customer.customerId}`);
        const header =
          `<!-- preview of ${commentSafe(campaign.id)} / ${commentSafe(pick.segmentId)} for ${commentSafe(pick.customer.customerId)} ` +
          `(${pick.outcome}) on ${options.runDate}\n     Subject: ${commentSafe(rendered.subject)}\n` +
          `     Preheader: ${commentSafe(rendered.preheader)} -->\n`;
        await writeFile(`${stem}.html`, header + rendered.html);
        await writeFile(`${stem}.txt`, `Subject: ${rendered.subject}\n\n${rendered.text}`);
        samples.push({
          ...base,
          subject: rendered.subject,
          htmlPath: `${stem}.html`,
          textPath: `${stem}.txt`,
          htmlBytes: Buffer.byteLength(rendered.html),
        });
      } catch (error) {
        samples.push({ ...base, subject: '', error: `render failed: ${(error as Error).message}` });
      }
    }
  }

  if (options.screenshots) {
    const rendered = samples.filter((s) => s.htmlPath !== undefined);
    const shots = await screenshotEmails(
      rendered.map((s) => ({ htmlPath: s.htmlPath!, stem: s.htmlPath!.replace(/\.html$/, '') })),
      previewAssets(options.file, campaign.brand, campaign.brandTheme?.preview),
    );
    rendered.forEach((s, i) => {
      s.screenshots = (shots[i] ?? []).map((shot) => shot.path);
    });
  }

  return {
    ok: true,
    report: {
      file: options.file,
      campaignId: campaign.id,
      name: campaign.name,
      runDate: options.runDate,
      status: campaign.status,
      liveOnDate,
      notes,
      customers: customers.length,
      scored,
      modelProblem: plan.modelProblem,
      otherCampaigns: others.map((v) => ({ campaignId: v.campaignId, version: v.version })),
      problems: night.problems,
      segments: [...bySegment.values()],
      total,
      lostTo,
      samplesDir,
      samples,
    },
  };
}

/** The brand's preview assets folder is relative to the brand file, which is relative to the campaign file. */
function previewAssets(
  campaignFile: string,
  brandPath: string | undefined,
  preview: { assetsUrl: string; assetsDir: string } | undefined,
): PreviewAssets | undefined {
  if (!brandPath || !preview) return undefined;
  const brandDir = dirname(resolve(dirname(campaignFile), brandPath));
  return { url: preview.assetsUrl, dir: resolve(brandDir, preview.assetsDir) };
}

/** Would-be recipients first, spread over the segments in turn; then the rest of the audience. */
function pickSamples<T extends { segmentId: string; outcome: string }>(
  audience: readonly T[],
  segmentIds: readonly string[],
  n: number,
): T[] {
  const picked: T[] = [];
  const sends = (a: T) => a.outcome === OUTCOME_LABELS.send;
  for (const pool of [audience.filter(sends), audience.filter((a) => !sends(a))]) {
    const queues = segmentIds.map((id) => pool.filter((a) => a.segmentId === id));
    while (picked.length < n && queues.some((q) => q.length > 0)) {
      for (const q of queues) {
        const next = q.shift();
        if (next && picked.length < n) picked.push(next);
      }
    }
  }
  return picked;
}

const pct = (n: number, of: number) => (of === 0 ? '' : ` (${((100 * n) / of).toFixed(1)} %)`);

export function formatPreview(r: PreviewReport): string {
  const lines: string[] = [];
  lines.push(`${r.campaignId} (${r.name}) on ${r.runDate}, from ${r.file}`);
  for (const note of r.notes) lines.push(`  note: ${note}`);
  lines.push(
    `  ${r.customers} customers, ${r.scored} scored${r.modelProblem ? ` (models: ${r.modelProblem})` : ''}; ` +
      `next to ${r.otherCampaigns.length} other active campaign${r.otherCampaigns.length === 1 ? '' : 's'}` +
      `${r.otherCampaigns.length ? `: ${r.otherCampaigns.map((c) => `${c.campaignId} v${c.version}`).join(', ')}` : ''}`,
  );
  for (const p of r.problems) lines.push(`  skipped (invalid stored version): ${p}`);
  const header = [
    'segment',
    'audience',
    'send',
    'holdout',
    'control',
    'lost',
    'freq cap',
    'global cap',
    'no consent',
    'topic',
    'suppressed',
  ];
  const row = (id: string, c: Omit<SegmentPreview, 'segmentId'>) =>
    [
      id,
      c.audience,
      c.send,
      c.holdout,
      c.globalControl,
      c.lostToOtherCampaign,
      c.frequencyCap,
      c.globalCap,
      c.noEmailConsent,
      c.noTopicConsent,
      c.suppressed,
    ].map(String);
  const table = [header, ...r.segments.map((s) => row(s.segmentId, s)), row('total', r.total)];
  const widths = header.map((_, i) => Math.max(...table.map((t) => t[i]!.length)));
  for (const t of table)
    lines.push(
      `  ${t.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`,
    );
  lines.push(
    `  audience ${r.total.audience}${pct(r.total.audience, r.customers)}; would send ${r.total.send}, ` +
      `hold out ${r.total.holdout}${r.total.globalControl ? `, global control ${r.total.globalControl}` : ''}`,
  );
  const lost = Object.entries(r.lostTo).sort(([, a], [, b]) => b - a);
  if (lost.length > 0)
    lines.push(`  lost to a higher-ranked campaign: ${lost.map(([id, n]) => `${id} ${n}`).join(', ')}`);
  lines.push(
    `  excluded: ${r.total.noEmailConsent} without email consent, ${r.total.noTopicConsent} without topic consent, ` +
      `${r.total.suppressed} suppressed; capped: ${r.total.frequencyCap} by its frequency cap, ${r.total.globalCap} by the global cap`,
  );
  if (r.samples.length === 0) lines.push('  no sample emails (empty audience or --sample 0)');
  for (const s of r.samples) {
    if (s.error) lines.push(`  sample ${s.customerId} (${s.segmentId}, ${s.outcome}): ${s.error}`);
    else {
      const kb = s.htmlBytes === undefined ? '' : `, ${(s.htmlBytes / 1024).toFixed(0)} KB`;
      const clipped = (s.htmlBytes ?? 0) > 102 * 1024 ? ' — over 102 KB: Gmail will clip it' : '';
      lines.push(`  sample ${s.htmlPath} (${s.outcome}${kb}${clipped}): ${s.subject}`);
      for (const shot of s.screenshots ?? []) lines.push(`    screenshot ${shot}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
