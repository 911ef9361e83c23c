// Rendering one segment's offer for one customer.
import type { IsoDate } from '../types.js';
import type { Brand } from './brand.js';
import { type CompiledCampaign, offerExpiresOn, segmentTemplates } from './compile.js';
import { type PartRenderer, rememberingRenderer } from './renderMemo.js';
import {
  appendHtmlFooter,
  type Footer,
  type FooterStyle,
  headerText,
  htmlEngine,
  type TemplateScope,
  type TemplateSubject,
  templateContext,
  textEngine,
  textFooter,
} from './templates.js';

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
  subject: TemplateSubject,
  footer: Footer,
  offerContext: { runDate: IsoDate },
): RenderedOffer {
  const { parts, scope: segmentScope } = segmentRendering(compiled, segmentId, offerContext.runDate);
  const scope = templateContext({ ...subject, runDate: offerContext.runDate }, segmentScope);
  const html = parts.html(scope);
  const text = parts.text(scope);
  const brand = compiled.campaign.brandTheme;
  // A branded campaign's system footer takes the layout's colours and font, and the brand's sender and
  // postal address when it sets them. The unsubscribe link is always the system's.
  if (brand) footer = brandFooter(footer, brand);
  return {
    subject: headerText(parts.subject(scope)),
    preheader: parts.preheader ? headerText(parts.preheader(scope)) : '',
    html: appendHtmlFooter(html, footer),
    text: text.replace(/\s+$/, '') + textFooter(footer),
  };
}

const brandFooters = new WeakMap<Brand, FooterStyle>();

function brandFooter(footer: Footer, brand: Brand): Footer {
  let style = brandFooters.get(brand);
  if (!style) {
    style = { fontFamily: brand.fonts.body, color: brand.colors.muted };
    brandFooters.set(brand, style);
  }
  return brand.sender
    ? { ...footer, style, senderName: brand.sender.name, postalAddress: brand.sender.postalAddress }
    : { ...footer, style };
}

/** The From header's display name: the brand's sender name, else the deployment's. */
export function senderDisplayName(compiled: CompiledCampaign, deploymentSenderName: string): string {
  return compiled.campaign.brandTheme?.sender?.name ?? deploymentSenderName;
}

interface SegmentRendering {
  parts: {
    subject: PartRenderer;
    preheader: PartRenderer | null;
    html: PartRenderer;
    text: PartRenderer;
  };
  scope: TemplateScope;
}

/**
 * What a segment's emails share on one run date (templates, offer code and expiry, campaign), kept on
 * the compiled campaign: the send stage renders thousands of emails of the same few segments.
 */
const segmentRenderings = new WeakMap<CompiledCampaign, Map<string, SegmentRendering>>();

function segmentRendering(compiled: CompiledCampaign, segmentId: string, runDate: IsoDate): SegmentRendering {
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
  const { offer } = segment;
  const rendering: SegmentRendering = {
    parts: {
      subject: rememberingRenderer(textEngine, templates.subject, offer.subject),
      preheader:
        templates.preheader && offer.preheader !== undefined
          ? rememberingRenderer(textEngine, templates.preheader, offer.preheader)
          : null,
      html: rememberingRenderer(htmlEngine, templates.html, offer.html),
      text: rememberingRenderer(textEngine, templates.text, offer.text),
    },
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
