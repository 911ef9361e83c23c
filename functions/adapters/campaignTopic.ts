import { parse } from 'yaml';
import { TOPIC_ID_RE } from '../domain/preferences/preferences.js';
import type { CampaignStore } from './campaignStore.js';

/**
 * The consent topic of a campaign as the customer last received it: `consentTopic` of its active
 * version (else the latest). Undefined when the campaign is gone, has no topic, or its file no longer
 * parses: the preference centre then offers no "this topic" button, only the full choices.
 */
export async function campaignConsentTopic(
  campaigns: CampaignStore,
  campaignId: string,
): Promise<string | undefined> {
  const head = await campaigns.head(campaignId);
  if (!head) return undefined;
  const version = await campaigns.version(campaignId, head.activeVersion ?? head.latestVersion);
  if (!version) return undefined;
  let doc: unknown;
  try {
    doc = parse(version.source);
  } catch {
    return undefined;
  }
  const topic = (doc as { consentTopic?: unknown } | null)?.consentTopic;
  return typeof topic === 'string' && TOPIC_ID_RE.test(topic) ? topic : undefined;
}
