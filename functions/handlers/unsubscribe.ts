import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { customerSubject } from '../adapters/suppressionStore.js';
import { loadUnsubscribeKeys } from '../adapters/unsubscribeKeys.js';
import {
  handleUnsubscribeRequest,
  type UnsubscribeHttpRequest,
} from '../domain/delivery/unsubscribeRequest.js';
import { deps, logger } from './deps.js';
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
  let contentType: string | undefined;
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === 'content-type') contentType = value;
  }
  return { method, query, body, contentType };
}

/**
 * The unsubscribe endpoint behind a Lambda Function URL (and `retention serve` locally): the
 * mailbox provider's RFC 8058 one-click POST, or a person's GET → confirmation form → POST. On the
 * suppress action the customer is suppressed at once, idempotently (the first reason recorded wins;
 * repeating the request answers the same and changes nothing).
 */
export async function unsubscribe(
  event: LambdaFunctionURLEvent,
  _context?: Context,
): Promise<LambdaFunctionURLResult> {
  const d = deps();
  const ring = await loadUnsubscribeKeys(d.config);
  const request = toUnsubscribeRequest(event);
  const response = handleUnsubscribeRequest(request, ring);
  const headers = { ...response.headers, 'Content-Type': response.contentType };
  if (response.action) {
    const { customerId, campaignId } = response.action.suppress;
    // The one-click answer is plain text; the confirmation form's answer is a page.
    const oneClick = response.contentType.startsWith('text/plain');
    const source = `unsubscribe:${oneClick ? 'one-click' : 'form'}${campaignId ? `:${campaignId}` : ''}`;
    try {
      const created = await d.suppression.suppress(
        customerSubject(customerId),
        'unsubscribed',
        source,
        new Date(),
      );
      logger.info('unsubscribed', { customerId, campaignId, source, created });
    } catch (error) {
      // Nothing was recorded: say so, so the mailbox provider (or the person) tries again.
      logger.error('unsubscribe not recorded', { customerId, error: (error as Error).name });
      return {
        statusCode: 503,
        headers: { ...response.headers, 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '60' },
        body: 'Temporarily unavailable, please try again.\n',
      };
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
