/**
 * The unsubscribe HTTP endpoint, as a pure function of the request.
 *
 * - `POST` with the RFC 8058 body `List-Unsubscribe=One-Click` (form-urlencoded or multipart/form-data):
 *   the mailbox provider's one-click request. No cookies, no login, no redirect: 200 and a suppression.
 * - `GET`: a small confirmation page with a form that POSTs `confirm=yes`. A GET alone never unsubscribes:
 *   mail security scanners and link previewers follow GET links.
 * - `POST` with `confirm=yes` (the form above): 200 and a suppression.
 * - Missing or malformed token → 400; forged, altered or retired-key token → 403; no action either way.
 * - Any other method → 405 with `Allow: GET, POST`.
 *
 * The token travels in the `token` query parameter (and, as a fallback for the form, a `token` body
 * field). Everything echoed into HTML is escaped; responses are `no-store` and send no referrer, so the
 * token does not leak into caches or third-party logs.
 */
import {
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
}

export interface UnsubscribeAction {
  suppress: { customerId: string; campaignId?: string; reason: 'unsubscribed' };
}

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

function confirmationPage(token: string): string {
  const action = `?${UNSUBSCRIBE_TOKEN_PARAM}=${encodeURIComponent(token)}`;
  return page(
    'Unsubscribe',
    '<p>Do you want to stop receiving these emails?</p>' +
      `<form method="post" action="${escapeHtml(action)}">` +
      `<input type="hidden" name="${UNSUBSCRIBE_TOKEN_PARAM}" value="${escapeHtml(token)}">` +
      '<input type="hidden" name="confirm" value="yes">' +
      '<button type="submit">Unsubscribe</button></form>',
  );
}

/** Handles one request. Never throws. */
export function handleUnsubscribeRequest(
  req: UnsubscribeHttpRequest,
  ring: UnsubscribeKeyRing,
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

  if (method === 'GET') return respond(200, HTML, confirmationPage(token));

  const oneClick = form?.get('List-Unsubscribe') === 'One-Click';
  const confirmed = form?.get('confirm') === 'yes';
  if (!oneClick && !confirmed) return errorPage(400, 'Missing unsubscribe confirmation.');

  const suppress: UnsubscribeAction['suppress'] = {
    customerId: verified.payload.customerId,
    reason: 'unsubscribed',
  };
  if (verified.payload.campaignId !== undefined) suppress.campaignId = verified.payload.campaignId;
  const response = oneClick
    ? respond(200, TEXT, 'You have been unsubscribed.\n')
    : respond(
        200,
        HTML,
        page('Unsubscribed', '<p>You have been unsubscribed. You will not receive these emails again.</p>'),
      );
  return { ...response, action: { suppress } };
}
