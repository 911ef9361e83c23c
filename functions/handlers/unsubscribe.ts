import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { campaignConsentTopic } from '../adapters/campaignTopic.js';
import { documentClient } from '../adapters/clients.js';
import { PreferenceStore, type PreferenceSubject } from '../adapters/preferenceStore.js';
import { customerSubject } from '../adapters/suppressionStore.js';
import { tableNames } from '../adapters/tableNames.js';
import { loadUnsubscribeKeys } from '../adapters/unsubscribeKeys.js';
import {
  handleUnsubscribeRequest,
  type PreferenceAction,
  type UnsubscribeHttpRequest,
  type UnsubscribeHttpResponse,
} from '../domain/delivery/unsubscribeRequest.js';
import { todayUtc } from '../domain/night/dates.js';
import type { PreferenceTopic } from '../domain/preferences/preferenceForm.js';
import { preferenceShell, renderPreferencePage } from '../domain/preferences/preferencePage.js';
import type { PreferenceChange } from '../domain/preferences/preferences.js';
import { type Deps, deps, logger } from './deps.js';
import { metrics, tracer } from './observability.js';

/** Largest body read at all; the pure handler answers 413 above 16 KiB. */
const MAX_RAW_BODY = 64 * 1024;

/** The Function URL event (API Gateway v2 payload) as the pure endpoint's request. */
export function toUnsubscribeRequest(event: LambdaFunctionURLEvent): UnsubscribeHttpRequest {
  const method = event.requestContext?.http?.method ?? 'GET';
  let query: Record<string, string | undefined> = {};
  if (typeof event.rawQueryString === 'string' && event.rawQueryString !== '') {
    // First value of each name, decoded once (queryStringParameters joins repeats with commas).
    for (const [k, v] of new URLSearchParams(event.rawQueryString)) if (!(k in query)) query[k] = v;
  } else if (event.queryStringParameters) {
    query = { ...event.queryStringParameters };
  }
  let body: string | undefined;
  if (typeof event.body === 'string') {
    const raw = event.body.length > MAX_RAW_BODY * 2 ? event.body.slice(0, MAX_RAW_BODY * 2) : event.body;
    body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  }
  const header = (wanted: string): string | undefined => {
    for (const [name, value] of Object.entries(event.headers ?? {})) {
      if (name.toLowerCase() === wanted) return value;
    }
    return undefined;
  };
  // The names this endpoint is reached by: its own host, and the one a CDN in front forwards.
  const hosts = [header('host'), header('x-forwarded-host'), event.requestContext?.domainName].filter(
    (h): h is string => typeof h === 'string' && h !== '',
  );
  return {
    method,
    query,
    body,
    contentType: header('content-type'),
    site: { secFetchSite: header('sec-fetch-site'), origin: header('origin'), hosts },
  };
}

function html(statusCode: number, base: UnsubscribeHttpResponse, body: string): LambdaFunctionURLResult {
  return { statusCode, headers: { ...base.headers, 'Content-Type': 'text/html; charset=utf-8' }, body };
}

function unavailable(base: UnsubscribeHttpResponse): LambdaFunctionURLResult {
  return {
    statusCode: 503,
    headers: { ...base.headers, 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '60' },
    body: 'Temporarily unavailable, please try again.\n',
  };
}

/**
 * The preference centre behind the same link: shows the customer's current choices, or applies a
 * submission and shows the result. Every change is stored with its time and source
 * (`preference-centre[:campaignId]`) in one conditional write (PreferenceStore.update).
 */
