/**
 * The unsubscribe and preference-centre HTTP endpoint, as a pure function of the request.
 *
 * - `POST` with the RFC 8058 body `List-Unsubscribe=One-Click` (form-urlencoded or multipart/form-data):
 *   the mailbox provider's one-click request. No cookies, no login, no redirect: 200 and a suppression.
 * - `GET`: the preference centre (the handler renders it with the customer's current choices). A GET
 *   alone never changes anything: mail security scanners and link previewers follow GET links.
 * - `POST` from the centre's form: `action=save` (topics, frequency, pause), `action=unsubscribe_topic`,
 *   `action=unsubscribe_all` (or the older `confirm=yes`). Every field is validated; unknown fields and
 *   topics get 400 and change nothing.
 * - The signed token is the only credential. A form POST that a browser marks as sent from another
 *   site (`Sec-Fetch-Site`, else an `Origin` that is not this host) is refused with 403; the one-click
 *   POST comes from mail servers without those headers and only ever unsubscribes.
 * - Missing or malformed token → 400; forged, altered or retired-key token → 403. A token older than
 *   the policy's maximum age still unsubscribes (an opt-out must keep working) but can no longer
 *   change preferences: 403 with a page that offers the unsubscribe.
 * - Any other method → 405 with `Allow: GET, POST`.
 *
 * The token travels in the `token` query parameter (and, as a fallback for the form, a `token` body
 * field). Everything echoed into HTML is escaped; responses are `no-store` and send no referrer, so the
 * token does not leak into caches or third-party logs.
 */
import {
  type PreferenceFormRequest,
  type PreferenceTopic,
  parsePreferenceForm,
} from '../preferences/preferenceForm.js';
import {
  isoDayToEpochDay,
  UNSUBSCRIBE_TOKEN_PARAM,
  type UnsubscribeKeyRing,
  verifyUnsubscribeToken,
} from './unsubscribeToken.js';

export interface UnsubscribeHttpRequest {
  method: string;
  query: Record<string, string | undefined> | undefined;
  /** Decoded request body (the adapter decodes base64 bodies). */
  body: string | undefined;
  contentType: string | undefined;
  /** The request headers that tell a browser's cross-site form POST from our own page's. */
  site?:
    | { secFetchSite?: string | undefined; origin?: string | undefined; hosts: readonly string[] }
    | undefined;
}

/** What the preference centre needs to know to answer. */
export interface PreferencePolicy {
  topics: readonly PreferenceTopic[];
  /** The day of the request (UTC, `YYYY-MM-DD`), against which the token's age is checked. */
  today: string;
  /** Days after issue that a token may still change preferences. */
  maxAgeDays: number;
}

export interface PreferenceAction {
  /** `show`: render the centre (with `problems` when the submission was refused); `apply`: do `request`. */
  kind: 'show' | 'apply';
  customerId: string;
  campaignId?: string | undefined;
  token: string;
  request?: PreferenceFormRequest;
  problems?: string[];
}

export type UnsubscribeAction =
  | { suppress: { customerId: string; campaignId?: string; reason: 'unsubscribed' }; preferences?: undefined }
  | { preferences: PreferenceAction; suppress?: undefined };

export interface UnsubscribeHttpResponse {
  status: 200 | 400 | 403 | 405 | 413 | 415;
  contentType: string;
  body: string;
  headers: Record<string, string>;
  action?: UnsubscribeAction;
}

const MAX_BODY = 16 * 1024;
const HTML = 'text/html; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';

const BASE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Robots-Tag': 'noindex, nofollow',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function page(title: string, inner: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="robots" content="noindex, nofollow">' +
    `<title>${escapeHtml(title)}</title>` +
    '<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}' +
    'button{font-size:1rem;padding:.5rem 1rem}</style></head>' +
    `<body><h1>${escapeHtml(title)}</h1>${inner}</body></html>`
  );
}

function respond(
  status: UnsubscribeHttpResponse['status'],
  contentType: string,
  body: string,
  extraHeaders: Record<string, string> = {},
): UnsubscribeHttpResponse {
  return { status, contentType, body, headers: { ...BASE_HEADERS, ...extraHeaders } };
}

function errorPage(status: 400 | 403 | 405 | 413 | 415, message: string, extra?: Record<string, string>) {
  return respond(status, HTML, page('Unsubscribe', `<p>${escapeHtml(message)}</p>`), extra);
}

