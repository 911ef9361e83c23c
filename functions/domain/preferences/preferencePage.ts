/**
 * The preference centre page: server-rendered HTML that works without JavaScript, loads nothing from
 * elsewhere (inline styles only, allowed by the endpoint's Content-Security-Policy), labels every
 * control, and fits a phone screen. Everything shown is escaped. Pure.
 */
import { escapeHtml } from '../delivery/unsubscribeRequest.js';
import { UNSUBSCRIBE_TOKEN_PARAM } from '../delivery/unsubscribeToken.js';
import { type PreferenceTopic, topicField } from './preferenceForm.js';
import { type Frequency, PAUSE_DAYS } from './preferences.js';

export interface PreferencePageView {
  token: string;
  /** Every topic the customer can choose, with whether it is on now. */
  topics: readonly (PreferenceTopic & { on: boolean })[];
  /** The topic of the email the link came from, when it has one. */
  thisTopic?: PreferenceTopic | undefined;
  frequency?: Frequency | undefined;
  pausedUntil?: string | undefined;
  /** On the suppression list: nothing is sent, whatever the choices below. */
  unsubscribedAll: boolean;
  /** No marketing email consent on file: the topics are kept, but nothing is sent. */
  noEmailConsent: boolean;
  /** A confirmation to show above the form (role=status). */
  notice?: string | undefined;
  /** What was wrong with the submission (role=alert). */
  problems?: readonly string[] | undefined;
}

const STYLE =
  ':root{color-scheme:light dark}' +
  'body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;line-height:1.5;max-width:34rem;' +
  'margin:0 auto;padding:1.5rem 1rem 3rem}' +
  'h1{font-size:1.5rem;margin:0 0 1rem}' +
  'fieldset{border:1px solid #8886;border-radius:.5rem;margin:0 0 1rem;padding:.75rem 1rem}' +
  'legend{font-weight:600;padding:0 .25rem}' +
  '.choice{display:flex;gap:.6rem;align-items:flex-start;padding:.35rem 0}' +
  '.choice input{width:1.25rem;height:1.25rem;margin:.15rem 0 0;flex:none}' +
  'button{font:inherit;min-height:2.75rem;padding:.5rem 1rem;border-radius:.5rem;border:1px solid #8888;' +
  'cursor:pointer;width:100%;margin:.25rem 0}' +
  'button.primary{background:#1f5fbf;color:#fff;border-color:#1f5fbf}' +
  'button:focus-visible,input:focus-visible{outline:3px solid #f5a623;outline-offset:2px}' +
  '.status{border-left:4px solid #2e7d32;padding:.5rem .75rem;background:#2e7d3222}' +
  '.alert{border-left:4px solid #c62828;padding:.5rem .75rem;background:#c6282822}' +
  '.hint{font-size:.9rem;opacity:.85;margin:.25rem 0 0}';

/** A page of the preference centre (also its error and confirmation pages). */
export function preferenceShell(title: string, inner: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="robots" content="noindex, nofollow">' +
    '<meta name="color-scheme" content="light dark">' +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><main><h1>${escapeHtml(title)}</h1>${inner}</main></body></html>`
  );
}

function radio(name: string, value: string, label: string, checked: boolean): string {
  const id = `${name}-${value}`;
  return (
    `<div class="choice"><input type="radio" id="${escapeHtml(id)}" name="${escapeHtml(name)}" ` +
    `value="${escapeHtml(value)}"${checked ? ' checked' : ''}>` +
    `<label for="${escapeHtml(id)}">${escapeHtml(label)}</label></div>`
  );
}

function checkbox(name: string, label: string, checked: boolean, hint?: string): string {
  const hintId = `${name}-hint`;
  return (
    `<div class="choice"><input type="checkbox" id="${escapeHtml(name)}" name="${escapeHtml(name)}" value="on"` +
    `${checked ? ' checked' : ''}${hint ? ` aria-describedby="${escapeHtml(hintId)}"` : ''}>` +
    `<div><label for="${escapeHtml(name)}">${escapeHtml(label)}</label>` +
    `${hint ? `<p class="hint" id="${escapeHtml(hintId)}">${escapeHtml(hint)}</p>` : ''}</div></div>`
  );
}

export function renderPreferencePage(view: PreferencePageView): string {
  const action = `?${UNSUBSCRIBE_TOKEN_PARAM}=${encodeURIComponent(view.token)}`;
  const parts: string[] = [];
  if (view.notice) parts.push(`<p class="status" role="status">${escapeHtml(view.notice)}</p>`);
  if (view.problems && view.problems.length > 0) {
    parts.push(
      `<div class="alert" role="alert"><p>Nothing was changed:</p><ul>${view.problems
        .map((p) => `<li>${escapeHtml(p)}</li>`)
        .join('')}</ul></div>`,
    );
  }
  if (view.unsubscribedAll) {
    parts.push(
      '<p class="status">You are unsubscribed from all our emails. We will not email you again.</p>',
    );
  } else if (view.noEmailConsent) {
    parts.push('<p class="status">You have not agreed to receive our emails, so we send you none.</p>');
  }
  parts.push(
    `<form method="post" action="${escapeHtml(action)}">` +
      `<input type="hidden" name="${UNSUBSCRIBE_TOKEN_PARAM}" value="${escapeHtml(view.token)}">`,
  );
  if (view.topics.length > 0) {
    parts.push(
      '<fieldset><legend>Emails you want</legend>' +
        view.topics.map((t) => checkbox(topicField(t.id), t.label, t.on)).join('') +
        '</fieldset>',
    );
  }
  parts.push(
    '<fieldset><legend>How often</legend>' +
      radio('frequency', 'default', 'Whenever there is something for me', view.frequency === undefined) +
      radio('frequency', 'weekly', 'At most one email a week', view.frequency === 'weekly') +
      radio('frequency', 'monthly', 'At most one email a month', view.frequency === 'monthly') +
      '</fieldset>',
  );
  parts.push(
    '<fieldset><legend>Take a break</legend>' +
      checkbox(
        'pause',
        `Pause all emails for ${PAUSE_DAYS} days`,
        view.pausedUntil !== undefined,
        view.pausedUntil
          ? `Paused until ${view.pausedUntil}. Untick to resume now.`
          : `Emails start again by themselves after ${PAUSE_DAYS} days.`,
      ) +
      '</fieldset>',
  );
  // The first submit button is the one Enter presses: saving, never unsubscribing.
  parts.push('<button type="submit" class="primary" name="action" value="save">Save my choices</button>');
  if (view.thisTopic) {
    parts.push(
      '<button type="submit" name="action" value="unsubscribe_topic">' +
        `Unsubscribe from ${escapeHtml(view.thisTopic.label)}</button>`,
    );
  }
  parts.push(
    '<button type="submit" name="action" value="unsubscribe_all">Unsubscribe from all emails</button>',
  );
  parts.push('</form>');
  return preferenceShell('Your email preferences', parts.join(''));
}
