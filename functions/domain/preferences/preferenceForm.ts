/**
 * The preference centre's form, validated with zod at the edge: every field known, every topic one
 * the page offered. Pure.
 */
import { z } from 'zod';
import type { PreferenceChange } from './preferences.js';

export interface PreferenceTopic {
  id: string;
  label: string;
}

/** Form field of a topic checkbox: `topic_<id>=on` when ticked, absent when not. */
export const topicField = (topicId: string) => `topic_${topicId}`;

export type PreferenceFormRequest =
  | { kind: 'save'; change: PreferenceChange }
  | { kind: 'unsubscribe_topic' }
  | { kind: 'unsubscribe_all' };

export type PreferenceFormResult =
  | { ok: true; request: PreferenceFormRequest }
  | { ok: false; problems: string[] };

/** The fields the RFC 8058 body or the old confirmation form may carry besides ours. */
const TRANSPORT_FIELDS = ['token', 'confirm', 'List-Unsubscribe'];

/**
 * Reads one submission. `topics` are the topics the page shows: a ticked box means on, a missing one
 * off, so the form always states every shown topic. Unknown fields and topics are refused, naming the
 * field and why.
 */
export function parsePreferenceForm(
  fields: ReadonlyMap<string, string>,
  topics: readonly PreferenceTopic[],
): PreferenceFormResult {
  const shape: Record<string, z.ZodType> = {
    action: z.enum(['save', 'unsubscribe_topic', 'unsubscribe_all'], {
      error: 'must be save, unsubscribe_topic or unsubscribe_all',
    }),
    frequency: z
      .enum(['default', 'weekly', 'monthly'], { error: 'must be default, weekly or monthly' })
      .optional(),
    pause: z.literal('on', { error: 'must be on when ticked' }).optional(),
  };
  for (const t of topics)
    shape[topicField(t.id)] = z.literal('on', { error: 'must be on when ticked' }).optional();
  for (const name of TRANSPORT_FIELDS) shape[name] = z.string().optional();
  const schema = z.strictObject(shape);
  const parsed = schema.safeParse(Object.fromEntries(fields));
  if (!parsed.success) {
    const problems: string[] = [];
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push(
            key.startsWith('topic_')
              ? `field ${key}: unknown topic "${key.slice('topic_'.length)}"`
              : `field ${key}: not a field of this form`,
          );
        }
      } else {
        problems.push(`field ${issue.path.join('.') || '(form)'}: ${issue.message}`);
      }
    }
    return { ok: false, problems };
  }
  const data = parsed.data as Record<string, string | undefined>;
  const action = data['action'] as PreferenceFormRequest['kind'];
  if (action !== 'save') return { ok: true, request: { kind: action } };
  const change: PreferenceChange = {
    topics: Object.fromEntries(topics.map((t) => [t.id, data[topicField(t.id)] === 'on'])),
    pause: data['pause'] === 'on',
  };
  // A radio group always sends its checked value; a form without one leaves the frequency as it is.
  if (data['frequency'] !== undefined) change.frequency = data['frequency'] as PreferenceChange['frequency'];
  return { ok: true, request: { kind: 'save', change } };
}