/** The media type, lower-cased, without parameters. */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function contentTypeParam(contentType: string | undefined, name: string): string | undefined {
  for (const part of (contentType ?? '').split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim().toLowerCase() !== name) continue;
    return part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/** Minimal multipart/form-data reader: simple text fields only. */
function parseMultipart(body: string, boundary: string): Map<string, string> {
  const fields = new Map<string, string>();
  if (!/^[A-Za-z0-9'()+_,./:=? -]{1,70}$/.test(boundary)) return fields;
  for (const rawPart of body.split(`--${boundary}`)) {
    const part = rawPart.replace(/^\r?\n/, '');
    const split = part.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const head = part.slice(0, split);
    const value = part
      .slice(split)
      .replace(/^\r?\n\r?\n/, '')
      .replace(/\r?\n$/, '');
    const name = /content-disposition:\s*form-data;[^\r\n]*\bname="([^"]*)"/i.exec(head)?.[1];
    if (name !== undefined && !fields.has(name)) fields.set(name, value);
  }
  return fields;
}

type FormResult = { ok: true; fields: Map<string, string> } | { ok: false; status: 413 | 415 };

function parseForm(req: UnsubscribeHttpRequest): FormResult {
  const body = req.body ?? '';
  if (body.length > MAX_BODY) return { ok: false, status: 413 };
  const type = mediaType(req.contentType);
  if (type === 'application/x-www-form-urlencoded' || (type === '' && body === '')) {
    const fields = new Map<string, string>();
    for (const [k, v] of new URLSearchParams(body)) if (!fields.has(k)) fields.set(k, v);
    return { ok: true, fields };
  }
  if (type === 'multipart/form-data') {
    const boundary = contentTypeParam(req.contentType, 'boundary');
    return { ok: true, fields: boundary ? parseMultipart(body, boundary) : new Map() };
  }
  return { ok: false, status: 415 };
}

function expiredPage(token: string): string {
  const action = `?${UNSUBSCRIBE_TOKEN_PARAM}=${encodeURIComponent(token)}`;
  return page(
    'This link has expired',
    '<p>This link is too old to change your email preferences. Use the link in a more recent email.</p>' +
      '<p>You can still unsubscribe from all our emails:</p>' +
      `<form method="post" action="${escapeHtml(action)}">` +
      `<input type="hidden" name="${UNSUBSCRIBE_TOKEN_PARAM}" value="${escapeHtml(token)}">` +
      '<button type="submit" name="action" value="unsubscribe_all">Unsubscribe from all emails</button></form>',
  );
}

/** Whether a browser says this POST came from a page of another site (a forged form). */
function crossSite(site: UnsubscribeHttpRequest['site']): boolean {
  if (!site) return false;
  const fetchSite = site.secFetchSite?.trim().toLowerCase();
  if (fetchSite) return fetchSite !== 'same-origin' && fetchSite !== 'none';
  const origin = site.origin?.trim();
  if (!origin || origin === 'null') return false;
  let host: string;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    return true;
  }
  return !site.hosts.some((h) => h.trim().toLowerCase() === host);
}

const DEFAULT_POLICY: PreferencePolicy = {
  topics: [],
  today: '9999-12-31',
  maxAgeDays: Number.MAX_SAFE_INTEGER,
};

/** Handles one request. Never throws. */
export function handleUnsubscribeRequest(
  req: UnsubscribeHttpRequest,
  ring: UnsubscribeKeyRing,
  policy: PreferencePolicy = DEFAULT_POLICY,
): UnsubscribeHttpResponse {
  const method = (req.method ?? '').toUpperCase();
  if (method !== 'GET' && method !== 'POST') {
    return errorPage(405, 'Method not allowed.', { Allow: 'GET, POST' });
  }

  let form: Map<string, string> | undefined;
  if (method === 'POST') {
    const parsed = parseForm(req);
    if (!parsed.ok) {
      return parsed.status === 413
        ? errorPage(413, 'Request too large.')
        : errorPage(415, 'Unsupported content type.');
    }
    form = parsed.fields;
  }

  const token = req.query?.[UNSUBSCRIBE_TOKEN_PARAM] ?? form?.get(UNSUBSCRIBE_TOKEN_PARAM);
  if (token === undefined || token === '') return errorPage(400, 'This unsubscribe link is incomplete.');
  const verified = verifyUnsubscribeToken(ring, token);
  if (!verified.ok) {
    return verified.reason === 'malformed'
      ? errorPage(400, 'This unsubscribe link is not valid.')
      : errorPage(403, 'This unsubscribe link is not valid or has expired.');
  }
  const { customerId, campaignId } = verified.payload;
  const today = isoDayToEpochDay(policy.today);
  const issued = isoDayToEpochDay(verified.payload.issuedAt);
  const expired = today !== undefined && issued !== undefined && today - issued > policy.maxAgeDays;
  const preferences = (
    p: Omit<PreferenceAction, 'customerId' | 'campaignId' | 'token'>,
  ): PreferenceAction => ({
    customerId,
    ...(campaignId !== undefined ? { campaignId } : {}),
    token,
    ...p,
  });

  if (method === 'GET') {
    if (expired) return respond(403, HTML, expiredPage(token));
    return { ...respond(200, HTML, ''), action: { preferences: preferences({ kind: 'show' }) } };
  }

  const fields = form ?? new Map<string, string>();
  const oneClick = fields.get('List-Unsubscribe') === 'One-Click';
  if (!oneClick && crossSite(req.site)) {
    return errorPage(403, 'This form was sent from another website. Nothing was changed.');
  }
  const everything = fields.get('confirm') === 'yes' || fields.get('action') === 'unsubscribe_all';
  if (oneClick || everything) {
    const suppress: { customerId: string; campaignId?: string; reason: 'unsubscribed' } = {
      customerId,
      reason: 'unsubscribed',
    };
    if (campaignId !== undefined) suppress.campaignId = campaignId;
    const response = oneClick
      ? respond(200, TEXT, 'You have been unsubscribed.\n')
      : respond(
          200,
          HTML,
          page('Unsubscribed', '<p>You have been unsubscribed. You will not receive these emails again.</p>'),
        );
    return { ...response, action: { suppress } };
  }
  if (expired) return respond(403, HTML, expiredPage(token));
  const parsed = parsePreferenceForm(fields, policy.topics);
  if (!parsed.ok) {
    return {
      ...respond(400, HTML, ''),
      action: { preferences: preferences({ kind: 'show', problems: parsed.problems }) },
    };
  }
  return {
    ...respond(200, HTML, ''),
    action: { preferences: preferences({ kind: 'apply', request: parsed.request }) },
  };
}
