/**
 * Pacing SES sends: a token bucket for the per-second send rate, a daily quota counter, full-jitter
 * exponential backoff, and SES v2 error classification.
 *
 * Why pace at all: over the account's maximum send rate SES answers TooManyRequestsException and the
 * message is DROPPED (SES does not queue it). Over the 24-hour quota every further send fails until the
 * window moves. Pacing below the limit is cheaper and safer than retrying after throttling.
 *
 * House rule: time is injected. The limiter and the retry helper take `now()` and `sleep(ms)` so tests
 * run on a fake clock and never wait for real.
 */

export interface Clock {
  /** Milliseconds (any epoch, monotonic enough for pacing). */
  now(): number;
}

export type Sleep = (ms: number) => Promise<void>;

export interface SendRateLimiterOptions {
  /** SES `MaxSendRate` (messages per second); may be fractional. */
  maxSendRate: number;
  /** SES `Max24HourSend`; a negative value means unlimited. */
  max24HourSend: number;
  /** SES `SentLast24Hours` at start-up. */
  sentLast24Hours: number;
  /** Bucket capacity (largest burst). Default 1: evenly spaced sends, no burst at start-up. */
  burst?: number;
  /** Tokens at start-up (0..burst, default burst): a segment's stagger among those sending at once. */
  initialTokens?: number;
  now: Clock['now'];
  sleep: Sleep;
}

export type AcquireResult = { ok: true } | { ok: false; reason: 'quota_exhausted' };
export type TryAcquireResult =
  | { ok: true }
  | { ok: false; reason: 'rate_limited'; waitMs: number }
  | {
      ok: false;
      reason: 'quota_exhausted';
    };

/** Sends still allowed by the 24-hour quota (Infinity when unlimited). */
export function remainingDailyQuota(max24HourSend: number, sentLast24Hours: number): number {
  if (!Number.isFinite(max24HourSend) || max24HourSend < 0) return Number.POSITIVE_INFINITY;
  return Math.max(0, Math.floor(max24HourSend - Math.max(0, sentLast24Hours)));
}

export interface SendRateLimiter {
  /** Takes one send slot now if possible, without waiting. */
  tryAcquire(): TryAcquireResult;
  /** Waits (through the injected sleep) for a send slot; resolves `quota_exhausted` without waiting. */
  acquire(): Promise<AcquireResult>;
  /** Gives back a slot taken for a send that was provably not made (e.g. SES rejected it as throttled). */
  release(): void;
  /** Sends left in the daily quota. */
  remainingQuota(): number;
  /** Sends granted so far. */
  granted(): number;
}

export function createSendRateLimiter(options: SendRateLimiterOptions): SendRateLimiter {
  const { maxSendRate, now, sleep } = options;
  const burst = options.burst ?? 1;
  if (!(Number.isFinite(maxSendRate) && maxSendRate > 0)) throw new Error('maxSendRate must be > 0');
  if (!(Number.isFinite(burst) && burst >= 1)) throw new Error('burst must be >= 1');
  const perMs = maxSendRate / 1000;
  let quota = remainingDailyQuota(options.max24HourSend, options.sentLast24Hours);
  const initial = options.initialTokens ?? burst;
  if (!(Number.isFinite(initial) && initial >= 0 && initial <= burst)) {
    throw new Error('initialTokens must be within 0..burst');
  }
  let tokens = initial;
  let last = now();
  let grantedCount = 0;

  const refill = () => {
    const t = now();
    if (t > last) {
      tokens = Math.min(burst, tokens + (t - last) * perMs);
      last = t;
    }
  };

  const tryAcquire = (): TryAcquireResult => {
    if (quota < 1) return { ok: false, reason: 'quota_exhausted' };
    refill();
    if (tokens >= 1) {
      tokens -= 1;
      quota -= 1;
      grantedCount += 1;
      return { ok: true };
    }
    return { ok: false, reason: 'rate_limited', waitMs: Math.max(1, Math.ceil((1 - tokens) / perMs)) };
  };

  return {
    tryAcquire,
    async acquire() {
      for (;;) {
        const r = tryAcquire();
        if (r.ok) return r;
        if (r.reason === 'quota_exhausted') return r;
        await sleep(r.waitMs);
      }
    },
    release() {
      if (grantedCount === 0) return;
      grantedCount -= 1;
      quota += 1;
      // The rate token is not returned: SES counted the attempt against the rate either way.
    },
    remainingQuota: () => quota,
    granted: () => grantedCount,
  };
}

export type SesErrorKind = 'throttled' | 'quota_exceeded' | 'permanent' | 'transient';

export interface SesErrorLike {
  name?: string | undefined;
  code?: string | undefined;
  message?: string | undefined;
  $metadata?: { httpStatusCode?: number | undefined } | undefined;
}

const THROTTLE_NAMES = new Set([
  'TooManyRequestsException',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
]);
const QUOTA_NAMES = new Set(['LimitExceededException']);
/** Errors that will fail again on retry: the message, an identity or the account must change first. */
const PERMANENT_NAMES = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
  'BadRequestException',
  'NotFoundException',
  'ValidationException',
  'InvalidParameterValue',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);
