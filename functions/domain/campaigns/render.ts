// Rendering one segment's offer for one customer.
import type { IsoDate } from '../types.js';
import { type CompiledCampaign, offerExpiresOn, type ParsedTemplates, segmentTemplates } from './compile.js';
import {
  appendHtmlFooter,
  type Footer,
  headerText,
  htmlEngine,
  type TemplateScope,
  templateContext,
  textEngine,
  textFooter,
} from './templates.js';
import type { AudienceSubject } from './vocabulary.js';

export interface RenderedOffer {
  subject: string;
  preheader: string;
  html: string;
  text: string;
}

/**
 * Renders the offer of `segmentId` for one customer. HTML values are escaped; subject and preheader are
 * plain text with CR/LF and other control characters replaced by spaces; the system footer (sender,
 * postal address, unsubscribe link) is appended to both bodies.
 */
export function renderOffer(
  compiled: CompiledCampaign,
  segmentId: string,
  subject: AudienceSubject,
  footer: Footer,
  offerContext: { runDate: IsoDate },
): RenderedOffer {
  const { templates, scope: segmentScope } = segmentRendering(compiled, segmentId, offerContext.runDate);
  const scope = templateContext({ ...subject, runDate: offerContext.runDate }, segmentScope);
  const html = String(htmlEngine.renderSync(templates.html, scope));
  const text = String(textEngine.renderSync(templates.text, scope));
  return {
    subject: headerText(String(textEngine.renderSync(templates.subject, scope))),
    preheader: templates.preheader
      ? headerText(String(textEngine.renderSync(templates.preheader, scope)))
      : '',
    html: appendHtmlFooter(html, footer),
    text: text.replace(/\s+$/, '') + textFooter(footer),
  };
}

/**
 * What a segment's emails share on one run date (templates, offer code and expiry, campaign), kept on
 * the compiled campaign: the send stage renders thousands of emails of the same few segments.
 */
const segmentRenderings = new WeakMap<
  CompiledCampaign,
  Map<string, { templates: ParsedTemplates; scope: TemplateScope }>
>();

function segmentRendering(
  compiled: CompiledCampaign,
  segmentId: string,
  runDate: IsoDate,
): { templates: ParsedTemplates; scope: TemplateScope } {
  let bySegment = segmentRenderings.get(compiled);
  if (!bySegment) {
    bySegment = new Map();
    segmentRenderings.set(compiled, bySegment);
  }
  const key = `${runDate}\u0000${segmentId}`;
  const cached = bySegment.get(key);
  if (cached) return cached;
  const templates = segmentTemplates(compiled, segmentId);
  const segment = compiled.campaign.segments.find((s) => s.id === segmentId)!;
  const rendering = {
    templates,
    scope: {
      offerCode: segment.offer.code,
      expiresOn: offerExpiresOn(segment.offer.expires, runDate),
      campaign: { id: compiled.campaign.id, name: compiled.campaign.name },
      segmentId,
      attributes: templates.attributes,
    },
  };
  bySegment.set(key, rendering);
  return rendering;
}