async function preferenceCentre(
  d: Deps,
  base: UnsubscribeHttpResponse,
  action: PreferenceAction,
  now: Date,
): Promise<LambdaFunctionURLResult> {
  const store = new PreferenceStore(documentClient(), tableNames(d.config));
  const offered: readonly PreferenceTopic[] = d.config.PREFERENCE_TOPICS;
  const topicId = action.campaignId ? await campaignConsentTopic(d.campaigns, action.campaignId) : undefined;
  const thisTopic = topicId
    ? { id: topicId, label: offered.find((t) => t.id === topicId)?.label ?? topicId }
    : undefined;

  let subject: PreferenceSubject | undefined = await store.load(action.customerId);
  let notice: string | undefined;
  let problems = action.problems;
  if (subject && action.kind === 'apply' && action.request) {
    let change: PreferenceChange | undefined;
    if (action.request.kind === 'save') change = action.request.change;
    else if (action.request.kind === 'unsubscribe_topic') {
      if (thisTopic) change = { topics: { [thisTopic.id]: false } };
      else problems = ['field action: this email has no topic of its own; choose your topics below'];
    }
    if (change) {
      const source = `preference-centre${action.campaignId ? `:${action.campaignId}` : ''}`;
      const result = await store.update(action.customerId, change, now, source);
      if (result.outcome === 'missing') subject = undefined;
      else {
        subject = result.subject;
        logger.info('preferences', {
          customerId: action.customerId,
          source,
          outcome: result.outcome,
          fields: result.outcome === 'changed' ? result.entry.changes.map((c) => c.field) : [],
        });
        notice =
          action.request.kind === 'unsubscribe_topic' && thisTopic
            ? `You are unsubscribed from ${thisTopic.label}.`
            : result.outcome === 'changed'
              ? 'Your choices are saved. They apply from our next email run.'
              : 'Nothing to change: these are already your choices.';
      }
    }
  }
  if (!subject) {
    return html(
      404,
      base,
      preferenceShell(
        'Your email preferences',
        '<p>We have no email preferences for this link any more.</p>',
      ),
    );
  }
  const topics = subject.consent.topics;
  const chosen = subject.preferences?.topics ?? {};
  const suppressed = await d.suppression.suppressedAmong([
    { customerId: subject.customerId, email: subject.email },
  ]);
  const pausedUntil =
    subject.preferences?.pausedUntil && todayUtc(now) < subject.preferences.pausedUntil
      ? subject.preferences.pausedUntil
      : undefined;
  const page = renderPreferencePage({
    token: action.token,
    topics: offered.map((t) => ({ ...t, on: chosen[t.id] ?? topics[t.id] === true })),
    thisTopic,
    frequency: subject.preferences?.frequency,
    pausedUntil,
    unsubscribedAll: suppressed.has(subject.customerId),
    noEmailConsent: !subject.consent.email,
    notice,
    problems,
  });
  return html(problems && problems.length > 0 ? 400 : 200, base, page);
}

/**
 * The unsubscribe endpoint behind a Lambda Function URL (and `retention serve` locally): the
 * mailbox provider's RFC 8058 one-click POST, or a person's GET → preference centre → POST. On the
 * suppress action the customer is suppressed at once, idempotently (the first reason recorded wins;
 * repeating the request answers the same and changes nothing).
 */
export async function unsubscribe(
  event: LambdaFunctionURLEvent,
  _context?: Context,
): Promise<LambdaFunctionURLResult> {
  const d = deps();
  const ring = await loadUnsubscribeKeys(d.config);
  const now = new Date();
  const request = toUnsubscribeRequest(event);
  const response = handleUnsubscribeRequest(request, ring, {
    topics: d.config.PREFERENCE_TOPICS,
    today: todayUtc(now),
    maxAgeDays: d.config.PREFERENCE_LINK_MAX_AGE_DAYS,
  });
  const headers = { ...response.headers, 'Content-Type': response.contentType };
  if (response.action?.preferences) {
    try {
      return await preferenceCentre(d, response, response.action.preferences, now);
    } catch (error) {
      logger.error('preference centre failed', {
        customerId: response.action.preferences.customerId,
        error: (error as Error).name,
      });
      return unavailable(response);
    }
  }
  if (response.action?.suppress) {
    const { customerId, campaignId } = response.action.suppress;
    // The one-click answer is plain text; the form's answer is a page.
    const oneClick = response.contentType.startsWith('text/plain');
    const source = `unsubscribe:${oneClick ? 'one-click' : 'form'}${campaignId ? `:${campaignId}` : ''}`;
    try {
      const created = await d.suppression.suppress(customerSubject(customerId), 'unsubscribed', source, now);
      logger.info('unsubscribed', { customerId, campaignId, source, created });
    } catch (error) {
      // Nothing was recorded: say so, so the mailbox provider (or the person) tries again.
      logger.error('unsubscribe not recorded', { customerId, error: (error as Error).name });
      return unavailable(response);
    }
  } else if (response.status >= 400) {
    logger.info('unsubscribe request refused', { status: response.status, method: request.method });
  }
  return { statusCode: response.status, headers, body: response.body };
}

export const handler = middy(unsubscribe)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