/** Failures that stop the whole run, not just one message. */
const ACCOUNT_LEVEL_NAMES = new Set([
  'AccountSuspendedException',
  'SendingPausedException',
  'MailFromDomainNotVerifiedException',
  'NotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);
/** 5xx errors modelled by the SES API: SES answered (so it did not accept the message). */
const SERVICE_ERROR_NAMES = new Set([
  'InternalFailure',
  'InternalServerError',
  'InternalServiceError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);
const TRANSIENT_NAMES = new Set([
  ...SERVICE_ERROR_NAMES,
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'NetworkingError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'SocketError',
]);
/** Network errors raised before a request can have reached SES: retrying cannot duplicate a send. */
const NOT_SENT_NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

function asErrorLike(err: unknown): SesErrorLike {
  if (typeof err !== 'object' || err === null) return {};
  const e = err as Record<string, unknown>;
  const meta = e['$metadata'];
  const status =
    typeof meta === 'object' && meta !== null
      ? (meta as Record<string, unknown>)['httpStatusCode']
      : undefined;
  return {
    name: typeof e['name'] === 'string' ? e['name'] : undefined,
    code: typeof e['code'] === 'string' ? e['code'] : undefined,
    message: typeof e['message'] === 'string' ? e['message'] : undefined,
    $metadata: { httpStatusCode: typeof status === 'number' ? status : undefined },
  };
}

/**
 * Classifies an SES v2 (or SDK/network) error:
 * - `throttled`: over the send rate (TooManyRequestsException, 429, "Maximum sending rate exceeded").
 *   The message was not accepted; retry after a pause.
 * - `quota_exceeded`: the 24-hour quota is used up (LimitExceededException, "Daily message quota
 *   exceeded"). Retrying today is pointless; stop the run, leave the rest queued.
 * - `permanent`: the request will fail again unchanged (MessageRejected, BadRequestException, an
 *   unverified MAIL FROM domain, a paused or suspended account, missing resources, other 4xx).
 * - `transient`: SES 5xx (InternalFailure, ServiceUnavailable), timeouts, network errors, and anything
 *   unrecognised without a 4xx status.
 */
export function classifySesError(err: unknown): SesErrorKind {
  const e = asErrorLike(err);
  const name = e.name ?? '';
  const code = e.code ?? '';
  const message = e.message ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (/daily message quota exceeded/i.test(message) || QUOTA_NAMES.has(name)) return 'quota_exceeded';
  if (THROTTLE_NAMES.has(name) || status === 429 || /maximum sending rate exceeded/i.test(message)) {
    return 'throttled';
  }
  if (PERMANENT_NAMES.has(name)) return 'permanent';
  if (TRANSIENT_NAMES.has(name) || TRANSIENT_NAMES.has(code)) return 'transient';
  if (status !== undefined && status >= 500) return 'transient';
  if (status !== undefined && status >= 400) return 'permanent';
  return 'transient';
}

export interface SesErrorDescription {
  kind: SesErrorKind;
  /** `account`: every further send will fail too, stop the run. `message`: only this message failed. */
  scope: 'message' | 'account';
  /**
   * Whether SES may have accepted the message despite the error. SES answered with an error response
   * (any HTTP status) or the connection was never made → `false`. A timeout, a reset connection or an
   * unknown failure → `true`: the request may have reached SES and been accepted.
   */
  maybeSent: boolean;
}

export function describeSesError(err: unknown): SesErrorDescription {
  const e = asErrorLike(err);
  const kind = classifySesError(err);
  const name = e.name ?? '';
  const code = e.code ?? '';
  const scope =
    kind === 'throttled' || kind === 'quota_exceeded' || ACCOUNT_LEVEL_NAMES.has(name)
      ? 'account'
      : 'message';
  // A modelled SES error name, or any HTTP status, means SES answered the request with an error.
  const answeredBySes =
    e.$metadata?.httpStatusCode !== undefined ||
    THROTTLE_NAMES.has(name) ||
    QUOTA_NAMES.has(name) ||
    PERMANENT_NAMES.has(name) ||
    SERVICE_ERROR_NAMES.has(name);
  const neverConnected = NOT_SENT_NETWORK.has(name) || NOT_SENT_NETWORK.has(code);
  return { kind, scope, maybeSent: !(answeredBySes || neverConnected) };
}

/**
 * Retry policy for SendEmail: retry only errors that are temporary AND certainly did not send
 * (SES answered with an error status, or the connection never opened). A timeout after the request
 * left is not retried: SES has no idempotency token, so a retry could deliver the message twice.
 */
export function isRetryableSendError(err: unknown): boolean {
  const d = describeSesError(err);
  return (d.kind === 'throttled' || d.kind === 'transient') && !d.maybeSent;
}

export interface RetryOptions {
  /** Total attempts including the first (≥ 1). */
  maxAttempts: number;
  /** Backoff base: the ceiling of the n-th retry's delay is min(capMs, baseMs · 2^(n-1)). */
  baseMs: number;
  capMs: number;
  /** Uniform in [0, 1). */
  random: () => number;
  sleep: Sleep;
  isRetryable: (err: unknown) => boolean;
  /** Called before each retry sleep (for logging / metrics). */
  onRetry?: ((info: { attempt: number; delayMs: number; error: unknown }) => void) | undefined;
}

/** Full-jitter delay for the retry after `attempt` failed attempts (attempt ≥ 1). */
export function fullJitterDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number,
): number {
  // The exponent is capped so a huge attempt number cannot give Infinity (or NaN when baseMs is 0).
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 52));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * Runs `fn` until it succeeds, a non-retryable error occurs, or `maxAttempts` are used; sleeps a
 * full-jitter exponential delay between attempts. Rethrows the last error unchanged.
 */
export async function retryWithBackoff<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { maxAttempts, baseMs, capMs } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new Error('maxAttempts must be an integer >= 1');
  if (!(baseMs >= 0 && capMs >= 0)) throw new Error('baseMs and capMs must be >= 0');
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= maxAttempts || !options.isRetryable(error)) throw error;
      const delayMs = fullJitterDelay(attempt, baseMs, capMs, options.random);
      options.onRetry?.({ attempt, delayMs, error });
      await options.sleep(delayMs);
    }
  }
}
